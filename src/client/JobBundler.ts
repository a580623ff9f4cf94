import { existsSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { build } from 'esbuild';
import { CliArgsError } from './cli/CliArgsError.js';

/**
 * Bundles a job program and everything it imports (except `tsflink`, which the cluster provides) into one ES module,
 * so a job spread over several files, or using npm packages, uploads as a single module.
 */
export async function bundleJob(path: string): Promise<{ filename: string; code: Buffer }> {
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new CliArgsError(`Could not get job program and dependencies from file: File does not exist: ${path}`);
  }
  let result;
  try {
    result = await build({
      entryPoints: [path],
      bundle: true,
      write: false,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      external: ['tsflink', 'tsflink/*'],
      logLevel: 'silent',
      sourcemap: 'inline',
    });
  } catch (error) {
    const messages = (error as { errors?: Array<{ text: string; location?: { file: string; line: number; column: number } }> }).errors ?? [];
    const detail = messages.map((m) => `${m.location ? `${m.location.file}:${m.location.line}:${m.location.column}: ` : ''}${m.text}`).join('\n');
    throw new Error(`The job program ${path} could not be compiled:\n${detail || (error as Error).message}`);
  }
  return { filename: `${basename(path, extname(path))}.js`, code: Buffer.from(result.outputFiles[0]!.contents) };
}
