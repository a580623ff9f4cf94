import { TsFlinkError } from '../../common/errors.js';

/** Wrong command-line arguments (Flink's CliArgsException): printed with a hint to use --help, exit code 1. */
export class CliArgsError extends TsFlinkError {}
