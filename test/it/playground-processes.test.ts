// The playground's process helpers (src/client/playground/processes.ts): they act on real child processes.
import t from 'tap';
import { spawn } from 'node:child_process';
import { isRunning, terminate } from '../../src/client/playground/processes.js';

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
