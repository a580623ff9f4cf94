import { build } from 'esbuild';
import { TsFlinkError } from './errors.js';

/** A job program that does not compile; the message lists esbuild's errors as `<name>:<line>:<column>: <text>`. */
export class JobCompilationError extends TsFlinkError {}

/**
 * Compiles a job program (TypeScript or JavaScript) and everything it imports into one ES module, leaving `tsflink`
 * and `tsflink/*` to the cluster. Used by `flink run` before uploading and by the JobManager on upload.
 */
export async function bundleJobModule(entry: string, displayName: string): Promise<Buffer> {
  try {
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      external: ['tsflink', 'tsflink/*'],
      logLevel: 'silent',
      sourcemap: 'inline',
    });
    return Buffer.from(result.outputFiles[0]!.contents);
  } catch (error) {
    const messages = (error as { errors?: Array<{ text: string; location?: { line: number; column: number } | null }> }).errors ?? [];
    const detail = messages.map((m) => `${displayName}${m.location ? `:${m.location.line}:${m.location.column}` : ''}: ${m.text}`).join('; ');
    throw new JobCompilationError(`The job program could not be compiled: ${detail || (error as Error).message}`, { cause: error });
  }
}
