import { join } from 'node:path';
import type { Configuration } from '../../common/config/Configuration.js';
import { CheckpointingOptions } from '../../common/config/options.js';
import { IllegalConfigurationError } from '../../common/errors.js';
import { checkLocalLocationSync, checkpointLocationPath, CheckpointPathError } from '../../common/fileUris.js';
import { checkJobIdForPath } from './CheckpointStorage.js';

export const CHECKPOINT_RETENTIONS = ['NO_EXTERNALIZED_CHECKPOINTS', 'DELETE_ON_CANCELLATION', 'RETAIN_ON_CANCELLATION'] as const;
export type CheckpointRetention = (typeof CHECKPOINT_RETENTIONS)[number];

/** How a job's checkpoints are taken and kept (Flink's CheckpointCoordinatorConfiguration). */
export interface CheckpointCoordinatorConfiguration {
  /** Periodic checkpoints every `interval` ms; undefined: checkpointing is off (savepoints still work). */
  interval: number | undefined;
  timeout: number;
  minPause: number;
  numRetained: number;
  /** Consecutive failures tolerated before the job fails over; -1: never. */
  tolerableFailures: number;
  /** `<checkpoints dir>/<jobId>`. */
  jobDirectory: string;
  retention: CheckpointRetention;
}

/** Reads the job's checkpoint configuration; `defaultBaseDirectory` is used when `execution.checkpointing.dir` is unset. */
export function checkpointCoordinatorConfiguration(
  configuration: Configuration,
  jobId: string,
  interval: number | undefined,
  defaultBaseDirectory: string,
): CheckpointCoordinatorConfiguration {
  const dir = configuration.get(CheckpointingOptions.CHECKPOINTS_DIRECTORY);
  const retention = configuration.get(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION).toUpperCase();
  if (!(CHECKPOINT_RETENTIONS as readonly string[]).includes(retention)) {
    throw new IllegalConfigurationError(
      `Could not parse value '${retention}' for key '${CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION.key}': expected one of ${CHECKPOINT_RETENTIONS.join(', ')}.`,
    );
  }
  const base = dir ? configuredDirectory(CheckpointingOptions.CHECKPOINTS_DIRECTORY.key, dir) : defaultBaseDirectory;
  return {
    interval,
    timeout: configuration.get(CheckpointingOptions.CHECKPOINTING_TIMEOUT),
    minPause: configuration.get(CheckpointingOptions.MIN_PAUSE_BETWEEN_CHECKPOINTS),
    numRetained: Math.max(1, configuration.get(CheckpointingOptions.MAX_RETAINED_CHECKPOINTS)),
    tolerableFailures: configuration.get(CheckpointingOptions.TOLERABLE_FAILURE_NUMBER),
    jobDirectory: join(base, checkJobIdForPath(jobId)),
    retention: retention as CheckpointRetention,
  };
}

/** A configured checkpoint or savepoint directory, checked without touching the file system. */
function configuredDirectory(key: string, value: string): string {
  try {
    return checkpointLocationPath(value, key);
  } catch (error) {
    if (!(error instanceof CheckpointPathError)) throw error;
    throw new IllegalConfigurationError(`Invalid value '${value}' for key '${key}': ${error.message}`, { cause: error });
  }
}

/**
 * Checks `execution.checkpointing.dir` and `execution.checkpointing.savepoint-dir` at the JobManager's start-up, so that
 * a value that cannot be used (another scheme than file, a relative path, the root directory, a pseudo-file system,
 * directly or through symbolic links) stops the start with a clear message instead of failing every checkpoint or
 * savepoint later. Unset or empty values are fine.
 */
export function checkCheckpointDirectoryOptions(configuration: Configuration): void {
  for (const option of [CheckpointingOptions.CHECKPOINTS_DIRECTORY, CheckpointingOptions.SAVEPOINT_DIRECTORY]) {
    const value = configuration.get(option);
    if (!value) continue;
    const path = configuredDirectory(option.key, value);
    try {
      checkLocalLocationSync(path, value, option.key);
    } catch (error) {
      throw new IllegalConfigurationError(`Invalid value '${value}' for key '${option.key}': ${(error as Error).message}`, { cause: error });
    }
  }
}
