// Checkpointing of ClickEventCount (-p 2 --checkpointing --event-time --delivery-guarantee exactly-once) at the
// playground's pace (the generator at 1000 events/s):
//  1. steady state for --seconds (default 60): checkpoint duration and size, p50 / p99, from /jobs/:id/checkpoints;
//  2. recovery, --runs times (default 5): kill -9 a TaskManager running the job while a spare TaskManager is already
//     registered; the time until the job is RUNNING again with every subtask RUNNING. Every run submits a fresh job, so
//     each kill is the job's first failure (restart backoff 1 s, Flink 1.20's exponential-delay default).
//   npm run bench:checkpointing [-- --seconds 60 --runs 5]
// Starts its own Kafka and cluster on free loopback ports (3 TaskManagers with 1 slot each).
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { runGenerator } from '../dist/client/generator/ClickEventGenerator.js';

const root = resolve(import.meta.dirname, '..');
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
const secondsArg = process.argv.indexOf('--seconds');
const SECONDS = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 60;
const dir = mkdtempSync(join(tmpdir(), 'tsflink-bench-checkpointing-'));
const children = [];

const freePort = () => new Promise((res) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); }); });
const until = async (probe, ms = 300_000) => { const end = Date.now() + ms; for (;;) { try { const v = await probe(); if (v) return v; } catch {} if (Date.now() > end) throw new Error('timed out'); await new Promise((r) => setTimeout(r, 20)); } };
const json = async (url) => (await fetch(url)).json();

const kafkaPort = await freePort();
const kafkaEnv = { ...process.env, KAFKA_PORT: String(kafkaPort), KAFKA_CONTROLLER_PORT: String(await freePort()), KAFKA_DATA_DIR: join(dir, 'kafka') };
function cleanup() {
  for (const c of children) { try { process.kill(-c.pid, 'SIGKILL'); } catch {} }
  try { execFileSync(join(root, 'bin', 'kafka.sh'), ['stop'], { env: kafkaEnv, stdio: 'ignore' }); } catch {}
  rmSync(dir, { recursive: true, force: true });
}
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

try {
  execFileSync(join(root, 'bin', 'kafka.sh'), ['start'], { env: kafkaEnv, stdio: 'inherit' });
  const brokers = `127.0.0.1:${kafkaPort}`;
  const kafka = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'input', numPartitions: 2 }, { topic: 'output', numPartitions: 2 }], waitForLeaders: true });
  await admin.disconnect();
  const generator = new AbortController();
  void runGenerator({ bootstrapServers: brokers, topic: 'input', rate: 1000, maxWindows: undefined }, generator.signal).catch(() => undefined);

  mkdirSync(join(dir, 'conf'));
  writeFileSync(
    join(dir, 'conf', 'config.yaml'),
    `${readFileSync(join(root, 'conf', 'config.yaml'), 'utf8')}\nio.tmp.dirs: ${join(dir, 'tmp')}\nweb.tmpdir: ${join(dir, 'tmp')}\nexecution.checkpointing.dir: file://${join(dir, 'checkpoints')}\n`,
  );
  const env = { ...process.env, FLINK_CONF_DIR: join(dir, 'conf'), FLINK_LOG_DIR: join(dir, 'log'), FLINK_PID_DIR: join(dir, 'pid') };
  const start = async (script, args) => {
    const work = mkdtempSync(join(dir, 'p-'));
    const child = spawn(join(root, 'bin', script), ['start-foreground', ...args], { cwd: work, env, stdio: 'ignore', detached: true });
    children.push(child);
    const ports = await until(() => { const f = readdirSync(work).find((n) => n.endsWith('.ports.json')); return f && JSON.parse(readFileSync(join(work, f), 'utf8')); });
    return { child, ports };
  };
  const jm = (await start('jobmanager.sh', ['-D', 'rest.port=0', '-D', 'jobmanager.rpc.port=0'])).ports;
  const rest = `http://127.0.0.1:${jm.rest}`;
  const taskManagers = new Map();
  const addTaskManager = async () => {
    const tm = await start('taskmanager.sh', ['-D', `jobmanager.rpc.port=${jm.rpc}`, '-D', 'taskmanager.numberOfTaskSlots=1']);
    taskManagers.set(tm.ports.resourceId, tm.child);
  };
  for (let i = 0; i < 3; i++) await addTaskManager();
  await until(async () => (await json(`${rest}/overview`)).taskmanagers === 3);

  const submitJob = () => {
    const jobArgs = ['--bootstrap.servers', brokers, '--event-time', '--checkpointing', '--delivery-guarantee', 'exactly-once'];
    const submit = execFileSync(join(root, 'bin', 'flink'), ['run', '-d', '-p', '2', '-m', `127.0.0.1:${jm.rest}`, join(root, 'examples', 'streaming', 'ClickEventCount.ts'), ...jobArgs], { env, encoding: 'utf8' });
    return /JobID ([0-9a-f]{32})/.exec(submit)[1];
  };

  // 1. Steady state.
  const steadyJob = submitJob();
  await until(async () => (await json(`${rest}/jobs/${steadyJob}`))['status-counts'].RUNNING === 6);
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const cp = await json(`${rest}/jobs/${steadyJob}/checkpoints`);
  const summary = cp.summary;
  console.log(
    `steady state, ${SECONDS} s: ${cp.counts.completed} checkpoints completed, ${cp.counts.failed} failed; duration p50 ${summary.end_to_end_duration.p50} ms, p99 ${summary.end_to_end_duration.p99} ms, max ${summary.end_to_end_duration.max} ms; size p50 ${summary.state_size.p50} B, p99 ${summary.state_size.p99} B`,
  );
  execFileSync(join(root, 'bin', 'flink'), ['cancel', '-m', `127.0.0.1:${jm.rest}`, steadyJob], { env, stdio: 'ignore' });
  await until(async () => (await json(`${rest}/overview`))['slots-available'] === 3);

  // 2. Recovery.
  const times = [];
  for (let run = 0; run < RUNS; run++) {
    const jobId = submitJob();
    await until(async () => (await json(`${rest}/jobs/${jobId}/checkpoints`)).counts?.completed >= 2);
    const vertex = (await json(`${rest}/jobs/${jobId}`)).vertices[0].id;
    const victim = (await json(`${rest}/jobs/${jobId}/vertices/${vertex}`)).subtasks[0]['taskmanager-id'];
    const killedAt = performance.now();
    taskManagers.get(victim).kill('SIGKILL');
    taskManagers.delete(victim);
    await until(async () => (await json(`${rest}/jobs/${jobId}`)).timestamps.RESTARTING > 0);
    await until(async () => { const d = await json(`${rest}/jobs/${jobId}`); return d.state === 'RUNNING' && d['status-counts'].RUNNING === 6; });
    const ms = performance.now() - killedAt;
    times.push(ms);
    console.log(`run ${run + 1}: kill -9 → RUNNING in ${Math.round(ms)} ms`);
    execFileSync(join(root, 'bin', 'flink'), ['cancel', '-m', `127.0.0.1:${jm.rest}`, jobId], { env, stdio: 'ignore' });
    await addTaskManager();
    await until(async () => (await json(`${rest}/overview`))['slots-available'] === 3);
  }
  generator.abort();
  times.sort((a, b) => a - b);
  console.log(`kill -9 → RUNNING with a spare TaskManager: median ${Math.round(times[Math.floor(times.length / 2)])} ms, min ${Math.round(times[0])} ms, max ${Math.round(times.at(-1))} ms over ${times.length} runs`);
} catch (error) {
  console.error(error);
  process.exitCode = 1;
}
process.exit();
