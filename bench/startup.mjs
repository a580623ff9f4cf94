// Measures the cluster's start-up: JobManager + 1 TaskManager from spawn until the TaskManager is registered
// (median of N runs), and the idle RSS of both processes. Needs `npm run build` first.
//   node bench/startup.mjs [runs=5]
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const runs = Number(process.argv[2] ?? 5);

function start(script, args, dir, env) {
  const work = mkdtempSync(join(dir, 'p-'));
  const child = spawn(join(root, 'bin', script), ['start-foreground', ...args], { cwd: work, env, stdio: 'ignore', detached: true });
  return { child, work };
}
async function until(probe) {
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch {}
    await new Promise((r) => setTimeout(r, 10));
  }
}
const portsOf = (work) => until(() => {
  const f = readdirSync(work).find((n) => n.endsWith('.ports.json'));
  return f && JSON.parse(readFileSync(join(work, f), 'utf8'));
});
const rssMiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const times = [];
const rss = { jm: [], tm: [] };
for (let i = 0; i < runs; i++) {
  const dir = mkdtempSync(join(tmpdir(), 'tsflink-startup-'));
  mkdirSync(join(dir, 'conf'));
  writeFileSync(join(dir, 'conf', 'config.yaml'), `${readFileSync(join(root, 'conf', 'config.yaml'), 'utf8')}\nio.tmp.dirs: ${join(dir, 'tmp')}\nweb.tmpdir: ${join(dir, 'tmp')}\n`);
  const env = { ...process.env, FLINK_CONF_DIR: join(dir, 'conf'), FLINK_LOG_DIR: join(dir, 'log'), FLINK_PID_DIR: join(dir, 'pid') };
  const t0 = performance.now();
  const jm = start('jobmanager.sh', ['-D', 'rest.port=0', '-D', 'jobmanager.rpc.port=0'], dir, env);
  const jmPorts = await portsOf(jm.work);
  const tm = start('taskmanager.sh', ['-D', `jobmanager.rpc.port=${jmPorts.rpc}`], dir, env);
  await until(async () => (await (await fetch(`http://127.0.0.1:${jmPorts.rest}/overview`)).json()).taskmanagers === 1);
  times.push(performance.now() - t0);
  await new Promise((r) => setTimeout(r, 3000));
  rss.jm.push(rssMiB(jm.child.pid));
  rss.tm.push(rssMiB(tm.child.pid));
  for (const p of [tm, jm]) process.kill(-p.child.pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
console.log(`JobManager + 1 TaskManager, spawn until registered: median ${median(times).toFixed(0)} ms (runs: ${times.map((t) => t.toFixed(0)).join(', ')})`);
console.log(`idle RSS after 3 s: JobManager median ${median(rss.jm).toFixed(1)} MiB, TaskManager median ${median(rss.tm).toFixed(1)} MiB`);
