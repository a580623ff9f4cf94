// Where a TaskManager's CPU goes per event, by stage of the record path, while ClickEventCount drains a backlog.
//   npm run bench:profile [-- --windows 334]
// Runs `bench/throughput.mjs --quick` with V8's CPU profiler in every tsflink process and thread (bench/lib/
// cpu-profile-preload.cjs), profiling the second and third jobs (warm, 2 TaskManagers × 1 slot), then sorts the
// TaskManagers' self time into the stages below and prints each stage's share and its microseconds per event (the share
// of the CPU per event the benchmark measured for those jobs from /proc, profiler included: it costs 10–30 % here).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { argument, root } from './harness.mjs';

/** The in-process inspector session's own work (where the profile is taken): left out of the shares. */
const PROFILER = (frame) => frame === 'dispatch ' || frame.startsWith('post node:inspector');

/** Stages of the record path, first match wins: [name, test on "function url"]. */
const STAGES = [
  ['garbage collection', (f) => f.startsWith('(garbage collector)')],
  ['Kafka fetch and record decode (kafkajs, tsflink decoder)', (f) => /kafkajs\/src\/(network|protocol|consumer|utils)|connectors\/kafka\/(record-decoder|fetched-batch|read-committed)|KafkaSource\.js/.test(f)],
  ['Kafka sink (produce)', (f) => /kafkajs\/src\/producer|KafkaSink|KafkaWriter|TransactionalKafkaWriter|SinkOperator/.test(f)],
  ['deserialize (schema: JSON, timestamp)', (f) => /\/jobs\/[0-9a-f]+\/|isUtf8|latin1Slice|utf8Slice|^parse |JSON/.test(f)],
  ['source emit (record emitter, SourceDriver, chain)', (f) => /KafkaRecordEmitter|SourceDriver|OperatorChain|StreamTask\.js|TaskMailbox|currentWatermark/.test(f)],
  ['key and channel (key selector, key group, batching)', (f) => /RecordWriter|KeyGroupRangeAssignment/.test(f)],
  ['batch encode / decode (msgpackr)', (f) => /msgpackr|BatchCodec/.test(f)],
  ['window operator and keyed state', (f) => /WindowOperator|LevelDbKeyedStateBackend|InternalTimerService|windowing|classic-level/.test(f)],
  ['thread hand-off (postMessage, MessagePort)', (f) => /^postMessage |messageport|MessagePort|Task\.js|event_target/.test(f)],
  ['network (gRPC, HTTP/2, protobuf)', (f) => /@grpc|http2|@bufbuild|generated\/|GrpcShuffleTransport|ShuffleEnvironment|stream_base_commons|streams\//.test(f)],
  ['other (runtime, timers, metrics, V8 native)', () => true],
];

const windows = argument('--windows', 334);
const dir = mkdtempSync(join(tmpdir(), 'tsflink-profile-'));
try {
  const child = spawn(process.execPath, [join(root, 'bench', 'throughput.mjs'), '--quick', '--windows', String(windows)], {
    env: { ...process.env, TSFLINK_PROFILE_DIR: dir, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${join(root, 'bench', 'lib', 'cpu-profile-preload.cjs')}` },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const cpu = [];
  let warm = 0;
  for await (const line of createInterface({ input: child.stdout })) {
    console.log(line);
    if (/1 slot, first job:/.test(line)) writeFileSync(join(dir, 'start'), '');
    if (/1 slot, warm:/.test(line)) {
      warm++;
      if (warm <= 2) cpu.push(Number(/CPU ([\d.]+) µs per event/.exec(line)?.[1]));
      // Stop during the third warm job: the profiles are written while every process still runs.
      if (warm === 2) writeFileSync(join(dir, 'stop'), '');
    }
  }
  await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.on('exit', resolve)));
  // <entry>.<pid>.<thread>.cpuprofile: a TaskManager's main thread is taskmanager-main; its task threads run piscina's worker.
  const profiles = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  const taskManagerPids = new Set(profiles.filter((f) => f.startsWith('taskmanager-main.')).map((f) => f.split('.')[1]));
  const files = profiles.filter((f) => taskManagerPids.has(f.split('.')[1]));
  if (files.length === 0 || !existsSync(join(dir, 'stop'))) throw new Error(`No TaskManager profiles in ${dir}.`);
  const cpuPerEvent = cpu.reduce((a, b) => a + b, 0) / cpu.length;

  const byStage = new Map(STAGES.map(([name]) => [name, 0]));
  const byThread = new Map();
  let busy = 0;
  let profilerTime = 0;
  for (const file of files) {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    const self = new Map();
    for (let i = 0; i < profile.samples.length; i++) self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
    let threadBusy = 0;
    for (const node of profile.nodes) {
      const time = self.get(node.id) ?? 0;
      const { functionName, url } = node.callFrame;
      if (time === 0 || functionName === '(idle)') continue;
      const frame = `${functionName || '(anonymous)'} ${url}`;
      if (PROFILER(frame)) {
        profilerTime += time;
        continue;
      }
      const [stage] = STAGES.find(([, matches]) => matches(frame));
      byStage.set(stage, byStage.get(stage) + time);
      threadBusy += time;
    }
    busy += threadBusy;
    const thread = file.split('.')[2] === '0' ? 'main threads' : 'task threads';
    byThread.set(thread, (byThread.get(thread) ?? 0) + threadBusy);
  }
  // The CPU per event from /proc includes the profiler's own work: the stages share what is left of it.
  const perEvent = (time) => (cpuPerEvent * time) / (busy + profilerTime);
  console.log(`\nTaskManager CPU by stage (${files.length} threads profiled; the cluster used ${cpuPerEvent.toFixed(2)} µs per event, from /proc, of which the profiler ${perEvent(profilerTime).toFixed(2)})`);
  console.log('| stage | share | µs per event |\n|---|---|---|');
  for (const [name, time] of [...byStage].sort((a, b) => b[1] - a[1])) {
    if (time > 0) console.log(`| ${name} | ${((100 * time) / busy).toFixed(1)} % | ${perEvent(time).toFixed(2)} |`);
  }
  console.log(`| all stages | 100 % | ${perEvent(busy).toFixed(2)} |`);
  for (const [thread, time] of byThread) console.log(`${thread}: ${((100 * time) / busy).toFixed(1)} % of the TaskManagers' CPU`);
  if (process.env.TSFLINK_KEEP_BENCH === '1') console.log(`kept the profiles in ${dir} (TSFLINK_KEEP_BENCH)`);
} finally {
  if (process.env.TSFLINK_KEEP_BENCH !== '1') rmSync(dir, { recursive: true, force: true });
}
