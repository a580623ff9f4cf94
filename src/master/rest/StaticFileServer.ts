import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=UTF-8',
  '.js': 'text/javascript; charset=UTF-8',
  '.css': 'text/css; charset=UTF-8',
  '.json': 'application/json; charset=UTF-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=UTF-8',
  '.xml': 'application/xml',
  '.map': 'application/json; charset=UTF-8',
};

export interface StaticFile {
  body: Buffer;
  contentType: string;
}

/**
 * The web dashboard's files (Flink's StaticFileServerHandler): `/` is `index.html`, every other path a file under the
 * dashboard's directory. Paths are resolved and must stay inside that directory.
 */
export class StaticFileServer {
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** The file for a request path, or undefined when there is none (or the path leaves the directory). */
  async find(path: string): Promise<StaticFile | undefined> {
    const relative = path === '/' || path === '' ? 'index.html' : path;
    let decoded: string;
    try {
      decoded = decodeURIComponent(relative);
    } catch {
      return undefined;
    }
    if (decoded.includes('\0')) return undefined;
    const file = resolve(join(this.root, decoded));
    if (!file.startsWith(this.root + sep)) return undefined;
    try {
      if (!(await stat(file)).isFile()) return undefined;
      return { body: await readFile(file), contentType: CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' };
    } catch {
      return undefined;
    }
  }
}
