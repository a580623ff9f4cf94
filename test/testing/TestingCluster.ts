import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestingNetwork } from './netns/TestingNetwork.js';
import { REPO_ROOT, testDir } from './testRun.js';
import { waitFor } from './waitFor.js';

/** Every process group a test started, killed when the test process ends however it ends. */
const liveGroups = new Set<number>();
function killAllGroups(): void {
  for (const pid of liveGroups) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  liveGroups.clear();
}
process.on('exit', killAllGroups);
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  process.once(signal, () => {
    killAllGroups();
    process.kill(process.pid, signal);
  });
}

export type Component = 'standalonesession' | 'taskexecutor';

/** Where a process runs: a test host (a network namespace of a TestingNetwork), or this machine's loopback if unset. */
export interface OnHost {
  network: TestingNetwork;
  host: string;
}

/**
 * The environment for cluster processes: the test's own, without tap's process-info and coverage hooks, which tap
 * passes to child processes through NODE_OPTIONS. Cluster processes run as they do in production; coverage is measured
 * for the code the test process runs itself.
 */
export function clusterProcessEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  delete env.NODE_V8_COVERAGE;
  for (const key of Object.keys(env)) if (key.startsWith('TAP') || key.startsWith('_TAPJS')) delete env[key];
  return env;
}

/** A JobManager or TaskManager started through bin/jobmanager.sh / bin/taskmanager.sh start-foreground. */
export class ClusterProcess {
  output = '';
  readonly exited: Promise<number | null>;

  constructor(
    readonly component: Component,
    readonly child: ChildProcess,
    readonly workDir: string,
  ) {
    child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
    this.exited = new Promise((resolve) => child.once('exit', (code) => {
      liveGroups.delete(child.pid!);
      resolve(code);
    }));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** The ports file the process writes once it has bound its servers. */
  async ports(timeoutMs = 30_000): Promise<Record<string, any>> {
    return waitFor(`${this.component} ports file in ${this.workDir}`, () => {
      if (this.child.exitCode !== null) throw new Error(`${this.component} exited with ${this.child.exitCode}:\n${this.output}`);
      const file = readdirSync(this.workDir).find((f) => f.endsWith('.ports.json'));
      return file ? (JSON.parse(readFileSync(join(this.workDir, file), 'utf8')) as Record<string, any>) : undefined;
    }, { timeoutMs });
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }

  /** SIGTERM and wait for the exit code. */
  async stop(): Promise<number | null> {
    this.kill('SIGTERM');
    return this.exited;
  }
}

/**
 * A cluster of real processes in its own directory: configuration copied from conf/, own pid, log and working
 * directories, servers on free loopback ports.
 */
export class TestingCluster {
  readonly dir = testDir('cluster');
  readonly confDir = join(this.dir, 'conf');
  readonly logDir = join(this.dir, 'log');
  readonly pidDir = join(this.dir, 'pid');
  /** `execution.checkpointing.dir` of this cluster: checkpoints of job J are in `<checkpointDir>/J/chk-N`. */
  readonly checkpointDir = join(this.dir, 'checkpoints');
  readonly processes: ClusterProcess[] = [];
  private counter = 0;

  constructor() {
    mkdirSync(this.confDir, { recursive: true });
    copyFileSync(join(REPO_ROOT, 'conf', 'config.yaml'), join(this.confDir, 'config.yaml'));
    // Working files of killed processes stay inside the test run's directory, which the run's 'after' step removes.
    appendFileSync(
      join(this.confDir, 'config.yaml'),
      [
        '',
        `io.tmp.dirs: ${join(this.dir, 'tmp')}`,
        `web.tmpdir: ${join(this.dir, 'tmp')}`,
        `execution.checkpointing.dir: file://${this.checkpointDir}`,
        `execution.checkpointing.savepoint-dir: file://${join(this.dir, 'savepoints')}`,
        '',
      ].join('\n'),
    );
  }

  start(component: Component, args: string[] = [], on?: OnHost): ClusterProcess {
    const workDir = join(this.dir, `${component}-${this.counter++}`);
    mkdirSync(workDir, { recursive: true });
    const script = join(REPO_ROOT, 'bin', component === 'standalonesession' ? 'jobmanager.sh' : 'taskmanager.sh');
    const options: SpawnOptions = {
      cwd: workDir,
      env: { ...clusterProcessEnv(), FLINK_CONF_DIR: this.confDir, FLINK_LOG_DIR: this.logDir, FLINK_PID_DIR: this.pidDir },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    };
    const child = on ? on.network.spawn(on.host, script, ['start-foreground', ...args], options) : spawn(script, ['start-foreground', ...args], options);
    liveGroups.add(child.pid!);
    const proc = new ClusterProcess(component, child, workDir);
    this.processes.push(proc);
    return proc;
  }

  /** A JobManager on free ports (unless args say otherwise); resolves once it announced its ports. */
  /**
   * A JobManager on free ports (unless args say otherwise); resolves once it announced its ports. On a test host, it
   * binds and advertises the host's address (jobmanager.rpc.address, jobmanager.bind-host, rest.address,
   * rest.bind-address).
   */
  async startJobManager(
    args: string[] = [],
    on?: OnHost,
  ): Promise<{ process: ClusterProcess; address: string; rpcPort: number; restPort: number; restUrl: string }> {
    const address = on ? on.network.host(on.host).address : '127.0.0.1';
    const hostArgs = on
      ? ['-D', `jobmanager.rpc.address=${address}`, '-D', `jobmanager.bind-host=${address}`, '-D', `rest.address=${address}`, '-D', `rest.bind-address=${address}`]
      : [];
    const proc = this.start('standalonesession', ['-D', 'jobmanager.rpc.port=0', '-D', 'rest.port=0', ...hostArgs, ...args], on);
    const ports = await proc.ports();
    return { process: proc, address, rpcPort: ports.rpc, restPort: ports.rest, restUrl: `http://${address}:${ports.rest}` };
  }

  /**
   * A TaskManager of the JobManager at `jobManager` (its RPC port, on loopback, or its address and port). On a test
   * host, it binds and advertises the host's address (taskmanager.host, taskmanager.bind-host).
   */
  async startTaskManager(
    jobManager: number | { address: string; rpcPort: number },
    args: string[] = [],
    on?: OnHost,
  ): Promise<{ process: ClusterProcess; resourceId: string }> {
    const jm = typeof jobManager === 'number' ? { address: undefined, rpcPort: jobManager } : jobManager;
    const address = on?.network.host(on.host).address;
    const hostArgs = [
      ...(jm.address ? ['-D', `jobmanager.rpc.address=${jm.address}`] : []),
      ...(address ? ['-D', `taskmanager.host=${address}`, '-D', `taskmanager.bind-host=${address}`] : []),
    ];
    const proc = this.start('taskexecutor', ['-D', `jobmanager.rpc.port=${jm.rpcPort}`, ...hostArgs, ...args], on);
    const ports = await proc.ports();
    return { process: proc, resourceId: ports.resourceId };
  }

  logFiles(): string[] {
    return existsSync(this.logDir) ? readdirSync(this.logDir) : [];
  }

  readLog(name: string): string {
    return readFileSync(join(this.logDir, name), 'utf8');
  }

  async close(): Promise<void> {
    for (const proc of this.processes) proc.kill('SIGKILL');
    await Promise.all(this.processes.map((p) => p.exited));
  }
}
