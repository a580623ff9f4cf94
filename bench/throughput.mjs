// End-to-end throughput of ClickEventCount on a real cluster, next to the raw read of the same topic.
//   npm run bench [-- --windows 167]     (167 windows = 1 002 000 events)
// Starts its own Kafka and cluster on free loopback ports, preloads the backlog, then measures in one run
//  1. the Java read: Kafka's own kafka-consumer-perf-test (bin/kafka.sh consumer-perf-test, full JIT), fetch events/s;
//  2. kafkajs as tsflink runs it (with its record decoder and read_committed filter, connectors/kafka/kafkajs-overrides.ts):
//     one consumer (eachBatch) reading the whole topic, events/s; and tsflink's own source path: one
//     KafkaSource reader (kafkajs underneath, JSON-deserializing each click event, as the job's source) in this process;
//  3. ClickEventCount -p 2 --event-time on 2 TaskManagers × 1 slot: the first job on fresh TaskManagers, then warm,
//     then warm with --checkpointing (1 s, at-least-once sink) and with --checkpointing --delivery-guarantee
//     exactly-once (with the checkpoints' duration and size, p50/p99, from /jobs/:id/checkpoints);
//  4. the same -p 2 on 1 TaskManager × 2 slots, first job and warm;
// each as events/s from the moment every subtask runs until the last window the backlog closes is in the output topic,
// and as a ratio to the Java read; and the peak RSS (VmHWM) of every process.
import { join } from 'node:path';
import { runGenerator } from '../dist/client/generator/ClickEventGenerator.js';
import { KafkaSource } from '../dist/connectors/kafka/index.js';
import { ComponentMetricGroup } from '../dist/metrics/MetricGroup.js';
import { argument, benchEnvironment, cpuSeconds, json, peakRssMiB, root, runJobToOutput, until } from './harness.mjs';

const WINDOWS = argument('--windows', 167);
/** --quick: the Java read, then only the 2 × 1 jobs without checkpointing (first and three warm ones), for profiling work. */
const QUICK = process.argv.includes('--quick');
/** --fetch-bytes N: the job's source fetches at most N bytes of a partition at a time (Kafka's default: 1 MiB). */
const FETCH_BYTES = process.argv.includes('--fetch-bytes') ? ['--max-partition-fetch-bytes', String(argument('--fetch-bytes', 1048576))] : [];
const EVENTS = WINDOWS * 6000;

try {
  const { brokers, kafka, createTopics, kafkaTool, brokerCpuSeconds, start, flink } = await benchEnvironment('throughput');
  const t0 = performance.now();
  await runGenerator({ bootstrapServers: brokers, topic: 'input', rate: 0, maxWindows: WINDOWS });
  const produceSeconds = (performance.now() - t0) / 1000;
  console.log(`preloaded ${EVENTS} events in ${produceSeconds.toFixed(1)} s (${Math.round(EVENTS / produceSeconds)} events/s with the generator)`);

  // 1. Kafka's own Java consumer: the physical read limit here.
  const perf = kafkaTool(['consumer-perf-test', '--topic', 'input', '--messages', String(EVENTS), '--group', 'bench-java', '--timeout', '120000']);
  const [header, values] = perf.trim().split('\n').slice(-2).map((line) => line.split(',').map((field) => field.trim()));
  const field = (name) => Number(values[header.indexOf(name)]);
  const javaRate = field('fetch.nMsg.sec');
  console.log(`Java read (kafka-consumer-perf-test): ${Math.round(javaRate)} events/s in the fetch phase (${field('nMsg.sec').toFixed(0)} events/s overall, ${field('data.consumed.in.nMsg')} events)`);

  // 2. kafkajs alone (as tsflink runs it).
  let rawRate = Number.NaN;
  if (!QUICK) {
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
    rawRate = EVENTS / rawSeconds;
    console.log(`kafkajs with tsflink's overrides (1 consumer, eachBatch): ${Math.round(rawRate)} events/s (${rawSeconds.toFixed(1)} s after the first batch), ${(rawRate / javaRate).toFixed(2)} × the Java read`);

    // 2b. tsflink's source path: a KafkaSource reader alone, deserializing as the job does.
    const source = KafkaSource.builder().setBootstrapServers(brokers).setTopics('input').setGroupId('bench-source').setValueOnlyDeserializer((value) => JSON.parse(value.toString('utf8'))).build();
    const reader = source.createReader(
      { metricGroup: new ComponentMetricGroup(), jobId: '0'.repeat(32), attemptId: '1'.repeat(32), attemptNumber: 0, subtaskIndex: 0, parallelism: 1, operatorName: 'Source: Kafka', operatorId: '2'.repeat(32) },
      [],
    );
    let read = 0;
    let readStart;
    let readAll;
    const allRead = new Promise((r) => (readAll = r));
    await reader.start({
      addSplit: () => undefined,
      collect: () => { readStart ??= performance.now(); if (++read >= EVENTS) readAll(); },
      reportError: () => undefined,
      fail: (error) => { throw error; },
    });
    await allRead;
    const sourceSeconds = (performance.now() - readStart) / 1000;
    await reader.close();
    const sourceRate = EVENTS / sourceSeconds;
    console.log(`tsflink's source path (one KafkaSource reader, JSON per event): ${Math.round(sourceRate)} events/s, ${(sourceRate / javaRate).toFixed(2)} × the Java read`);
  }

  // 3./4. The job on a cluster.
  const jobManager = await start('jobmanager.sh', ['-D', 'rest.port=0', '-D', 'jobmanager.rpc.port=0']);
  const jm = jobManager.ports;
  const rest = `http://127.0.0.1:${jm.rest}`;
  let runs = 0;
  const runJob = async (cluster, taskManagers, label, args) => {
    const cpuBefore = cpuSeconds([jobManager.child, ...taskManagers]);
    const brokerCpuBefore = brokerCpuSeconds();
    const { fromSubmission, fromRunning, outputs, wrong, checkpoints } = await runJobToOutput({
      kafka,
      createTopics,
      flink,
      rest,
      program: join(root, 'examples', 'streaming', 'ClickEventCount.ts'),
      args: ['--bootstrap.servers', brokers, '--event-time', ...FETCH_BYTES, ...args],
      outputTopic: `output-${runs++}`,
      subtasks: 6,
      expected: (WINDOWS - 1) * 6,
      isRight: (value) => JSON.parse(value).count === 1000,
    });
    const rate = EVENTS / fromRunning;
    // CPU is steadier than a rate on a shared machine: what the JobManager and TaskManagers spent per event, from
    // submission to the last window (the bench and the flink CLI not counted), and the Kafka broker's CPU beside it.
    const cpuPerEvent = ((cpuSeconds([jobManager.child, ...taskManagers]) - cpuBefore) / EVENTS) * 1e6;
    const brokerCpuPerEvent = ((brokerCpuSeconds() - brokerCpuBefore) / EVENTS) * 1e6;
    console.log(
      `ClickEventCount -p 2 on ${cluster}, ${label}: ${Math.round(rate)} events/s once all subtasks ran (${fromRunning.toFixed(1)} s; ${(rate / javaRate).toFixed(2)} × the Java read${QUICK ? '' : `, ${(rate / rawRate).toFixed(2)} × kafkajs`}), ${Math.round(EVENTS / fromSubmission)} events/s from submission; CPU ${cpuPerEvent.toFixed(2)} µs per event (the broker's ${brokerCpuPerEvent.toFixed(2)}); ${outputs} windows, ${wrong} not 1000`,
    );
    if (checkpoints) console.log(`  ${checkpoints}`);
  };
  const peaks = (cluster, taskManagers) => {
    const rss = peakRssMiB([jobManager.child, ...taskManagers]);
    const tms = taskManagers.map((tm) => rss.get(tm.pid));
    const total = rss.get(jobManager.child.pid) + tms.reduce((a, b) => a + b, 0);
    console.log(`peak RSS, ${cluster}: JobManager ${rss.get(jobManager.child.pid)} MiB, TaskManagers ${tms.map((m) => `${m} MiB`).join(' + ')}; all tsflink processes ${total} MiB`);
  };

  const twoByOne = [];
  for (let i = 0; i < 2; i++) twoByOne.push((await start('taskmanager.sh', ['-D', `jobmanager.rpc.port=${jm.rpc}`, '-D', 'taskmanager.numberOfTaskSlots=1'])).child);
  await until(async () => (await json(`${rest}/overview`)).taskmanagers === 2);
  await runJob('2 TaskManagers × 1 slot', twoByOne, 'first job', []);
  await runJob('2 TaskManagers × 1 slot', twoByOne, 'warm', []);
  if (QUICK) {
    await runJob('2 TaskManagers × 1 slot', twoByOne, 'warm', []);
    await runJob('2 TaskManagers × 1 slot', twoByOne, 'warm', []);
    peaks('2 TaskManagers × 1 slot', twoByOne);
    process.exit();
  }
  await runJob('2 TaskManagers × 1 slot', twoByOne, 'warm, --checkpointing (at-least-once sink)', ['--checkpointing']);
  await runJob('2 TaskManagers × 1 slot', twoByOne, 'warm, --checkpointing --delivery-guarantee exactly-once', ['--checkpointing', '--delivery-guarantee', 'exactly-once']);
  peaks('2 TaskManagers × 1 slot', twoByOne);
  for (const tm of twoByOne) process.kill(-tm.pid, 'SIGTERM');
  await until(async () => (await json(`${rest}/overview`)).taskmanagers === 0);

  const oneByTwo = [(await start('taskmanager.sh', ['-D', `jobmanager.rpc.port=${jm.rpc}`, '-D', 'taskmanager.numberOfTaskSlots=2'])).child];
  await until(async () => (await json(`${rest}/overview`)).taskmanagers === 1);
  await runJob('1 TaskManager × 2 slots', oneByTwo, 'first job', []);
  await runJob('1 TaskManager × 2 slots', oneByTwo, 'warm', []);
  peaks('1 TaskManager × 2 slots', oneByTwo);
} catch (error) {
  console.error(error);
  process.exitCode = 1;
}
process.exit();
