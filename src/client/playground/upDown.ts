import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { rememberJob, upClient } from './client.js';
import { COMPONENTS, DEFAULT_DATA_DIR, type CommandLine, type ComponentName, type PortSettings } from './commandLine.js';
import { components, PlaygroundContext, type ProcessComponent } from './components.js';
import { DEFAULT_PORTS, PlaygroundDir, type PlaygroundState } from './PlaygroundDir.js';
import { portFree } from './processes.js';

/** What each component binds, for the check before starting it. */
const BOUND_PORTS: Partial<Record<ComponentName, Array<[keyof PortSettings, string]>>> = {
  zookeeper: [['zookeeper', '--zookeeper-port']],
  kafka: [['kafka', '--kafka-port'], ['kafkaController', '--kafka-controller-port']],
  jobmanager: [['rest', '--rest-port'], ['rpc', '--rpc-port']],
  verifier: [['verifier', '--verifier-port']],
};

/**
 * `up [component ...]`: starts what is not running, in dependency order (Kafka and its topics, the JobManager, the
 * TaskManagers, the generator, the verifier, then the client submits the job unless one is active). Ports and the
 * generator rate come from options, else what the last `up` recorded, else the defaults; they change only while the
 * playground is down.
 */
export async function up(cli: CommandLine, say: (line: string) => void): Promise<void> {
  const dir = new PlaygroundDir(cli.dataDir);
  const recorded = dir.readState();
  const state = settle(recorded, cli.requested);
  const ctx = new PlaygroundContext(dir, state, say);
  if (recorded) {
    const live = Object.values(components(new PlaygroundContext(dir, recorded, say))).flatMap((c: ProcessComponent) => c.instances().filter((i) => i.running));
    const changed =
      JSON.stringify(recorded.ports) !== JSON.stringify(state.ports) || recorded.generatorRate !== state.generatorRate || Boolean(recorded.ha) !== Boolean(state.ha);
    if (live.length > 0 && changed) {
      throw new Error(
        `The playground in ${dir.root} runs with other settings (${describe(recorded)}): 'down' first to change them.`,
      );
    }
  }
  dir.prepare(state);
  dir.writeState(state);
  const all = components(ctx);
  if (cli.operands.includes('zookeeper') && !state.ha) throw new Error(`ZooKeeper is part of a playground with high availability only: 'down', then 'up --ha'.`);
  const targets = COMPONENTS.filter((c) => (cli.operands.length === 0 || cli.operands.includes(c)) && (c !== 'zookeeper' || state.ha));
  for (const target of targets) {
    if (target === 'client' || all[target].instances().some((i) => i.running)) continue;
    const needed = (BOUND_PORTS[target] ?? []).map(([key, option]): [number, string] => [state.ports[key], option]);
    if (target === 'jobmanager' && state.ha) needed.push([ctx.restPorts[1]!, '--rest-port (+ 2, the standby JobManager)']);
    if (target === 'jobmanager' && state.ha) needed.splice(needed.findIndex(([, option]) => option === '--rpc-port'), 1);
    for (const [port, option] of needed) {
      if (!(await portFree(port))) {
        throw new Error(`Port ${port} on 127.0.0.1 (${option}), needed by the ${target}, is in use: stop what uses it or give the playground another port with ${option.split(' ')[0]}.`);
      }
    }
  }
  for (const target of targets) {
    if (target === 'client') await upClient(ctx);
    else if (target === 'taskmanager') await all.taskmanager.up(Math.max(1, state.taskmanagers));
    else if (target === 'jobmanager') await all.jobmanager.up(state.ha ? 2 : 1);
    else await all[target].up();
  }
  if (cli.operands.length === 0) printSummary(ctx, cli.dataDir);
}

function describe({ ports, generatorRate, ha }: PlaygroundState): string {
  return `${ha ? `high availability, ZooKeeper port ${ports.zookeeper}, ` : ''}Kafka port ${ports.kafka}, controller port ${ports.kafkaController}, REST port ${ports.rest}, RPC port ${ports.rpc}, verifier port ${ports.verifier}, generator rate ${generatorRate ?? "Flink's pace"}`;
}

function settle(recorded: PlaygroundState | undefined, requested: CommandLine['requested']): PlaygroundState {
  const asked = requested.ports;
  const kafka = asked.kafka ?? recorded?.ports.kafka ?? DEFAULT_PORTS.kafka;
  const ports: PortSettings = {
    zookeeper: asked.zookeeper ?? recorded?.ports.zookeeper ?? DEFAULT_PORTS.zookeeper,
    kafka,
    kafkaController: asked.kafkaController ?? (asked.kafka === undefined ? recorded?.ports.kafkaController : undefined) ?? kafka + 1,
    rest: asked.rest ?? recorded?.ports.rest ?? DEFAULT_PORTS.rest,
    rpc: asked.rpc ?? recorded?.ports.rpc ?? DEFAULT_PORTS.rpc,
    verifier: asked.verifier ?? recorded?.ports.verifier ?? DEFAULT_PORTS.verifier,
  };
  const ha = requested.ha ?? recorded?.ha ?? false;
  return { ...recorded, ports, ha, generatorRate: requested.generatorRate ?? recorded?.generatorRate, taskmanagers: recorded?.taskmanagers ?? 1 };
}

/** `--data-dir DIR` for the commands printed, unless it is the default. */
export function dataDirOption(dataDir: string): string {
  return dataDir === join(process.cwd(), DEFAULT_DATA_DIR) ? '' : ` --data-dir ${dataDir}`;
}

function printSummary(ctx: PlaygroundContext, dataDir: string): void {
  const { ports, client } = ctx.state;
  const ui = `http://localhost:${ports.rest}`;
  const option = dataDirOption(dataDir);
  const next: Array<[string, string]> = [
    ['ps', 'the components, their ports and the verifier\'s totals'],
    ['logs -f jobmanager', "follow the JobManager's log"],
    ['consume output', 'the windows as their transactions commit'],
    ['flink list', 'the running jobs (any flink command works)'],
    ['kill taskmanager', "a failure; 'up taskmanager' recovers"],
    ...(ctx.state.ha ? ([['kill jobmanager', "the leader dies; the standby takes over; 'up jobmanager' starts a new standby"]] as Array<[string, string]>) : []),
    ['down', "stop everything; the next 'up' resumes ('down -v' removes the data)"],
  ];
  const width = 'bin/playground '.length + Math.max(...next.map(([command]) => command.length)) + option.length + 3;
  const lines = [
    '',
    `The playground is up; its files are in ${dataDir}.`,
    ctx.state.ha
      ? `  Web UI and REST API  ${ui} and http://localhost:${ctx.restPorts[1]} (either JobManager; a standby forwards to the leader)`
      : `  Web UI and REST API  ${ui}`,
    ...(ctx.state.ha ? [`  ZooKeeper            127.0.0.1:${ports.zookeeper} (high availability)`] : []),
    `  Job                  Click Event Count ${client?.jobId ?? ''} (bin/playground flink list${option})`,
    `  Savepoints           ${ctx.dir.savepoints} (checkpoints: ${ctx.dir.checkpoints})`,
    `  Output verifier      http://127.0.0.1:${ports.verifier} (also ${ui}/playground/verifier)`,
    `  Kafka                127.0.0.1:${ports.kafka} (topics input and output)`,
    'Next:',
    ...next.map(([command, what]) => `  ${`bin/playground ${command}${option}`.padEnd(width)}${what}`),
  ];
  lines.forEach((line) => ctx.say(line));
}

/**
 * `down [-v]`: stops the generator and the verifier, the JobManager (the job's checkpoints stay: they are retained on
 * cancellation), the TaskManagers and Kafka, each with SIGTERM and SIGKILL after a grace period, whatever was killed
 * before. Without -v the data stays and the next `up` resumes; with -v the data directory is removed.
 */
export async function down(cli: CommandLine, say: (line: string) => void): Promise<void> {
  const dir = new PlaygroundDir(cli.dataDir);
  const state = dir.readState();
  if (!state) {
    say(existsSync(dir.root) ? `${dir.root} is not a playground's data directory (no playground.json): nothing to stop or remove.` : `There is no playground in ${dir.root}.`);
    return;
  }
  const ctx = new PlaygroundContext(dir, state, say);
  await rememberJob(ctx);
  const all = components(ctx);
  const order: Array<Exclude<ComponentName, 'client'>> = ['clickevent-generator', 'verifier', 'jobmanager', 'taskmanager', 'kafka', 'zookeeper'];
  for (const name of order) {
    const live = all[name].instances().filter((i) => i.running);
    if (live.length === 0) continue;
    const names = live.map((i) => i.name).join(', ');
    say(`Stopping ${names} ...`);
    await all[name].down();
    say(`Stopped ${names}`);
  }
  for (const scratch of [dir.pid, dir.run, dir.tmp, join(dir.kafka, 'kafka.pid'), join(dir.zookeeper, 'zookeeper.pid')]) rmSync(scratch, { recursive: true, force: true });
  if (cli.removeData) {
    rmSync(dir.root, { recursive: true, force: true });
    say(`Removed ${dir.root}`);
  } else {
    delete state.client;
    dir.writeState(state);
    say(`The data stays in ${dir.root}: the next 'up' resumes the job from its latest checkpoint.`);
  }
}
