// End-to-end throughput of ClickEventCount on a real cluster, next to raw kafkajs on the same topic.
//   npm run bench [-- --windows 167]     (167 windows = 1 002 000 events)
// Starts its own Kafka and cluster on free loopback ports, preloads the backlog, then measures
//  1. raw kafkajs: one consumer (eachBatch) reading the whole topic, events/s;
//  2. ClickEventCount -p 2 --event-time on 2 TaskManagers with 1 slot each: events/s from submission until the last
//     window the backlog closes is in the output topic — without checkpointing, with --checkpointing (1 s,
//     at-least-once sink) and with --checkpointing --delivery-guarantee exactly-once; for the checkpointing runs also
//     the checkpoints' duration and size (p50, p99) from /jobs/:id/checkpoints.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { runGenerator } from '../dist/client/generator/ClickEventGenerator.js';

const root = resolve(import.meta.dirname, '..');
const windowsArg = process.argv.indexOf('--windows');
const WINDOWS = windowsArg > 0 ? Number(process.argv[windowsArg + 1]) : 167;
const EVENTS = WINDOWS * 6000;
const dir = mkdtempSync(join(tmpdir(), 'tsflink-bench-'));
const children = [];

const freePort = () => new Promise((res) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); }); });
const until = async (probe, ms = 600_000) => { const end = Date.now() + ms; for (;;) { try { const v = await probe(); if (v) return v; } catch {} if (Date.now() > end) throw new Error('timed out'); await new Promise((r) => setTimeout(r, 50)); } };
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

  let t0 = performance.now();
  await runGenerator({ bootstrapServers: brokers, topic: 'input', rate: 0, maxWindows: WINDOWS });
  const produceSeconds = (performance.now() - t0) / 1000;
  console.log(`preloaded ${EVENTS} events in ${produceSeconds.toFixed(1)} s (${Math.round(EVENTS / produceSeconds)} events/s with the generator)`);

  // 1. Raw kafkajs.
  const consumer = kafka.consumer({ groupId: 'bench-raw' });
  await consumer.connect();
  await consumer.subscribe({ topic: 'input', fromBeginning: true });
  let consumed = 0;
  let rawStart;
  let done;
  const finished = new Promise((r) => (done = r));
  await consumer.run({ eachBatch: async ({ batch }) => { rawStart ??= performance.now(); consumed += batch.messages.length; if (consumed >= EVENTS) done(); } });
  await finished;
  const rawSeconds = (performance.now() - rawStart) / 1000;
  await consumer.disconnect();
  const rawRate = EVENTS / rawSeconds;
  console.log(`raw kafkajs (1 consumer, eachBatch): ${Math.round(rawRate)} events/s (${rawSeconds.toFixed(1)} s after the first batch)`);

  // 2. The job on a cluster.
  mkdirSync(join(dir, 'conf'));
  writeFileSync(join(dir, 'conf', 'config.yaml'), `${readFileSync(join(root, 'conf', 'config.yaml'), 'utf8')}\nio.tmp.dirs: ${join(dir, 'tmp')}\nweb.tmpdir: ${join(dir, 'tmp')}\n`);
  const env = { ...process.env, FLINK_CONF_DIR: join(dir, 'conf'), FLINK_LOG_DIR: join(dir, 'log'), FLINK_PID_DIR: join(dir, 'pid') };
  const start = (script, args) => {
    const work = mkdtempSync(join(dir, 'p-'));
    const child = spawn(join(root, 'bin', script), ['start-foreground', ...args], { cwd: work, env, stdio: 'ignore', detached: true });
    children.push(child);
    return until(() => { const f = readdirSync(work).find((n) => n.endsWith('.ports.json')); return f && JSON.parse(readFileSync(join(work, f), 'utf8')); });
  };
  const jm = await start('jobmanager.sh', ['-D', 'rest.port=0', '-D', 'jobmanager.rpc.port=0']);
  const rest = `http://127.0.0.1:${jm.rest}`;
  for (let i = 0; i < 2; i++) await start('taskmanager.sh', ['-D', `jobmanager.rpc.port=${jm.rpc}`, '-D', 'taskmanager.numberOfTaskSlots=1']);
  await until(async () => (await json(`${rest}/overview`)).taskmanagers === 2);

  const variants = [
    { label: 'no checkpointing', args: [] },
    { label: '--checkpointing (at-least-once sink)', args: ['--checkpointing'] },
    { label: '--checkpointing --delivery-guarantee exactly-once', args: ['--checkpointing', '--delivery-guarantee', 'exactly-once'] },
  ];
  for (const [i, variant] of variants.entries()) {
    const outputTopic = `output-${i}`;
    const admin2 = kafka.admin();
    await admin2.connect();
    await admin2.createTopics({ topics: [{ topic: outputTopic, numPartitions: 2 }], waitForLeaders: true });
    await admin2.disconnect();
    t0 = performance.now();
    const submit = execFileSync(join(root, 'bin', 'flink'), ['run', '-d', '-p', '2', '-m', `127.0.0.1:${jm.rest}`, join(root, 'examples', 'streaming', 'ClickEventCount.ts'), '--bootstrap.servers', brokers, '--event-time', '--output-topic', outputTopic, ...variant.args], { env, encoding: 'utf8' });
    const jobId = /JobID ([0-9a-f]{32})/.exec(submit)[1];
    // When every subtask is RUNNING: the sources start reading then (the Kafka consumers have joined their groups).
    let allRunningAt;
    void until(async () => {
      const d = await json(`${rest}/jobs/${jobId}`);
      if (d['status-counts'].RUNNING === 6) return (allRunningAt = performance.now());
    });
    const expected = (WINDOWS - 1) * 6;
    const out = kafka.consumer({ groupId: `bench-output-${i}` });
    await out.connect();
    await out.subscribe({ topic: outputTopic, fromBeginning: true });
    let outputs = 0;
    let wrong = 0;
    let jobDone;
    const jobFinished = new Promise((r) => (jobDone = r));
    await out.run({ eachBatch: async ({ batch }) => { for (const m of batch.messages) { outputs++; if (JSON.parse(m.value.toString()).count !== 1000) wrong++; } if (outputs >= expected) jobDone(); } });
    await jobFinished;
    const jobSeconds = (performance.now() - t0) / 1000;
    await out.disconnect();
    const runningSeconds = (performance.now() - allRunningAt) / 1000;
    console.log(`ClickEventCount -p 2 on 2 TaskManagers, ${variant.label}: ${Math.round(EVENTS / jobSeconds)} events/s from submission (${jobSeconds.toFixed(1)} s to the last closed window), ${Math.round(EVENTS / runningSeconds)} events/s once all subtasks ran (${runningSeconds.toFixed(1)} s); ${outputs} windows, ${wrong} not 1000`);
    console.log(`  ratio job (running) / raw kafkajs: ${(EVENTS / runningSeconds / rawRate).toFixed(2)}`);
    if (variant.args.length > 0) {
      const cp = await json(`${rest}/jobs/${jobId}/checkpoints`);
      const s = cp.summary;
      console.log(`  checkpoints: ${cp.counts.completed} completed, ${cp.counts.failed} failed; duration p50 ${s.end_to_end_duration.p50} ms, p99 ${s.end_to_end_duration.p99} ms, max ${s.end_to_end_duration.max} ms; size p50 ${s.state_size.p50} B, p99 ${s.state_size.p99} B`);
    }
    execFileSync(join(root, 'bin', 'flink'), ['cancel', '-m', `127.0.0.1:${jm.rest}`, jobId], { env, stdio: 'ignore' });
    await until(async () => (await json(`${rest}/overview`))['slots-available'] === 2);
  }
} catch (error) {
  console.error(error);
  process.exitCode = 1;
}
process.exit();
