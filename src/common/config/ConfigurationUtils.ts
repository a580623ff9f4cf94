import { tmpdir } from 'node:os';
import type { Configuration } from './Configuration.js';
import { CoreOptions } from './options.js';

/**
 * The temporary directories of `io.tmp.dirs` (Flink's ConfigurationUtils.parseTempDirectories): separated by ',' or
 * the path separator ':'; the system's temp directory when unset. Components use the first.
 */
export function parseTempDirectories(configuration: Configuration): string[] {
  const dirs = (configuration.get(CoreOptions.TMP_DIRS) ?? '')
    .split(/[,:]/)
    .map((d) => d.trim())
    .filter((d) => d !== '');
  return dirs.length > 0 ? dirs : [tmpdir()];
}
