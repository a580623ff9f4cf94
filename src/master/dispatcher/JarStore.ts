import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { bundleJobModule, JobCompilationError } from '../../common/jobBundle.js';
import { provideTsflink } from '../../common/jobModules.js';

/** Extensions of job programs the cluster accepts (the analogue of Flink's `.jar`). */
const JOB_EXTENSIONS = ['.ts', '.mts', '.js', '.mjs'];

export class InvalidJobFileError extends Error {}

export interface StoredJar {
  id: string;
  name: string;
  uploaded: number;
}

/**
 * The uploaded job programs (Flink's web upload directory). An upload is one TypeScript or JavaScript module; it is
 * compiled and bundled with esbuild on upload (so a syntax error is reported then), with `tsflink` left for the
 * cluster to provide. The original is kept as `<uuid>_<name>`, the runnable module beside it as `<id>.mjs`.
 */
export class JarStore {
  constructor(readonly directory: string) {
    mkdirSync(directory, { recursive: true });
    provideTsflink(directory);
  }

  async upload(filename: string, content: Buffer): Promise<StoredJar> {
    const name = basename(filename);
    if (!JOB_EXTENSIONS.some((ext) => name.endsWith(ext))) {
      throw new InvalidJobFileError(`Only TypeScript or JavaScript job files (${JOB_EXTENSIONS.join(', ')}) are allowed; got '${name}'.`);
    }
    const id = `${randomUUID()}_${name}`;
    const source = join(this.directory, id);
    writeFileSync(source, content);
    try {
      writeFileSync(`${source}.mjs`, await bundleJobModule(source, name));
    } catch (error) {
      rmSync(source, { force: true });
      if (error instanceof JobCompilationError) throw new InvalidJobFileError(error.message);
      throw error;
    }
    return { id, name, uploaded: statSync(source).mtimeMs };
  }

  list(): StoredJar[] {
    return readdirSync(this.directory)
      .filter((f) => !f.endsWith('.mjs') || !existsSync(join(this.directory, f.slice(0, -4))))
      .filter((f) => existsSync(join(this.directory, `${f}.mjs`)))
      .map((id) => ({ id, name: id.slice(id.indexOf('_') + 1), uploaded: Math.round(statSync(join(this.directory, id)).mtimeMs) }))
      .sort((a, b) => b.uploaded - a.uploaded);
  }

  /** The runnable module of an uploaded program, or undefined. */
  modulePath(id: string): string | undefined {
    if (id.includes('/') || id.includes('..')) return undefined;
    const path = join(this.directory, `${id}.mjs`);
    return existsSync(path) ? path : undefined;
  }

  moduleCode(id: string): Buffer {
    return readFileSync(join(this.directory, `${id}.mjs`));
  }

  delete(id: string): boolean {
    if (!this.modulePath(id)) return false;
    rmSync(join(this.directory, id), { force: true });
    rmSync(join(this.directory, `${id}.mjs`), { force: true });
    return true;
  }
}
