import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PortSettings } from './commandLine.js';
import { BASE_CONFIG } from './paths.js';

export const DEFAULT_PORTS: Omit<PortSettings, 'kafkaController'> = { zookeeper: 2181, kafka: 9092, rest: 8081, rpc: 6123, verifier: 8082 };

/** With HA, the second JobManager's REST port is the first one's plus this. */
export const STANDBY_REST_PORT_OFFSET = 2;

/** What `up` recorded and later commands use. */
export interface PlaygroundState {
  ports: PortSettings;
  /** Click events per second; undefined: Flink's pace. */
  generatorRate: number | undefined;
  /** High availability: ZooKeeper and two JobManagers (`up --ha`). */
  ha?: boolean;
  /** TaskManagers `up` runs (`scale taskmanager=N` changes it). */
  taskmanagers: number;
  /** Parallelism of the job when the playground went down, so `up` resumes it as it was. */
  parallelism?: number;
  /** The last submission of the job by `up` (the playground's "client" container). */
  client?: { exitCode: number; jobId?: string; restoredFrom?: string };
}

/**
 * Everything of one playground lives in one directory: the configuration (conf/), logs (log/), pid files (pid/), the
 * processes' working directory with their ports files (run/), Kafka's data (kafka/), checkpoints, savepoints and the
 * TaskManagers' working files (tmp/), and playground.json with what `up` recorded.
 */
export class PlaygroundDir {
  readonly conf: string;
  readonly log: string;
  readonly pid: string;
  readonly run: string;
  readonly kafka: string;
  readonly zookeeper: string;
  readonly ha: string;
  readonly checkpoints: string;
  readonly savepoints: string;
  readonly tmp: string;
  private readonly stateFile: string;

  constructor(readonly root: string) {
    this.conf = join(root, 'conf');
    this.log = join(root, 'log');
    this.pid = join(root, 'pid');
    this.run = join(root, 'run');
    this.kafka = join(root, 'kafka');
    this.zookeeper = join(root, 'zookeeper');
    this.ha = join(root, 'ha');
    this.checkpoints = join(root, 'checkpoints');
    this.savepoints = join(root, 'savepoints');
    this.tmp = join(root, 'tmp');
    this.stateFile = join(root, 'playground.json');
  }

  readState(): PlaygroundState | undefined {
    if (!existsSync(this.stateFile)) return undefined;
    return JSON.parse(readFileSync(this.stateFile, 'utf8')) as PlaygroundState;
  }

  writeState(state: PlaygroundState): void {
    const tmp = `${this.stateFile}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
    renameSync(tmp, this.stateFile);
  }

  /** Creates the directories and writes conf/config.yaml: tsflink's conf/config.yaml plus the playground's keys. */
  prepare(state: PlaygroundState): void {
    for (const dir of [this.conf, this.log, this.pid, this.run, this.kafka, this.checkpoints, this.savepoints, this.tmp]) mkdirSync(dir, { recursive: true });
    const keys: Record<string, string | number> = {
      'jobmanager.rpc.port': state.ports.rpc,
      'rest.port': state.ports.rest,
      'execution.checkpointing.dir': `file://${this.checkpoints}`,
      'execution.checkpointing.savepoint-dir': `file://${this.savepoints}`,
      // Checkpoints must outlive the job: `down` cancels it, and the next `up` resumes from its latest checkpoint.
      'execution.checkpointing.externalized-checkpoint-retention': 'RETAIN_ON_CANCELLATION',
      'io.tmp.dirs': this.tmp,
      'web.tmpdir': this.tmp,
      'playground.verifier.url': `http://127.0.0.1:${state.ports.verifier}`,
    };
    if (state.ha) {
      Object.assign(keys, {
        'high-availability.type': 'zookeeper',
        'high-availability.zookeeper.quorum': `127.0.0.1:${state.ports.zookeeper}`,
        'high-availability.storageDir': `file://${this.ha}`,
        'high-availability.cluster-id': '/playground',
        // Flink's default is 60 s; the playground shows a failover in about 10.
        'high-availability.zookeeper.client.session-timeout': '10 s',
      });
    }
    const lines = Object.entries(keys).map(([key, value]) => `${key}: ${typeof value === 'number' ? value : JSON.stringify(value)}`);
    const text = `${readFileSync(BASE_CONFIG, 'utf8').trimEnd()}\n\n# The playground's keys (written by bin/playground).\n${lines.join('\n')}\n`;
    writeFileSync(join(this.conf, 'config.yaml'), text);
  }
}
