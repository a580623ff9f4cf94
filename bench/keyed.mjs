// The second workload (bench/jobs/KeyedSums.ts): a running sum per key in keyed state over 100 000 distinct keys, then
// a 1-minute event-time window per key — so that speed-ups are not specific to ClickEventCount's 6 keys.
//   npm run bench:keyed [-- --events 2000000]
// Starts its own Kafka and cluster (2 TaskManagers × 1 slot) on free loopback ports, preloads the events (key i mod
// 100 000, value 1, event time spread evenly over two minutes, then one late-time record per partition that closes
// both windows), runs the job -p 2 without and with --checkpointing (1 s, at-least-once), and reports events/s from
// the moment every subtask is RUNNING until every window is in the output (each must sum to its share), the
// checkpoints' duration and size, and the peak RSS of every process.
import { join } from 'node:path';
import { argument, benchEnvironment, json, peakRssMiB, root, runJobToOutput, until } from './harness.mjs';

const EVENTS = argument('--events', 2_000_000);
const KEYS = 100_000;
const WINDOWS = 2;

try {
  const { brokers, kafka, createTopics, start, flink } = await benchEnvironment('keyed');
  await createTopics('keyed-input');
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const t0 = performance.now();
  const PER_SEND = 1000;
  for (let start = 0; start < EVENTS; start += PER_SEND * 8) {
    const sends = [];
    for (let s = start; s < Math.min(EVENTS, start + PER_SEND * 8); s += PER_SEND) {
      const messages = [];
      for (let i = s; i < Math.min(EVENTS, s + PER_SEND); i++) messages.push({ value: `k${i % KEYS},1,${Math.floor((i / EVENTS) * WINDOWS * 60_000)}` });
      sends.push(messages);
    }
    await producer.sendBatch({ topicMessages: sends.map((messages) => ({ topic: 'keyed-input', messages })) });
  }
  // One record per partition far in event time: every window of the backlog closes.
  for (const partition of [0, 1]) await producer.send({ topic: 'keyed-input', messages: [{ partition, value: `close,0,${WINDOWS * 60_000 + 120_000}` }] });
  await producer.disconnect();
  console.log(`preloaded ${EVENTS} events over ${KEYS} keys in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const jobManager = await start('jobmanager.sh', ['-D', 'rest.port=0', '-D', 'jobmanager.rpc.port=0']);
  const jm = jobManager.ports;
  const rest = `http://127.0.0.1:${jm.rest}`;
  const taskManagers = [];
  for (let i = 0; i < 2; i++) taskManagers.push((await start('taskmanager.sh', ['-D', `jobmanager.rpc.port=${jm.rpc}`, '-D', 'taskmanager.numberOfTaskSlots=1'])).child);
  await until(async () => (await json(`${rest}/overview`)).taskmanagers === 2);

  let runs = 0;
  for (const [label, args] of [['no checkpointing', []], ['--checkpointing (1 s, at-least-once)', ['--checkpointing']]]) {
    const { fromRunning, outputs, wrong, checkpoints } = await runJobToOutput({
      kafka,
      createTopics,
      flink,
      rest,
      program: join(root, 'bench', 'jobs', 'KeyedSums.ts'),
      args: ['--bootstrap.servers', brokers, ...args],
      outputTopic: `keyed-output-${runs++}`,
      subtasks: 6,
      expected: KEYS * WINDOWS,
      isRight: (value) => Number(value.split(',')[2]) === EVENTS / KEYS / WINDOWS,
    });
    console.log(`KeyedSums -p 2 on 2 TaskManagers × 1 slot, ${label}: ${Math.round(EVENTS / fromRunning)} events/s once all subtasks ran (${fromRunning.toFixed(1)} s); ${outputs} windows, ${wrong} with a wrong sum`);
    if (checkpoints) console.log(`  ${checkpoints}`);
  }
  const rss = peakRssMiB([jobManager.child, ...taskManagers]);
  console.log(`peak RSS: JobManager ${rss.get(jobManager.child.pid)} MiB, TaskManagers ${taskManagers.map((tm) => `${rss.get(tm.pid)} MiB`).join(' + ')}`);
} catch (error) {
  console.error(error);
  process.exitCode = 1;
}
process.exit();
