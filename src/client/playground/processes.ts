import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { httpRequest, parseJson } from '../../common/http/HttpClient.js';
import { pollUntil, PollTimeoutError } from '../../common/retry.js';

/** Whether `pid` is alive and its command line contains `marker` (a pid file may outlive its process). */
export function isRunning(pid: number | undefined, marker: string): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').includes(marker);
  } catch {
    return false;
  }
}

/**
 * Whether process `pid` exists and has not ended (a zombie has). Unlike isRunning it does not look at the command
 * line: right after `flink-daemon.sh start` the daemon's pid is still the shell that is about to exec node.
 */
export function isAlive(pid: number): boolean {
  try {
    const state = /^State:\s+(\S)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return state !== undefined && state !== 'Z';
  } catch {
    return false;
  }
}

export function readPid(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim().split(/\s+/)[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Sends a signal to a process, or with `group` to its process group; a process that is gone is not an error. */
export function signal(pid: number, name: NodeJS.Signals, group = false): void {
  try {
    process.kill(group ? -pid : pid, name);
  } catch {
    // gone already
  }
}

/** SIGTERM, then SIGKILL if the process still runs after `timeoutMs`. Resolves once it is gone. */
export async function terminate(pid: number, marker: string, { group = false, timeoutMs = 15_000 } = {}): Promise<void> {
  const gone = async () => (isRunning(pid, marker) ? undefined : true);
  signal(pid, 'SIGTERM', group);
  await pollUntil(gone, { initialDelayMs: 100, deadline: Date.now() + timeoutMs, description: `process ${pid} to exit` }).catch((error: unknown) => {
    if (!(error instanceof PollTimeoutError)) throw error;
  });
  if (group) signal(pid, 'SIGKILL', true);
  else if (isRunning(pid, marker)) signal(pid, 'SIGKILL');
  await pollUntil(gone, { initialDelayMs: 50, description: `process ${pid} to exit after SIGKILL` });
}

/** Runs a command to its end, collecting its output. */
export function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; detached?: boolean } = {}): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('close', (code, sig) => resolve({ code: code ?? (sig ? 128 : 1), output }));
  });
}

/** Runs a command with the terminal (stdin, stdout, stderr); resolves with its exit code. Ctrl-C is left to it. */
export function runInteractive(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: 'inherit' });
    const ignore = () => undefined;
    process.on('SIGINT', ignore);
    child.once('error', reject);
    child.once('exit', (code, sig) => {
      process.off('SIGINT', ignore);
      resolve(code ?? (sig === 'SIGINT' ? 130 : 1));
    });
  });
}

/**
 * Starts a long-running process in its own session and process group (it outlives this command, and stopping its
 * group stops its children too), output appended to `logFile`. Returns its pid.
 */
export function startDaemon(command: string, args: string[], logFile: string, env: NodeJS.ProcessEnv, cwd: string): number {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(command, args, { env, cwd, detached: true, stdio: ['ignore', fd, fd] });
    child.unref();
    return child.pid!;
  } finally {
    closeSync(fd);
  }
}

/** Whether nothing listens on 127.0.0.1:`port` (binding it is the only sure test). */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** GET a JSON document; connecting and the answer may take `timeoutMs` each. */
export async function getJson<T>(url: string, timeoutMs = 3000): Promise<T> {
  const response = await httpRequest(url, { connectTimeoutMs: timeoutMs, responseTimeoutMs: timeoutMs });
  if (response.status < 200 || response.status >= 300) throw new Error(`GET ${url}: HTTP ${response.status}`);
  return parseJson<T>(response);
}
