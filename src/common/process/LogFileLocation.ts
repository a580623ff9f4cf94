import { constants } from 'node:fs';
import { open, readdir, realpath, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** A file of a log directory as the REST API lists it (Flink's LogInfo). */
export interface LogInfo {
  name: string;
  size: number;
  /** Last modification, in epoch milliseconds. */
  mtime: number;
}

/** The most one read of a log file yields: one message of the TaskExecutor's file upload stream. */
export const LOG_CHUNK_SIZE = 1024 * 1024;

/**
 * Where a cluster process logs (Flink's WebMonitorUtils.LogFileLocation): its `.log` file, the `.out` file next to it
 * (bin/flink-daemon.sh sends a background daemon's stdout and stderr there) and their directory. Whatever name a caller
 * sends, only regular files directly in that directory are ever opened (CVE-2020-17519).
 */
export class LogFileLocation {
  readonly directory: string;
  readonly stdOutFile: string;

  constructor(readonly logFile: string) {
    this.directory = dirname(logFile);
    this.stdOutFile = `${logFile.replace(/\.log$/, '')}.out`;
  }

  /** The regular files of the log directory, sorted by name; none when the directory does not exist. */
  async listLogs(): Promise<LogInfo[]> {
    let names: string[];
    try {
      names = (await readdir(this.directory, { withFileTypes: true })).filter((entry) => entry.isFile()).map((entry) => entry.name);
    } catch (error) {
      if (isFileSystemError(error)) return [];
      throw error;
    }
    const logs = await Promise.all(
      names.map(async (name): Promise<LogInfo | undefined> => {
        try {
          const stats = await stat(join(this.directory, name));
          return { name, size: stats.size, mtime: Math.floor(stats.mtimeMs) };
        } catch (error) {
          // Rotated or deleted since the directory was read.
          if (isFileSystemError(error)) return undefined;
          throw error;
        }
      }),
    );
    return logs.filter((log) => log !== undefined).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * Opens `name` for reading if it is a regular file directly in the log directory, else undefined. Only the name's last
   * path segment counts (`/` and `\` both separate); `.`, `..`, empty names, NUL bytes and symlinks leading out of the
   * directory are refused.
   */
  async open(name: string): Promise<FileHandle | undefined> {
    const fileName = name.split(/[/\\]/).pop()!;
    if (fileName === '' || fileName === '.' || fileName === '..' || fileName.includes('\0')) return undefined;
    let handle: FileHandle | undefined;
    try {
      const [directory, file] = await Promise.all([realpath(this.directory), realpath(join(this.directory, fileName))]);
      if (dirname(file) !== directory) return undefined;
      // O_NOFOLLOW: a symlink swapped in after the check is not followed. O_NONBLOCK: a FIFO would block the open.
      handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
      if ((await handle.stat()).isFile()) return handle;
    } catch (error) {
      if (!isFileSystemError(error)) throw error;
    }
    await handle?.close();
    return undefined;
  }

  /** The name of the process's own log or stdout file. */
  fileName(type: 'LOG' | 'STDOUT'): string {
    return basename(type === 'LOG' ? this.logFile : this.stdOutFile);
  }
}

/**
 * Reads an opened log file in chunks of at most LOG_CHUNK_SIZE, then closes it: its last `maxBytes` bytes, or all of it
 * when `maxBytes` is 0. Reads up to the size the file had when reading began, though a log keeps growing.
 */
export async function* readLogFile(handle: FileHandle, maxBytes: number): AsyncGenerator<Buffer> {
  try {
    const { size } = await handle.stat();
    let position = maxBytes > 0 ? Math.max(0, size - maxBytes) : 0;
    while (position < size) {
      const buffer = Buffer.allocUnsafe(Math.min(LOG_CHUNK_SIZE, size - position));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) return;
      position += bytesRead;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

function isFileSystemError(error: unknown): boolean {
  return error instanceof Error && 'syscall' in error;
}
