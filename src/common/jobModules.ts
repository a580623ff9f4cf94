import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The root of this tsflink installation (the package that provides `tsflink` to jobs). */
export const TSFLINK_HOME = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Makes `dir` a place where job modules resolve `import ... from 'tsflink'` to this installation (Flink's "provided"
 * dependencies): a `node_modules/tsflink` link to TSFLINK_HOME next to the modules.
 */
export function provideTsflink(dir: string): void {
  const link = join(dir, 'node_modules', 'tsflink');
  if (existsSync(link)) return;
  mkdirSync(dirname(link), { recursive: true });
  try {
    symlinkSync(TSFLINK_HOME, link, 'dir');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

/** Writes a job module into `dir` (named by its content hash, so equal code is written once) and returns its URL. */
export function storeJobModule(dir: string, code: Uint8Array): string {
  provideTsflink(dir);
  const file = join(dir, `job-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`);
  if (!existsSync(file)) writeFileSync(file, code);
  return pathToFileURL(file).href;
}
