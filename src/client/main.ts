/** Process entrypoint of the `flink` command line (bin/flink). */
import { CliFrontend } from './cli/CliFrontend.js';

const cli = new CliFrontend({ out: (line) => process.stdout.write(`${line}\n`), err: (line) => process.stderr.write(`${line}\n`) });
process.exitCode = await cli.parseAndRun(process.argv.slice(2));
