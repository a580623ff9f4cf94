import type { Configuration } from '../config/Configuration.js';
import { loadConfiguration, parseDynamicProperties, resolveConfigDir } from '../config/GlobalConfiguration.js';
import { IllegalConfigurationError } from '../errors.js';
import type { Logger } from '../Logger.js';
import { TSFLINK_REVISION } from '../version.js';
import { ProcessContext, type ClusterComponent } from './ProcessContext.js';

/** A started cluster process: the ports to announce and how to stop it. */
export interface RunningProcess {
  ports: Record<string, number | string>;
  close(): Promise<void>;
}

/**
 * The whole life of a JobManager or TaskManager process: read `--configDir` / `-D` arguments and the configuration,
 * start the component, announce its ports, and shut it down on SIGTERM or SIGINT. Any start-up failure is printed to
 * stderr and the log, and the process exits with status 1.
 */
export async function runClusterProcess(
  component: ClusterComponent,
  argv: readonly string[],
  start: (configuration: Configuration, log: Logger, context: ProcessContext, configDir: string) => Promise<RunningProcess>,
): Promise<void> {
  const context = new ProcessContext(component);
  const log = context.log;
  const fail = (message: string, error?: unknown): never => {
    log.error(message, {}, error);
    process.stderr.write(`${message}\n`);
    context.sink.close();
    process.exit(1);
  };
  process.on('uncaughtException', (error) => fail(`Fatal error in ${component}: ${error.message}`, error));
  process.on('unhandledRejection', (error) => fail(`Fatal error in ${component}: ${String((error as Error)?.message ?? error)}`, error));

  let configuration: Configuration;
  let configDir: string;
  try {
    const parsed = parseProcessArguments(argv);
    const properties = parsed.properties;
    configDir = parsed.configDir;
    log.info(`Starting ${component} (${TSFLINK_REVISION}, Node ${process.version}, pid ${process.pid}).`, { configDir });
    configuration = loadConfiguration(configDir, properties, (warning) => log.warn(warning));
  } catch (error) {
    return fail((error as Error).message, error);
  }

  let running: RunningProcess;
  try {
    running = await start(configuration, log, context, configDir);
  } catch (error) {
    return fail(`Could not start the ${component}: ${(error as Error).message}`, error);
  }
  context.announcePorts(running.ports);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`RECEIVED SIGNAL ${signal}. Shutting down as requested.`);
    try {
      await running.close();
    } finally {
      context.removePortsFile();
      log.info(`Terminating ${component} process.`);
      context.sink.close();
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void stop('15: SIGTERM'));
  process.on('SIGINT', () => void stop('2: SIGINT'));
}

/** `[--configDir <dir>] [-D <key>=<value> ...]`; anything else is refused. */
export function parseProcessArguments(argv: readonly string[]): { configDir: string; properties: Configuration } {
  const { properties, rest } = parseDynamicProperties(argv);
  let configDir: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === '--configDir' || arg === '-c') {
      configDir = rest[++i];
      if (configDir === undefined) throw new IllegalConfigurationError(`Missing argument for option: ${arg}`);
    } else if (arg.startsWith('--configDir=')) {
      configDir = arg.slice('--configDir='.length);
    } else {
      throw new IllegalConfigurationError(`Unrecognized option: ${arg}. Usage: [--configDir <dir>] [-D <key>=<value> ...]`);
    }
  }
  return { configDir: configDir ?? resolveConfigDir(), properties };
}
