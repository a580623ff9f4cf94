import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Kafka, logLevel } from '../../connectors/kafka/kafkajs.js';
import { pollUntil } from '../../common/retry.js';
import { JOB_MANAGER_ROLE_HEADER } from '../../common/http/jobManagerRole.js';
import type { ComponentName } from './commandLine.js';
import { BIN_DIR, GENERATOR_ENTRY, VERIFIER_ENTRY } from './paths.js';
import { STANDBY_REST_PORT_OFFSET, type PlaygroundDir, type PlaygroundState } from './PlaygroundDir.js';
import { getJson, isAlive, isRunning, readPid, run, signal, startDaemon, terminate } from './processes.js';

const TOPICS = ['input', 'output'];
const START_TIMEOUT_MS = 90_000;

/** One process of a component, as `ps` shows it. */
export interface Instance {
  /** `kafka`, `jobmanager`, `taskmanager-1`, … */
  name: string;
  pid: number;
  running: boolean;
  ports: string;
}

/** What components need: the directory, the recorded settings, the environment of every process, and output. */
export class PlaygroundContext {
  readonly env: NodeJS.ProcessEnv;

  constructor(
    readonly dir: PlaygroundDir,
    readonly state: PlaygroundState,
    readonly say: (line: string) => void,
  ) {
    this.env = {
      ...process.env,
      FLINK_CONF_DIR: dir.conf,
      FLINK_LOG_DIR: dir.log,
      FLINK_PID_DIR: dir.pid,
      KAFKA_PORT: String(state.ports.kafka),
      KAFKA_CONTROLLER_PORT: String(state.ports.kafkaController),
      KAFKA_DATA_DIR: dir.kafka,
    };
  }

  get bootstrapServers(): string {
    return `127.0.0.1:${this.state.ports.kafka}`;
  }

  get restUrl(): string {
    return `http://127.0.0.1:${this.state.ports.rest}`;
  }

  /** The REST ports of the JobManagers: one, or with HA the leader's candidates. */
  get restPorts(): number[] {
    const { rest } = this.state.ports;
    return this.state.ha ? [rest, rest + STANDBY_REST_PORT_OFFSET] : [rest];
  }

  /** The REST address of the leading JobManager (with HA, whichever answers as the leader), waiting for one. */
  async leaderRestUrl(timeoutMs = START_TIMEOUT_MS): Promise<string> {
    if (!this.state.ha) return this.restUrl;
    return pollUntil(
      async () => {
        for (const port of this.restPorts) {
          const url = `http://127.0.0.1:${port}`;
          // A standby answers too (it forwards to the leader); the leader says it is the one.
          const leads = await fetch(`${url}/overview`, { signal: AbortSignal.timeout(1000) }).then(
            (r) => r.status === 200 && r.headers.get(JOB_MANAGER_ROLE_HEADER) === 'leader',
            () => false,
          );
          if (leads) return url;
        }
        return undefined;
      },
      { initialDelayMs: 200, deadline: Date.now() + timeoutMs, description: `a leading JobManager (${timeoutMs / 1000} s)` },
    );
  }
}

/** A component that runs as processes (every one but the client). */
export interface ProcessComponent {
  readonly name: Exclude<ComponentName, 'client'>;
  /** The recorded processes, running or not (those that exited show as exited until the component starts again). */
  instances(): Instance[];
  /** Starts what is missing (`count` processes for TaskManagers); says what it did. */
  up(count?: number): Promise<void>;
  /** Stops every process of the component: SIGTERM, then SIGKILL after a grace period. */
  down(): Promise<void>;
  /** SIGKILLs one instance or all of them. */
  kill(instance?: string): Instance[];
  /** Log files by instance name. */
  logFiles(): LogFile[];
}

export interface LogFile {
  name: string;
  file: string;
}

/** How start-up waits poll: every 200 ms for up to START_TIMEOUT_MS. */
function startPoll(description: string) {
  return { initialDelayMs: 200, deadline: Date.now() + START_TIMEOUT_MS, description: `${description} (${START_TIMEOUT_MS / 1000} s)` };
}

function list(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir) : [];
}

function running(component: ProcessComponent): Instance[] {
  return component.instances().filter((i) => i.running);
}

function tail(file: string, lines = 20): string {
  return existsSync(file) ? readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '';
}

/** The ZooKeeper of bin/zookeeper.sh, with `up --ha`. */
export class ZooKeeperComponent implements ProcessComponent {
  readonly name = 'zookeeper';
  private readonly pidFile: string;

  constructor(private readonly ctx: PlaygroundContext) {
    this.pidFile = join(ctx.dir.zookeeper, 'zookeeper.pid');
  }

  private get env(): NodeJS.ProcessEnv {
    return { ...this.ctx.env, ZOOKEEPER_PORT: String(this.ctx.state.ports.zookeeper), ZOOKEEPER_DATA_DIR: this.ctx.dir.zookeeper };
  }

  instances(): Instance[] {
    const pid = readPid(this.pidFile);
    if (!pid) return [];
    return [{ name: 'zookeeper', pid, running: isRunning(pid, 'QuorumPeerMain'), ports: `127.0.0.1:${this.ctx.state.ports.zookeeper}` }];
  }

  async up(): Promise<void> {
    if (running(this).length > 0) {
      this.ctx.say('zookeeper is up-to-date');
      return;
    }
    const started = await run(join(BIN_DIR, 'zookeeper.sh'), ['start'], { env: this.env });
    if (started.code !== 0) throw new Error(`ZooKeeper did not start:\n${started.output.trimEnd()}`);
    this.ctx.say(`Started zookeeper (pid ${readPid(this.pidFile)}) on 127.0.0.1:${this.ctx.state.ports.zookeeper}`);
  }

  async down(): Promise<void> {
    const stopped = await run(join(BIN_DIR, 'zookeeper.sh'), ['stop'], { env: this.env });
    if (stopped.code !== 0) throw new Error(`Could not stop ZooKeeper:\n${stopped.output.trimEnd()}`);
  }

  kill(): Instance[] {
    const victims = running(this);
    victims.forEach((i) => signal(i.pid, 'SIGKILL'));
    return victims;
  }

  logFiles(): LogFile[] {
    return [{ name: 'zookeeper', file: join(this.ctx.dir.zookeeper, 'zookeeper.log') }];
  }
}

/** The single-node Kafka of bin/kafka.sh, with the playground's topics. */
export class KafkaComponent implements ProcessComponent {
  readonly name = 'kafka';
  private readonly pidFile: string;

  constructor(private readonly ctx: PlaygroundContext) {
    this.pidFile = join(ctx.dir.kafka, 'kafka.pid');
  }

  instances(): Instance[] {
    const pid = readPid(this.pidFile);
    if (!pid) return [];
    const { kafka, kafkaController } = this.ctx.state.ports;
    return [{ name: 'kafka', pid, running: isRunning(pid, 'kafka.Kafka'), ports: `127.0.0.1:${kafka} (broker), 127.0.0.1:${kafkaController} (controller)` }];
  }

  async up(): Promise<void> {
    if (running(this).length > 0) this.ctx.say('kafka is up-to-date');
    else {
      const started = await run(join(BIN_DIR, 'kafka.sh'), ['start'], { env: this.ctx.env });
      if (started.code !== 0) throw new Error(`Kafka did not start:\n${started.output.trimEnd()}`);
      this.ctx.say(`Started kafka (pid ${readPid(this.pidFile)}) on ${this.ctx.bootstrapServers}`);
    }
    await this.createTopics();
  }

  private async createTopics(): Promise<void> {
    const admin = new Kafka({ clientId: 'playground', brokers: [this.ctx.bootstrapServers], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const existing = await admin.listTopics();
      const missing = TOPICS.filter((t) => !existing.includes(t));
      if (missing.length === 0) return;
      await admin.createTopics({ topics: missing.map((topic) => ({ topic, numPartitions: 2, replicationFactor: 1 })), waitForLeaders: true });
      this.ctx.say(`Created topics ${missing.join(' and ')} (2 partitions each)`);
    } finally {
      await admin.disconnect();
    }
  }

  async down(): Promise<void> {
    const stopped = await run(join(BIN_DIR, 'kafka.sh'), ['stop'], { env: this.ctx.env });
    if (stopped.code !== 0) throw new Error(`Could not stop Kafka:\n${stopped.output.trimEnd()}`);
  }

  kill(): Instance[] {
    const victims = running(this);
    victims.forEach((i) => signal(i.pid, 'SIGKILL'));
    return victims;
  }

  logFiles(): LogFile[] {
    return [{ name: 'kafka', file: join(this.ctx.dir.kafka, 'kafka.log') }];
  }
}

/**
 * The JobManager or the TaskManagers, started by bin/jobmanager.sh / bin/taskmanager.sh (flink-daemon.sh) with the
 * playground's FLINK_CONF_DIR, FLINK_LOG_DIR and FLINK_PID_DIR, working in run/ where they write their ports files.
 * Instance n is the daemon with id n - 1 (flink-daemon.sh numbers from 0, docker-compose from 1).
 */
export class FlinkDaemonComponent implements ProcessComponent {
  private readonly daemon: 'standalonesession' | 'taskexecutor';
  private readonly marker: string;

  constructor(
    readonly name: 'jobmanager' | 'taskmanager',
    private readonly ctx: PlaygroundContext,
  ) {
    this.daemon = name === 'jobmanager' ? 'standalonesession' : 'taskexecutor';
    this.marker = name === 'jobmanager' ? 'master/main.js' : 'taskmanager/main.js';
  }

  /** The lines `<pid> <id>` of flink-daemon.sh's pid file. */
  private pidFile(): string | undefined {
    const name = list(this.ctx.dir.pid).find((f) => new RegExp(`^flink-.+-${this.daemon}\\.pid$`).test(f));
    return name && join(this.ctx.dir.pid, name);
  }

  private daemons(): Array<{ pid: number; id: number }> {
    const pidFile = this.pidFile();
    if (!pidFile) return [];
    const lines = readFileSync(pidFile, 'utf8').split('\n').filter((l) => l.trim() !== '');
    return lines.map((line) => {
      const [pid, id] = line.trim().split(/\s+/).map(Number) as [number, number];
      return { pid, id };
    });
  }

  instances(): Instance[] {
    return this.daemons().map(({ pid, id }) => ({
      name: this.instanceName(id),
      pid,
      running: isRunning(pid, this.marker),
      ports: this.ports(id, pid),
    }));
  }

  private ports(id: number, pid: number): string {
    const announced = this.announced(id, pid);
    if (this.name === 'taskmanager') return announced ? `127.0.0.1:${announced.rpc} (rpc)` : '';
    if (!this.ctx.state.ha) return `127.0.0.1:${this.ctx.state.ports.rest} (rest), 127.0.0.1:${this.ctx.state.ports.rpc} (rpc)`;
    return announced ? `127.0.0.1:${announced.rest} (rest), 127.0.0.1:${announced.rpc} (rpc)` : '';
  }

  /** With HA, the running JobManager whose REST answers as the leader's. */
  async leader(): Promise<Instance | undefined> {
    if (this.name !== 'jobmanager') return undefined;
    const url = await this.ctx.leaderRestUrl(5000).catch(() => undefined);
    if (!url) return undefined;
    const port = Number(new URL(url).port);
    return running(this).find((i) => i.ports.startsWith(`127.0.0.1:${port} `));
  }

  /** The ports file of daemon `id`, if the process `pid` wrote it (a killed process leaves its file behind). */
  private announced(id: number, pid: number): Record<string, number | string> | undefined {
    try {
      const ports = JSON.parse(readFileSync(join(this.ctx.dir.run, `${this.daemon}-${id}.ports.json`), 'utf8')) as Record<string, number | string>;
      return ports.pid === pid ? ports : undefined;
    } catch {
      return undefined;
    }
  }

  async up(count = 1): Promise<void> {
    const live = running(this);
    if (live.length >= count) {
      this.ctx.say(live.length === 1 ? `${live[0]!.name} is up-to-date` : `${live.map((i) => i.name).join(', ')} are up-to-date`);
      return;
    }
    if (this.name === 'jobmanager' && this.ctx.state.ha) {
      // With HA, each JobManager on a REST port of its own: those no running one uses.
      const used = new Set(live.map((i) => Number(/^127\.0\.0\.1:(\d+) \(rest\)/.exec(i.ports)?.[1])));
      for (const port of this.ctx.restPorts.filter((p) => !used.has(p)).slice(0, count - live.length)) this.ctx.say(`Started ${await this.startOne(port)}`);
      return;
    }
    const started = await Promise.all(Array.from({ length: count - live.length }, () => this.startOne()));
    for (const name of started) this.ctx.say(`Started ${name}`);
  }

  /** Starts one daemon and waits until it announced its ports (it serves then). */
  private async startOne(restPort?: number): Promise<string> {
    const script = join(BIN_DIR, this.name === 'jobmanager' ? 'jobmanager.sh' : 'taskmanager.sh');
    const args = restPort === undefined ? ['start'] : ['start', '-D', `rest.port=${restPort}`];
    const started = await run(script, args, { env: this.ctx.env, cwd: this.ctx.dir.run, detached: true });
    const pid = Number(/\(pid: (\d+)\)/.exec(started.output)?.[1]);
    const daemon = this.daemons().find((d) => d.pid === pid);
    if (started.code !== 0 || !daemon) throw new Error(`${script} start failed:\n${started.output.trimEnd()}`);
    await pollUntil(
      async () => {
        // Alive, not isRunning: until the shell that flink-daemon.sh forked has exec'd node, its command line is the shell's.
        if (!isAlive(pid)) throw new Error(`The ${this.name} (pid ${pid}) exited during start-up:\n${this.startupOutput(daemon.id)}`);
        return this.announced(daemon.id, pid) !== undefined ? true : undefined;
      },
      startPoll(`the ${this.name} (pid ${pid}) to bind its ports`),
    );
    return `${this.instances().find((i) => i.pid === pid)!.name} (pid ${pid})`;
  }

  /** The end of what daemon `id` printed (flink-daemon.sh's .out file): start-up errors are there. */
  private startupOutput(id: number): string {
    const out = list(this.ctx.dir.log).find((f) => f.endsWith('.out') && f.includes(`-${this.daemon}-${id}-`));
    return out ? tail(join(this.ctx.dir.log, out)) : '';
  }

  async down(): Promise<void> {
    await this.stop(this.instances());
  }

  /** Stops the given instances of this component. */
  /** Stops the given instances and drops them from the pid file, as `docker-compose scale` removes containers. */
  async stop(instances: Instance[]): Promise<void> {
    await Promise.all(instances.filter((i) => i.running).map((i) => terminate(i.pid, this.marker)));
    const pidFile = this.pidFile();
    if (!pidFile) return;
    const stopped = new Set(instances.map((i) => i.pid));
    const kept = this.daemons().filter((d) => !stopped.has(d.pid));
    writeFileSync(pidFile, kept.map((d) => `${d.pid} ${d.id}\n`).join(''));
  }

  kill(instance?: string): Instance[] {
    const victims = running(this).filter((i) => instance === undefined || i.name === instance);
    victims.forEach((i) => signal(i.pid, 'SIGKILL'));
    return victims;
  }

  logFiles(): LogFile[] {
    const pattern = new RegExp(`^flink-.+-${this.daemon}-(\\d+)-.+\\.log$`);
    return list(this.ctx.dir.log)
      .map((f) => ({ f, id: Number(pattern.exec(f)?.[1] ?? -1) }))
      .filter(({ id }) => id >= 0)
      .sort((a, b) => a.id - b.id)
      .map(({ f, id }) => ({ name: this.instanceName(id), file: join(this.ctx.dir.log, f) }));
  }

  private instanceName(id: number): string {
    return this.name === 'jobmanager' && !this.ctx.state.ha ? 'jobmanager' : `${this.name}-${id + 1}`;
  }
}

/**
 * A Node process the playground starts itself (the click-event generator, the output verifier): its own session and
 * process group, so stopping or killing it takes its children along (the verifier's console consumer).
 */
export class NodeDaemonComponent implements ProcessComponent {
  private readonly pidFile: string;
  private readonly marker: string;

  constructor(
    readonly name: 'clickevent-generator' | 'verifier',
    private readonly ctx: PlaygroundContext,
  ) {
    this.pidFile = join(ctx.dir.pid, `${name}.pid`);
    this.marker = basename(this.entry());
  }

  private entry(): string {
    return this.name === 'verifier' ? VERIFIER_ENTRY : GENERATOR_ENTRY;
  }

  private args(): string[] {
    const { bootstrapServers, state } = this.ctx;
    if (this.name === 'verifier') return ['--bootstrap.servers', bootstrapServers, '--topic', 'output', '--port', String(state.ports.verifier)];
    const rate = state.generatorRate === undefined ? [] : ['--rate', String(state.generatorRate)];
    return ['--bootstrap.servers', bootstrapServers, '--topic', 'input', '--resume', ...rate];
  }

  instances(): Instance[] {
    const pid = readPid(this.pidFile);
    if (!pid) return [];
    const ports = this.name === 'verifier' ? `127.0.0.1:${this.ctx.state.ports.verifier} (http)` : '';
    return [{ name: this.name, pid, running: isRunning(pid, this.marker), ports }];
  }

  async up(): Promise<void> {
    if (running(this).length > 0) {
      this.ctx.say(`${this.name} is up-to-date`);
      return;
    }
    const pid = startDaemon(process.execPath, [this.entry(), ...this.args()], this.logFiles()[0]!.file, this.ctx.env, this.ctx.dir.run);
    writeFileSync(this.pidFile, `${pid}\n`);
    if (this.name === 'verifier') {
      await pollUntil(
        async () => {
          if (!isRunning(pid, this.marker)) throw new Error(`The output verifier (pid ${pid}) exited during start-up:\n${tail(this.logFiles()[0]!.file)}`);
          return getJson(`http://127.0.0.1:${this.ctx.state.ports.verifier}/`, 1000).then(
            () => true,
            () => undefined,
          );
        },
        startPoll('the output verifier to serve its totals'),
      );
    }
    this.ctx.say(`Started ${this.name} (pid ${pid})`);
  }

  async down(): Promise<void> {
    for (const instance of running(this)) await terminate(instance.pid, this.marker, { group: true });
  }

  kill(): Instance[] {
    const victims = running(this);
    victims.forEach((i) => signal(i.pid, 'SIGKILL', true));
    return victims;
  }

  logFiles(): LogFile[] {
    return [{ name: this.name, file: join(this.ctx.dir.log, `${this.name}.log`) }];
  }
}

export interface Components {
  zookeeper: ZooKeeperComponent;
  kafka: KafkaComponent;
  jobmanager: FlinkDaemonComponent;
  taskmanager: FlinkDaemonComponent;
  'clickevent-generator': NodeDaemonComponent;
  verifier: NodeDaemonComponent;
}

export function components(ctx: PlaygroundContext): Components {
  return {
    zookeeper: new ZooKeeperComponent(ctx),
    kafka: new KafkaComponent(ctx),
    jobmanager: new FlinkDaemonComponent('jobmanager', ctx),
    taskmanager: new FlinkDaemonComponent('taskmanager', ctx),
    'clickevent-generator': new NodeDaemonComponent('clickevent-generator', ctx),
    verifier: new NodeDaemonComponent('verifier', ctx),
  };
}
