// The playground's process helpers (src/client/playground/processes.ts): they act on real child processes.
import t from 'tap';
import { spawn } from 'node:child_process';
import { isAlive, isRunning, terminate } from '../../src/client/playground/processes.js';

t.test('terminate: SIGTERM, then SIGKILL after the grace period; resolves once the process is gone', async (t) => {
  const marker = 'tsflink-terminate-test';
  // A process that ignores SIGTERM, so only the SIGKILL after the grace period ends it.
  const script = `process.on('SIGTERM', () => {}); setInterval(() => {}, 1000); console.log('ready'); // ${marker}`;
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'ignore'], env });
  t.teardown(() => child.kill('SIGKILL'));
  await new Promise((resolve) => child.stdout.once('data', resolve));
  t.ok(isRunning(child.pid, marker));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, sig) => resolve(sig)));
  const started = Date.now();
  await terminate(child.pid!, marker, { timeoutMs: 500 });
  t.ok(Date.now() - started >= 400, 'waited out the grace period (less at most one 100 ms poll)');
  t.equal(await exited, 'SIGKILL');
});

t.test("isAlive: a process that has not exec'd its program yet is alive, one that ended (a zombie) is not", async (t) => {
  const marker = 'tsflink-is-alive-test';
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  // A shell that waits before it execs node: what flink-daemon.sh's pid is right after `start`.
  // (The marker is assembled by the shell, so that it is not in the shell's own command line.)
  const child = spawn('sh', ['-c', 'read line; exec "$0" -e "setInterval(() => {}, 1000) // tsflink-$1"', process.execPath, 'is-alive-test'], { stdio: ['pipe', 'ignore', 'ignore'], env });
  t.teardown(() => child.kill('SIGKILL'));
  t.ok(isAlive(child.pid!), 'the shell before its exec is alive');
  t.notOk(isRunning(child.pid!, marker), 'though its command line is not the program yet');
  child.stdin.end('go\n');
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  t.notOk(isAlive(child.pid!), 'an ended process is not alive');
});
