/**
 * Checkpoint and savepoint locations as Flink writes them: configuration and users give a path or a `file:` URI
 * (`file:///tmp/x`, `file:/tmp/x`); REST and the CLI show the directory with its scheme (`file:/tmp/x`).
 */

/** The local path of a path or `file:` URI. */
export function localPath(location: string): string {
  return location.startsWith('file:') ? location.slice('file:'.length).replace(/^\/+/, '/') : location;
}

/** How Flink shows a checkpoint or savepoint location: the directory with its scheme (`file:/tmp/ckp/<job>/chk-7`). */
export function fileUri(directory: string): string {
  return `file:${directory}`;
}
