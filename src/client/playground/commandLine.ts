import { resolve } from 'node:path';

export const COMPONENTS = ['zookeeper', 'kafka', 'jobmanager', 'taskmanager', 'clickevent-generator', 'verifier', 'client'] as const;
export type ComponentName = (typeof COMPONENTS)[number];

const COMMANDS = ['up', 'ps', 'logs', 'kill', 'scale', 'down', 'consume', 'flink', 'help'] as const;
export type Command = (typeof COMMANDS)[number];

export interface PortSettings {
  zookeeper: number;
  kafka: number;
  kafkaController: number;
  rest: number;
  rpc: number;
  verifier: number;
}

export const DEFAULT_DATA_DIR = 'playground-data';

export const USAGE = `Usage: bin/playground [options] [command] [args]   (also: npm run playground -- [command] [args])

Flink's operations playground on this machine, without Docker: Kafka, a JobManager, TaskManagers, the click-event
generator, the Click Event Count job and an output verifier, with every file under one data directory.

Commands:
  up [--ha] [component ...]  start everything (the default) or just the given components; running ones are left alone;
                           --ha: high availability — ZooKeeper and a second, standby JobManager (REST port + 2)
  ps                       the components with their pids, states and ports, and the output verifier's totals
  logs [-f] <component>    print a component's log; -f follows it
  kill <component>         SIGKILL a component (taskmanager: all of them, taskmanager-N: one; with --ha, jobmanager: the
                           leading one, jobmanager-N: one)
  scale taskmanager=N      run N TaskManagers
  down [-v]                stop everything; -v also removes the data directory (Kafka data, checkpoints, savepoints)
  consume <topic> [args]   print a topic's records as they come (read_committed, from the latest offset; more
                           arguments go to Kafka's console consumer, e.g. --from-beginning)
  flink <args>             Flink's command line against the playground's cluster, e.g. flink list

Components: ${COMPONENTS.join(', ')}

Options (or environment variables), read by 'up'; later commands use what 'up' recorded:
  --data-dir DIR             PLAYGROUND_DATA_DIR                every file of the playground (./${DEFAULT_DATA_DIR})
  --kafka-port N             PLAYGROUND_KAFKA_PORT              Kafka broker (9092)
  --zookeeper-port N         PLAYGROUND_ZOOKEEPER_PORT          ZooKeeper, with --ha (2181)
  --kafka-controller-port N  PLAYGROUND_KAFKA_CONTROLLER_PORT   Kafka's KRaft controller (Kafka port + 1)
  --rest-port N              PLAYGROUND_REST_PORT               REST API and web UI (8081)
  --rpc-port N               PLAYGROUND_RPC_PORT                JobManager RPC (6123)
  --verifier-port N          PLAYGROUND_VERIFIER_PORT           output verifier's HTTP totals (8082)
  --generator-rate N         PLAYGROUND_GENERATOR_RATE          click events per second (Flink's pace, ~500/s; 0 = as fast as possible)
--data-dir is understood by every command, also after 'flink' and 'consume'.`;

export class UsageError extends Error {}

export interface CommandLine {
  command: Command;
  operands: string[];
  dataDir: string;
  /** Ports, generator rate and high availability asked for by options or environment variables. */
  requested: { ports: Partial<PortSettings>; generatorRate: number | undefined; ha: boolean | undefined };
  /** logs -f */
  follow: boolean;
  /** down -v */
  removeData: boolean;
}

type ValueOption = { env: string; port?: keyof PortSettings; rate?: true; dataDir?: true };

const VALUE_OPTIONS: Record<string, ValueOption> = {
  '--data-dir': { env: 'PLAYGROUND_DATA_DIR', dataDir: true },
  '--kafka-port': { env: 'PLAYGROUND_KAFKA_PORT', port: 'kafka' },
  '--zookeeper-port': { env: 'PLAYGROUND_ZOOKEEPER_PORT', port: 'zookeeper' },
  '--kafka-controller-port': { env: 'PLAYGROUND_KAFKA_CONTROLLER_PORT', port: 'kafkaController' },
  '--rest-port': { env: 'PLAYGROUND_REST_PORT', port: 'rest' },
  '--rpc-port': { env: 'PLAYGROUND_RPC_PORT', port: 'rpc' },
  '--verifier-port': { env: 'PLAYGROUND_VERIFIER_PORT', port: 'verifier' },
  '--generator-rate': { env: 'PLAYGROUND_GENERATOR_RATE', rate: true },
};

/** `bin/playground` arguments; throws {@link UsageError} on anything it does not understand. */
export function parseCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): CommandLine {
  let command: Command | undefined;
  const operands: string[] = [];
  const given = new Map<string, string>();
  let follow = false;
  let removeData = false;
  let ha: boolean | undefined = env.PLAYGROUND_HA ? env.PLAYGROUND_HA !== '0' && env.PLAYGROUND_HA !== 'false' : undefined;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [name, inlineValue] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const passThrough = command === 'flink' || command === 'consume';
    if (VALUE_OPTIONS[name] && (!passThrough || name === '--data-dir')) {
      const value = inlineValue ?? argv[++i];
      if (value === undefined || value === '') throw new UsageError(`Option ${name} needs a value.`);
      given.set(name, value);
    } else if (passThrough) {
      operands.push(arg);
    } else if (arg === '-h' || arg === '--help') {
      help = true;
    } else if (arg === '-f' && command === 'logs') {
      follow = true;
    } else if (arg === '-v' && command === 'down') {
      removeData = true;
    } else if (arg === '--ha' && command === 'up') {
      ha = true;
    } else if (arg.startsWith('-')) {
      throw new UsageError(`Unknown option ${arg}${command ? ` for '${command}'` : ''}.`);
    } else if (command === undefined) {
      if (!(COMMANDS as readonly string[]).includes(arg)) throw new UsageError(`Unknown command '${arg}'.`);
      command = arg as Command;
    } else {
      operands.push(arg);
    }
  }
  if (help) command = 'help';
  command ??= 'up';
  if (command !== 'help') checkOperands(command, operands);

  const value = (option: string) => given.get(option) ?? (env[VALUE_OPTIONS[option]!.env] || undefined);
  const ports: Partial<PortSettings> = {};
  let generatorRate: number | undefined;
  for (const [option, spec] of Object.entries(VALUE_OPTIONS)) {
    const raw = value(option);
    if (raw === undefined || spec.dataDir) continue;
    const n = Number(raw);
    if (spec.port) {
      if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UsageError(`${option} ${raw} is not a port number (1-65535).`);
      ports[spec.port] = n;
    } else {
      if (!Number.isInteger(n) || n < 0) throw new UsageError(`${option} ${raw} is not a number of events per second (0 = as fast as possible).`);
      generatorRate = n;
    }
  }
  return { command, operands, dataDir: resolve(value('--data-dir') ?? DEFAULT_DATA_DIR), requested: { ports, generatorRate, ha }, follow, removeData };
}

/** A component name, or `taskmanager-N` / `jobmanager-N` for one instance where `instances` allows it. */
function checkComponent(name: string, instances = false): void {
  if ((COMPONENTS as readonly string[]).includes(name)) return;
  if (instances && /^(taskmanager|jobmanager)-[1-9]\d*$/.test(name)) return;
  throw new UsageError(`Unknown component '${name}': one of ${COMPONENTS.join(', ')}${instances ? ' (or taskmanager-N, jobmanager-N)' : ''}.`);
}

function checkOperands(command: Command, operands: string[]): void {
  const count = (min: number, max: number, what: string) => {
    if (operands.length < min || operands.length > max) throw new UsageError(`'${command}' takes ${what}.`);
  };
  switch (command) {
    case 'up':
      operands.forEach((name) => checkComponent(name));
      break;
    case 'ps':
    case 'down':
      count(0, 0, 'no arguments');
      break;
    case 'logs':
      count(1, 1, 'one component');
      checkComponent(operands[0]!, true);
      break;
    case 'kill':
      count(1, Number.POSITIVE_INFINITY, 'one or more components');
      operands.forEach((name) => checkComponent(name, true));
      break;
    case 'scale':
      count(1, 1, 'taskmanager=N');
      if (!/^taskmanager=\d+$/.test(operands[0]!)) throw new UsageError(`'scale' takes taskmanager=N (only TaskManagers scale), not '${operands[0]}'.`);
      break;
    case 'consume':
      if (operands.length === 0 || operands[0]!.startsWith('-')) throw new UsageError(`'consume' takes a topic first, e.g. consume output.`);
      break;
    case 'flink':
    case 'help':
      break;
  }
}
