import type { OptionSpec } from './CommandLineParser.js';

/** The options of Flink's CliFrontendParser that tsflink's `flink` accepts. */
export const HELP_OPTION: OptionSpec = { short: 'h', long: 'help', arg: 'none', description: 'Show the help message for the CLI Frontend or the action.' };
export const VERSION_OPTION: OptionSpec = { short: 'v', long: 'version', arg: 'none', description: 'Show version information.' };

export const ADDRESS_OPTION: OptionSpec = {
  short: 'm',
  long: 'jobmanager',
  arg: 'required',
  argName: 'arg',
  description:
    'Address of the JobManager to which to connect. Use this flag to connect to a different JobManager than the one specified in the configuration. Attention: This option is respected only if the high-availability configuration is NONE.',
};
export const DYNAMIC_PROPERTIES: OptionSpec = {
  short: 'D',
  arg: 'required',
  argName: 'property=value',
  repeatable: true,
  description: 'Allows specifying multiple generic configuration options. The available options can be found at https://nightlies.apache.org/flink/flink-docs-stable/ops/config.html',
};

export const LIST_RUNNING: OptionSpec = { short: 'r', long: 'running', arg: 'none', description: 'Show only running programs and their JobIDs' };
export const LIST_SCHEDULED: OptionSpec = { short: 's', long: 'scheduled', arg: 'none', description: 'Show only scheduled programs and their JobIDs' };
export const LIST_ALL: OptionSpec = { short: 'a', long: 'all', arg: 'none', description: 'Show all programs and their JobIDs' };

/** Options every cluster action takes (Flink's "Options for default mode"). */
export const DEFAULT_MODE_OPTIONS: readonly OptionSpec[] = [DYNAMIC_PROPERTIES, ADDRESS_OPTION];

export const LIST_OPTIONS: readonly OptionSpec[] = [HELP_OPTION, LIST_ALL, LIST_RUNNING, LIST_SCHEDULED, ...DEFAULT_MODE_OPTIONS];

export const PARALLELISM_OPTION: OptionSpec = {
  short: 'p',
  long: 'parallelism',
  arg: 'required',
  argName: 'parallelism',
  description: 'The parallelism with which to run the program. Optional flag to override the default value specified in the configuration.',
};
export const DETACHED_OPTION: OptionSpec = { short: 'd', long: 'detached', arg: 'none', description: 'If present, runs the job in detached mode' };
export const SAVEPOINT_PATH_OPTION: OptionSpec = {
  short: 's',
  long: 'fromSavepoint',
  arg: 'required',
  argName: 'savepointPath',
  description: 'Path to a savepoint to restore the job from (for example hdfs:///flink/savepoint-1537).',
};

export const ALLOW_NON_RESTORED_OPTION: OptionSpec = {
  short: 'n',
  long: 'allowNonRestoredState',
  arg: 'none',
  description:
    'Allow to skip savepoint state that cannot be restored. You need to allow this if you removed an operator from your program that was part of the program when the savepoint was triggered.',
};
export const STOP_WITH_SAVEPOINT_PATH: OptionSpec = {
  short: 'p',
  long: 'savepointPath',
  arg: 'optional',
  argName: 'savepointPath',
  description:
    'Path to the savepoint (for example hdfs:///flink/savepoint-1537). If no directory is specified, the configured default will be used ("execution.checkpointing.savepoint-dir").',
};
export const STOP_AND_DRAIN: OptionSpec = { short: 'd', long: 'drain', arg: 'none', description: 'Send MAX_WATERMARK before taking the savepoint and stopping the pipelne.' };
export const CANCEL_WITH_SAVEPOINT_OPTION: OptionSpec = {
  short: 's',
  long: 'withSavepoint',
  arg: 'optional',
  argName: 'targetDirectory',
  description:
    '**DEPRECATION WARNING**: Cancelling a job with savepoint is deprecated. Use "stop" instead. Trigger savepoint and cancel job. The target directory is optional. If no directory is specified, the configured default directory (execution.checkpointing.savepoint-dir) is used.',
};
export const SAVEPOINT_DISPOSE_OPTION: OptionSpec = { short: 'd', long: 'dispose', arg: 'required', argName: 'arg', description: 'Path of savepoint to dispose.' };

export const RUN_OPTIONS: readonly OptionSpec[] = [HELP_OPTION, DETACHED_OPTION, PARALLELISM_OPTION, SAVEPOINT_PATH_OPTION, ALLOW_NON_RESTORED_OPTION, ...DEFAULT_MODE_OPTIONS];
export const CANCEL_OPTIONS: readonly OptionSpec[] = [HELP_OPTION, CANCEL_WITH_SAVEPOINT_OPTION, ...DEFAULT_MODE_OPTIONS];
export const STOP_OPTIONS: readonly OptionSpec[] = [HELP_OPTION, STOP_WITH_SAVEPOINT_PATH, STOP_AND_DRAIN, ...DEFAULT_MODE_OPTIONS];
export const INFO_OPTIONS: readonly OptionSpec[] = [HELP_OPTION, PARALLELISM_OPTION, DYNAMIC_PROPERTIES];
export const CHECKPOINT_FULL_OPTION: OptionSpec = { short: 'full', arg: 'none', description: 'Trigger a full checkpoint.' };
export const CHECKPOINT_OPTIONS: readonly OptionSpec[] = [HELP_OPTION, CHECKPOINT_FULL_OPTION, ...DEFAULT_MODE_OPTIONS];
export const RESCALE_OPTIONS: readonly OptionSpec[] = [HELP_OPTION, PARALLELISM_OPTION, ...DEFAULT_MODE_OPTIONS];
export const SAVEPOINT_OPTIONS: readonly OptionSpec[] = [HELP_OPTION, SAVEPOINT_DISPOSE_OPTION, ...DEFAULT_MODE_OPTIONS];
