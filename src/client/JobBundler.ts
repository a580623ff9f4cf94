import { existsSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { bundleJobModule } from '../common/jobBundle.js';
import { CliArgsError } from './cli/CliArgsError.js';

/**
 * Bundles a job program and everything it imports (except `tsflink`, which the cluster provides) into one ES module,
 * so a job spread over several files, or using npm packages, uploads as a single module.
 */
export async function bundleJob(path: string): Promise<{ filename: string; code: Buffer }> {
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new CliArgsError(`Could not get job program and dependencies from file: File does not exist: ${path}`);
  }
  return { filename: `${basename(path, extname(path))}.js`, code: await bundleJobModule(path, path) };
}
