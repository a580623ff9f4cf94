// End-to-end throughput of ClickEventCount on a real cluster, next to raw kafkajs on the same topic.
//   npm run bench [-- --windows 167]     (167 windows = 1 002 000 events)
// Starts its own Kafka and cluster on free loopback ports, preloads the backlog, then measures
//  1. raw kafkajs: one consumer (eachBatch) reading the whole topic, events/s;
//  2. ClickEventCount -p 2 --event-time on 2 TaskManagers with 1 slot each: events/s from submission until the last
//     window the backlog closes is in the output topic — without checkpointing, with --checkpointing (1 s,
//     at-least-once sink) and with --checkpointing --delivery-guarantee exactly-once; for the checkpointing runs also
//     the checkpoints' duration and size (p50, p99) from /jobs/:id/checkpoints.
import { join } from 'node:path';
import { runGenerator } from '../dist/client/generator/ClickEventGenerator.js';
import { argument, benchEnvironment, json, root, until } from './harness.mjs';

const WINDOWS = argument('--windows', 167);
const EVENTS = WINDOWS * 6000;

try {
  const { brokers, kafka, createTopics, start, flink } = await benchEnvironment('throughput');
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
  const jm = (await start('jobmanager.sh', ['-D', 'rest.port=0', '-D', 'jobmanager.rpc.port=0'])).ports;
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
    await createTopics(outputTopic);
    t0 = performance.now();
    const submit = flink(['run', '-d', '-p', '2', '-m', `127.0.0.1:${jm.rest}`, join(root, 'examples', 'streaming', 'ClickEventCount.ts'), '--bootstrap.servers', brokers, '--event-time', '--output-topic', outputTopic, ...variant.args]);
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
    flink(['cancel', '-m', `127.0.0.1:${jm.rest}`, jobId]);
    await until(async () => (await json(`${rest}/overview`))['slots-available'] === 2);
  }
} catch (error) {
  console.error(error);
  process.exitCode = 1;
}
process.exit();
