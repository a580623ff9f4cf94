import { join } from 'node:path';
import type { Configuration } from '../../common/config/Configuration.js';
import { CheckpointingOptions } from '../../common/config/options.js';
import { IllegalConfigurationError } from '../../common/errors.js';
import { localPath } from '../../common/fileUris.js';

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
  const base = dir ? localPath(dir) : defaultBaseDirectory;
  return {
    interval,
    timeout: configuration.get(CheckpointingOptions.CHECKPOINTING_TIMEOUT),
    minPause: configuration.get(CheckpointingOptions.MIN_PAUSE_BETWEEN_CHECKPOINTS),
    numRetained: Math.max(1, configuration.get(CheckpointingOptions.MAX_RETAINED_CHECKPOINTS)),
    tolerableFailures: configuration.get(CheckpointingOptions.TOLERABLE_FAILURE_NUMBER),
    jobDirectory: join(base, jobId),
    retention: retention as CheckpointRetention,
  };
}
