import { realpathSync, statfsSync } from 'node:fs';
import { realpath, statfs } from 'node:fs/promises';
import { dirname, posix } from 'node:path';
import { TsFlinkError } from './errors.js';

/**
 * Checkpoint and savepoint locations as Flink writes them: configuration and users give a path or a `file:` URI
 * (`file:///tmp/x`, `file:/tmp/x`); REST and the CLI show the directory with its scheme (`file:/tmp/x`).
 *
 * tsflink has one file system, the local one. A location is accepted when it is an absolute path or an absolute
 * `file:` URI (host empty or `localhost`); any other scheme is refused as Flink refuses a scheme it has no file system
 * implementation for; a relative path is refused (Flink would resolve it against the JobManager process's working
 * directory, which whoever sends a REST request or runs the CLI cannot see); the root directory and the kernel's
 * pseudo-file systems (`/proc`, `/sys`, `/dev`, and whatever resolves into them through symbolic links) are refused.
 */

/** A checkpoint or savepoint location that cannot be used; the message says why. */
export class CheckpointPathError extends TsFlinkError {}

/** A location with a scheme tsflink has no file system for (Flink's UnsupportedFileSystemSchemeException). */
export class UnsupportedFileSystemSchemeError extends CheckpointPathError {}

/** Kernel pseudo-file systems: nothing of a checkpoint is ever written to, read from or deleted in them. */
const PSEUDO_FILE_SYSTEM_ROOTS = ['/proc', '/sys', '/dev'];

/**
 * statfs `f_type` of pseudo-file systems that may be mounted elsewhere than under the roots above (proc, sysfs, devpts,
 * cgroup, cgroup2, debugfs, tracefs, securityfs, configfs, bpf, pstore, efivarfs).
 */
const PSEUDO_FILE_SYSTEM_TYPES = new Set([
  0x9fa0, 0x62656572, 0x1cd1, 0x27e0eb, 0x63677270, 0x64626720, 0x74726163, 0x73636673, 0x62656570, 0xcafe4a11, 0x6165676c, 0xde5e81e4,
]);

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):/;

/** The local path of a path or `file:` URI, without any check (for locations tsflink wrote itself). */
export function localPath(location: string): string {
  return location.startsWith('file:') ? location.slice('file:'.length).replace(/^\/+/, '/') : location;
}

/** How Flink shows a checkpoint or savepoint location: the directory with its scheme (`file:/tmp/ckp/<job>/chk-7`). */
export function fileUri(directory: string): string {
  return `file:${directory}`;
}

/** Whether `path` (absolute, normalized) is one of the pseudo-file system roots or below one. */
export function isPseudoFileSystemPath(path: string): boolean {
  return PSEUDO_FILE_SYSTEM_ROOTS.some((root) => path === root || path.startsWith(`${root}/`));
}

/**
 * The absolute, normalized local path of a checkpoint or savepoint location given by a user or the configuration,
 * checked without touching the file system (see the module comment). `what` names the location in messages (e.g.
 * "savepoint target directory", "execution.checkpointing.dir").
 */
export function checkpointLocationPath(location: string, what: string): string {
  if (location.length === 0) throw new CheckpointPathError(`The ${what} must not be empty.`);
  if (location.includes('\0')) throw new CheckpointPathError(`The ${what} '${location.replaceAll('\0', '\\0')}' contains a NUL character.`);
  let path = location;
  const scheme = SCHEME.exec(location)?.[1];
  if (scheme !== undefined) {
    if (scheme.toLowerCase() !== 'file') {
      throw new UnsupportedFileSystemSchemeError(
        `Could not find a file system implementation for scheme '${scheme}'. The scheme is not directly supported by tsflink, which keeps checkpoints and savepoints on the local file system only: give the ${what} as an absolute path or a file:/// URI ('${location}' was given).`,
      );
    }
    path = location.slice(scheme.length + 1);
    if (path.startsWith('//')) {
      const end = path.indexOf('/', 2);
      const authority = end < 0 ? path.slice(2) : path.slice(2, end);
      if (authority !== '' && authority.toLowerCase() !== 'localhost') {
        throw new CheckpointPathError(
          `The ${what} '${location}' names the host '${authority}': file URIs address the local file system only; write file:///<absolute path>.`,
        );
      }
      path = end < 0 ? '' : path.slice(end);
    }
  }
  if (!path.startsWith('/')) {
    throw new CheckpointPathError(
      `The ${what} '${location}' is a relative path. Relative paths are not accepted (they would be resolved against the JobManager's working directory): give an absolute path or a file:/// URI.`,
    );
  }
  const normalized = posix.normalize(path).replace(/(.)\/+$/, '$1');
  if (normalized === '/') throw new CheckpointPathError(`Cannot use the root directory for checkpoints ('${location}' was given as the ${what}).`);
  if (isPseudoFileSystemPath(normalized)) throw pseudoFileSystemError(location, what, normalized);
  return normalized;
}

function pseudoFileSystemError(location: string, what: string, resolved: string): CheckpointPathError {
  const where = resolved === location ? '' : ` (it resolves to ${resolved})`;
  return new CheckpointPathError(`The ${what} '${location}' is on a pseudo-file system${where}: checkpoints and savepoints cannot be kept under /proc, /sys or /dev.`);
}

/**
 * Checks an absolute, normalized local path against the file system as it is now: the path, or for a directory still
 * to be created its deepest existing ancestor, is resolved through symbolic links and must not land on a pseudo-file
 * system. Resolves with the path unchanged.
 */
export async function checkLocalLocation(path: string, location: string, what: string): Promise<string> {
  const { existing, rest } = await deepestExisting(path, location, what, (p) => realpath(p));
  const resolved = rest ? posix.join(existing, rest) : existing;
  if (isPseudoFileSystemPath(existing) || isPseudoFileSystemPath(resolved)) throw pseudoFileSystemError(location, what, resolved);
  let type: number | bigint | undefined;
  try {
    type = (await statfs(existing)).type;
  } catch {
    // statfs is a second line of defence; the path checks above are the rule.
  }
  if (type !== undefined && PSEUDO_FILE_SYSTEM_TYPES.has(Number(type))) throw pseudoFileSystemError(location, what, resolved);
  return path;
}

/** `checkLocalLocation` for start-up, before the event loop serves anything. */
export function checkLocalLocationSync(path: string, location: string, what: string): string {
  let current = path;
  let rest = '';
  let existing: string | undefined;
  for (let i = 0; i < 4096 && existing === undefined; i++) {
    try {
      existing = realpathSync(current);
    } catch (error) {
      current = ancestorOrThrow(current, error as NodeJS.ErrnoException, location, what, (r) => (rest = rest ? posix.join(r, rest) : r));
    }
  }
  if (existing === undefined) throw new CheckpointPathError(`The ${what} '${location}' cannot be resolved.`);
  const resolved = rest ? posix.join(existing, rest) : existing;
  if (isPseudoFileSystemPath(existing) || isPseudoFileSystemPath(resolved)) throw pseudoFileSystemError(location, what, resolved);
  let type: number | bigint | undefined;
  try {
    type = statfsSync(existing).type;
  } catch {
    // see checkLocalLocation
  }
  if (type !== undefined && PSEUDO_FILE_SYSTEM_TYPES.has(Number(type))) throw pseudoFileSystemError(location, what, resolved);
  return path;
}

async function deepestExisting(
  path: string,
  location: string,
  what: string,
  resolve: (path: string) => Promise<string>,
): Promise<{ existing: string; rest: string }> {
  let current = path;
  let rest = '';
  // One step per path component: bounded by the path's length, whatever the file system answers.
  for (let i = 0; i <= path.length; i++) {
    try {
      return { existing: await resolve(current), rest };
    } catch (error) {
      current = ancestorOrThrow(current, error as NodeJS.ErrnoException, location, what, (r) => (rest = rest ? posix.join(r, rest) : r));
    }
  }
  throw new CheckpointPathError(`The ${what} '${location}' cannot be resolved.`);
}

/** After a failed realpath of `current`: its parent if `current` does not exist yet, else an error saying why. */
function ancestorOrThrow(current: string, error: NodeJS.ErrnoException, location: string, what: string, onStep: (name: string) => void): string {
  if (error.code === 'ENOENT' && current !== '/') {
    onStep(posix.basename(current));
    return dirname(current);
  }
  if (error.code === 'ELOOP') throw new CheckpointPathError(`The ${what} '${location}' cannot be resolved: too many levels of symbolic links.`);
  if (error.code === 'ENOTDIR') throw new CheckpointPathError(`The ${what} '${location}' cannot be used: a part of it is not a directory.`);
  throw new CheckpointPathError(`The ${what} '${location}' cannot be resolved: ${error.message}`);
}

/** `checkpointLocationPath`, then `checkLocalLocation`: the local path of a location that can be used now. */
export async function resolveCheckpointLocation(location: string, what: string): Promise<string> {
  return checkLocalLocation(checkpointLocationPath(location, what), location, what);
}
