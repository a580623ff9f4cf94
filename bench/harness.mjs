// What the Kafka benchmarks share: their own broker and cluster on free loopback ports in a temporary directory,
// removed (with every process) when the benchmark exits.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Kafka, logLevel } from '../dist/connectors/kafka/kafkajs.js';

export const root = resolve(import.meta.dirname, '..');

export const freePort = () => new Promise((res) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); }); });
export const until = async (probe, ms = 600_000) => { const end = Date.now() + ms; for (;;) { try { const v = await probe(); if (v) return v; } catch {} if (Date.now() > end) throw new Error('timed out'); await new Promise((r) => setTimeout(r, 20)); } };
export const json = async (url) => (await fetch(url)).json();
export const argument = (name, fallback) => { const i = process.argv.indexOf(name); return i > 0 ? Number(process.argv[i + 1]) : fallback; };

/**
 * Starts Kafka (topics `input` and `output`, 2 partitions each) and prepares a cluster configuration (the repo's
 * conf/config.yaml plus `extraConfig` lines, working files and checkpoints inside the benchmark's directory).
 */
export async function benchEnvironment(name, extraConfig = []) {
  return environment(name, extraConfig, true);
}

/** A cluster configuration as benchEnvironment prepares it, without Kafka. */
export async function clusterEnvironment(name, extraConfig = []) {
  return environment(name, extraConfig, false);
}

async function environment(name, extraConfig, withKafka) {
  const dir = mkdtempSync(join(tmpdir(), `tsflink-bench-${name}-`));
  const children = [];
  const kafkaPort = await freePort();
  const kafkaEnv = { ...process.env, KAFKA_PORT: String(kafkaPort), KAFKA_CONTROLLER_PORT: String(await freePort()), KAFKA_DATA_DIR: join(dir, 'kafka') };
  process.on('exit', () => {
    for (const c of children) { try { process.kill(-c.pid, 'SIGKILL'); } catch {} }
    if (withKafka) try { execFileSync(join(root, 'bin', 'kafka.sh'), ['stop'], { env: kafkaEnv, stdio: 'ignore' }); } catch {}
    if (process.env.TSFLINK_KEEP_BENCH === '1') console.log(`kept the bench's directory ${dir} (TSFLINK_KEEP_BENCH)`);
    else rmSync(dir, { recursive: true, force: true });
  });
  process.on('SIGINT', () => process.exit(130));

  if (!withKafka) return { dir, ...clusterOf(dir, children, extraConfig) };
  execFileSync(join(root, 'bin', 'kafka.sh'), ['start'], { env: kafkaEnv, stdio: 'inherit' });
  const brokers = `127.0.0.1:${kafkaPort}`;
  const kafka = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING });
  const createTopics = async (...topics) => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: 2 })), waitForLeaders: true });
    await admin.disconnect();
  };
  await createTopics('input', 'output');
  /** `bin/kafka.sh args` against this broker, its stdout. */
  const kafkaTool = (args) => execFileSync(join(root, 'bin', 'kafka.sh'), args, { env: kafkaEnv, encoding: 'utf8' });
  /** The broker's CPU seconds so far (its JVM's pid is in the data directory). */
  const brokerCpuSeconds = () => processCpuSeconds(Number(readFileSync(join(dir, 'kafka', 'kafka.pid'), 'utf8')));
  return { dir, brokers, kafka, createTopics, kafkaTool, brokerCpuSeconds, children, ...clusterOf(dir, children, extraConfig) };
}

/** Starting cluster processes and running `bin/flink` with the benchmark's configuration. */
function clusterOf(dir, children, extraConfig) {
  mkdirSync(join(dir, 'conf'));
  const config = [readFileSync(join(root, 'conf', 'config.yaml'), 'utf8'), `io.tmp.dirs: ${join(dir, 'tmp')}`, `web.tmpdir: ${join(dir, 'tmp')}`, `execution.checkpointing.dir: file://${join(dir, 'checkpoints')}`, ...extraConfig, ''];
  writeFileSync(join(dir, 'conf', 'config.yaml'), config.join('\n'));
  const env = { ...process.env, FLINK_CONF_DIR: join(dir, 'conf'), FLINK_LOG_DIR: join(dir, 'log'), FLINK_PID_DIR: join(dir, 'pid') };

  /** Starts `bin/<script> start-foreground args`; resolves with the child and its ports file once it is bound. */
  const start = async (script, args) => {
    const work = mkdtempSync(join(dir, 'p-'));
    const child = spawn(join(root, 'bin', script), ['start-foreground', ...args], { cwd: work, env, stdio: 'ignore', detached: true });
    children.push(child);
    const ports = await until(() => { const f = readdirSync(work).find((n) => n.endsWith('.ports.json')); return f && JSON.parse(readFileSync(join(work, f), 'utf8')); });
    return { child, ports };
  };
  /** `bin/flink args`, its stdout. */
  const flink = (args) => execFileSync(join(root, 'bin', 'flink'), args, { env, encoding: 'utf8' });
  return { start, flink };
}

/**
 * The peak resident set (VmHWM, MiB) of every process of the given children's process groups (each started detached:
 * the script and the Node process it runs), by process group leader; 0 once a group is gone.
 */
export function peakRssMiB(children) {
  const peaks = new Map(children.map((c) => [c.pid, 0]));
  forEachProcessOf(children, (pid, group) => {
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    if (hwm) peaks.set(group, Math.max(peaks.get(group), Math.round(Number(hwm[1]) / 1024)));
  });
  return peaks;
}

/** CPU seconds (user + system, all threads) used so far by every process of the given children's process groups. */
export function cpuSeconds(children) {
  let seconds = 0;
  forEachProcessOf(children, (pid) => (seconds += processCpuSeconds(pid)));
  return seconds;
}

/** CPU seconds (user + system, all threads) used so far by one process. */
export function processCpuSeconds(pid) {
  const fields = statFields(pid);
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** The fields of `/proc/<pid>/stat` after the command: state, ppid, pgrp, …; utime and stime are the 12th and 13th. */
function statFields(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** Calls `action(pid, group)` for each process whose process group is one of the children's. */
function forEachProcessOf(children, action) {
  const groups = new Set(children.map((c) => c.pid));
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const fields = statFields(entry);
      const group = Number(fields[2]);
      if (groups.has(group)) action(Number(entry), group);
    } catch {}
  }
}

/**
 * Runs `program` -p 2 on the cluster at `rest` with `args` (its output going to `outputTopic`, created here) until
 * `expected` records are there, each checked with `isRight(value)`, then cancels it and waits for its slots. Resolves
 * with the seconds from submission and from the moment every one of `subtasks` was RUNNING (the sources start reading
 * then: their Kafka consumers have joined), the output counted, and — when it checkpointed — a line summing up its
 * checkpoints.
 */
export async function runJobToOutput({ kafka, createTopics, flink, rest, program, args, outputTopic, subtasks, expected, isRight }) {
  await createTopics(outputTopic);
  const master = rest.replace(/^http:\/\//, '');
  const submitted = performance.now();
  const jobId = /JobID ([0-9a-f]{32})/.exec(flink(['run', '-d', '-p', '2', '-m', master, program, '--output-topic', outputTopic, ...args]))[1];
  let allRunningAt;
  void until(async () => {
    if ((await json(`${rest}/jobs/${jobId}`))['status-counts'].RUNNING === subtasks) return (allRunningAt = performance.now());
  });
  const out = kafka.consumer({ groupId: `bench-${outputTopic}` });
  await out.connect();
  await out.subscribe({ topic: outputTopic, fromBeginning: true });
  let outputs = 0;
  let wrong = 0;
  let done;
  const finished = new Promise((r) => (done = r));
  await out.run({
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        outputs++;
        if (!isRight(m.value.toString())) wrong++;
      }
      if (outputs >= expected) done();
    },
  });
  await finished;
  const now = performance.now();
  await out.disconnect();
  let checkpoints;
  const cp = await json(`${rest}/jobs/${jobId}/checkpoints`);
  if (cp.counts) {
    const s = cp.summary;
    checkpoints = `checkpoints: ${cp.counts.completed} completed, ${cp.counts.failed} failed; duration p50 ${s.end_to_end_duration.p50} ms, p99 ${s.end_to_end_duration.p99} ms, max ${s.end_to_end_duration.max} ms; size p50 ${s.state_size.p50} B, p99 ${s.state_size.p99} B, max ${s.state_size.max} B`;
  }
  flink(['cancel', '-m', master, jobId]);
  await until(async () => (await json(`${rest}/overview`))['slots-available'] === 2);
  return { fromSubmission: (now - submitted) / 1000, fromRunning: (now - allRunningAt) / 1000, outputs, wrong, checkpoints };
}
