import { hostname, userInfo } from 'node:os';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LogSink, Logger, parseLogLevel } from '../Logger.js';

/** Flink's daemon names, used in log file names: `flink-<user>-<component>-<n>-<host>.log`. */
export type ClusterComponent = 'standalonesession' | 'taskexecutor';

/**
 * What a cluster process knows about itself before it reads any configuration: its daemon index (set by
 * bin/flink-daemon.sh as TSFLINK_DAEMON_ID, 0 when started by hand), where it logs, and where it announces its ports.
 */
export class ProcessContext {
  readonly daemonId: number;
  readonly logFile: string;
  readonly portsFile: string;
  readonly sink: LogSink;
  readonly log: Logger;

  constructor(
    readonly component: ClusterComponent,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.daemonId = Number.parseInt(env.TSFLINK_DAEMON_ID ?? '0', 10) || 0;
    const user = env.FLINK_IDENT_STRING ?? env.USER ?? safeUserName();
    const logDir = resolve(env.FLINK_LOG_DIR ?? 'log');
    this.logFile = join(logDir, `flink-${user}-${component}-${this.daemonId}-${hostname()}.log`);
    this.portsFile = resolve(`${component}-${this.daemonId}.ports.json`);
    const foreground = env.TSFLINK_FOREGROUND === 'true';
    this.sink = new LogSink(this.logFile, foreground, parseLogLevel(env.TSFLINK_LOG_LEVEL));
    this.log = new Logger(this.sink, component);
  }

  /**
   * Writes the ports this process bound, atomically (write then rename), so a reader never sees half a file.
   * Scripts and tests read it instead of racing the log.
   */
  announcePorts(ports: Record<string, number | string>): void {
    const tmp = `${this.portsFile}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify({ pid: process.pid, ...ports })}\n`);
    renameSync(tmp, this.portsFile);
    this.log.info(`Bound ports: ${Object.entries(ports).map(([k, v]) => `${k}=${v}`).join(', ')} (written to ${this.portsFile})`);
  }

  removePortsFile(): void {
    rmSync(this.portsFile, { force: true });
  }
}

function safeUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
