import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { OutputVerifier, type VerifierReport } from './OutputVerifier.js';
import { splitHostPort } from '../../common/net/HostAndPort.js';

export interface OutputVerifierOptions {
  bootstrapServers: string;
  topic: string;
  host: string;
  port: number;
  /** bin/kafka.sh: its console consumer reads the topic (kafkajs 2.2.4 can deliver records of aborted transactions). */
  kafkaScript: string;
  log: (line: string) => void;
}

const RESTART_DELAY_MS = 2000;
const PROBE_INTERVAL_MS = 2000;

/**
 * The verifier's process: Kafka's console consumer reads the topic read_committed from the beginning into an
 * {@link OutputVerifier}, and an HTTP server answers every GET with its report. The report is RUNNING while the
 * consumer runs and the broker accepts connections, else UNAVAILABLE. A consumer that exits is started again after a
 * pause, with fresh totals (it reads everything again).
 */
export class OutputVerifierService {
  private verifier = new OutputVerifier();
  private consumer: ChildProcess | undefined;
  private brokerReachable = false;
  private closed = false;
  private readonly server: Server;
  private readonly timers: NodeJS.Timeout[] = [];
  private lastLogged = '';

  constructor(private readonly options: OutputVerifierOptions) {
    this.server = createServer((request, response) => {
      const found = request.method === 'GET';
      response.writeHead(found ? 200 : 404, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify(found ? this.report() : { errors: ['Only GET is served.'] }));
    });
  }

  async start(): Promise<number> {
    const { host, port } = this.options;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    const address = this.server.address();
    const bound = typeof address === 'object' && address ? address.port : port;
    this.startConsumer();
    void this.probeBroker();
    this.timers.push(setInterval(() => void this.probeBroker(), PROBE_INTERVAL_MS));
    this.timers.push(setInterval(() => this.logTotals(), 10_000));
    return bound;
  }

  report(): VerifierReport {
    const running = this.consumer !== undefined && this.brokerReachable;
    return this.verifier.report(running ? 'RUNNING' : 'UNAVAILABLE', this.options.topic);
  }

  close(): void {
    this.closed = true;
    this.timers.forEach(clearInterval);
    this.server.close();
    if (this.consumer?.pid) killTree(this.consumer.pid);
  }

  private startConsumer(): void {
    const { bootstrapServers, topic, kafkaScript, log } = this.options;
    const args = ['console-consumer', '--bootstrap-server', bootstrapServers, '--topic', topic, '--from-beginning', '--isolation-level', 'read_committed'];
    const consumer = spawn(kafkaScript, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.consumer = consumer;
    log(`Reading ${topic} from ${bootstrapServers} (read_committed, from the beginning) with Kafka's console consumer (pid ${consumer.pid}).`);
    createInterface({ input: consumer.stdout! }).on('line', (line) => {
      try {
        this.verifier.add(line);
      } catch (error) {
        log(`Skipping a record of ${topic}: ${(error as Error).message}`);
      }
    });
    createInterface({ input: consumer.stderr! }).on('line', (line) => log(`console-consumer: ${line}`));
    consumer.once('exit', (code, signal) => {
      this.consumer = undefined;
      if (this.closed) return;
      log(`The console consumer exited (${signal ?? `code ${code}`}); reading ${topic} again from the beginning in ${RESTART_DELAY_MS} ms.`);
      this.timers.push(
        setTimeout(() => {
          if (this.closed) return;
          this.verifier = new OutputVerifier();
          this.startConsumer();
        }, RESTART_DELAY_MS),
      );
    });
  }

  private async probeBroker(): Promise<void> {
    const [host, port] = splitHostPort(this.options.bootstrapServers.split(',')[0]!);
    this.brokerReachable = await new Promise<boolean>((resolve) => {
      const socket = connect({ host, port, timeout: 1000 });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('timeout', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(false));
    });
  }

  private logTotals(): void {
    const { status, windows, 'latest-window-end': latest } = this.report();
    const line = `${status}: ${windows.ok} ok, ${windows.wrong} wrong, ${windows.missing} missing, ${windows.duplicate} duplicate windows; latest window end ${latest}`;
    if (line !== this.lastLogged) this.options.log(line);
    this.lastLogged = line;
  }
}

/** SIGTERMs a process and its descendants: kafka.sh runs the consumer's JVM as a child of bash. */
function killTree(pid: number): void {
  for (const child of childrenOf(pid)) killTree(child);
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    // gone already
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
