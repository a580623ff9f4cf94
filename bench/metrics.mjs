// What metrics reporting costs: ClickEventCount throughput with the Prometheus reporters on and scraped every second,
// and the dashboard's metric queries polled every second, against the same cluster set-up with neither.
//   npm run bench:metrics [-- --windows 167 --rounds 2]
// Task and operator counters and the heartbeat's metric dumps are always on (as in Flink, where task metrics cannot be
// switched off), so "off" measures them too; "on" adds what a monitored cluster does on top.
import { join } from 'node:path';
import { runGenerator } from '../dist/client/generator/ClickEventGenerator.js';
import { argument, benchEnvironment, json, root, until } from './harness.mjs';

const WINDOWS = argument('--windows', 167);
const ROUNDS = argument('--rounds', 2);
const EVENTS = WINDOWS * 6000;

try {
  const { brokers, kafka, createTopics, start, flink } = await benchEnvironment('metrics');
  await runGenerator({ bootstrapServers: brokers, topic: 'input', rate: 0, maxWindows: WINDOWS });
  console.log(`preloaded ${EVENTS} events`);
  const results = { off: [], on: [] };
  let run = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of ['off', 'on']) {
      const reporter = mode === 'on' ? ['-D', 'metrics.reporter.prom.port=0'] : [];
      const jm = await start('jobmanager.sh', ['-D', 'rest.port=0', '-D', 'jobmanager.rpc.port=0', ...reporter]);
      const rest = `http://127.0.0.1:${jm.ports.rest}`;
      const tms = [];
      for (let i = 0; i < 2; i++) tms.push(await start('taskmanager.sh', ['-D', `jobmanager.rpc.port=${jm.ports.rpc}`, '-D', 'taskmanager.numberOfTaskSlots=1', ...reporter]));
      await until(async () => (await json(`${rest}/overview`)).taskmanagers === 2);
      const outputTopic = `output-${run++}`;
      await createTopics(outputTopic);
      const t0 = performance.now();
      const submit = flink(['run', '-d', '-p', '2', '-m', `127.0.0.1:${jm.ports.rest}`, join(root, 'examples', 'streaming', 'ClickEventCount.ts'), '--bootstrap.servers', brokers, '--event-time', '--output-topic', outputTopic]);
      const jobId = /JobID ([0-9a-f]{32})/.exec(submit)[1];
      let polling;
      let scrapes = 0;
      if (mode === 'on') {
        const targets = [jm, ...tms].map((p) => `http://127.0.0.1:${p.ports.prometheus}/metrics`);
        polling = setInterval(async () => {
          try {
            await Promise.all(targets.map(async (url) => (await fetch(url)).text()));
            const job = await json(`${rest}/jobs/${jobId}`);
            await Promise.all(job.vertices.map((v) => json(`${rest}/jobs/${jobId}/vertices/${v.id}/subtasks/metrics?get=backPressuredTimeMsPerSecond,busyTimeMsPerSecond`)));
            await Promise.all(job.vertices.map((v) => json(`${rest}/jobs/${jobId}/vertices/${v.id}/watermarks`)));
            scrapes++;
          } catch {}
        }, 1000);
      }
      const expected = (WINDOWS - 1) * 6;
      const out = kafka.consumer({ groupId: `bench-metrics-${run}` });
      await out.connect();
      await out.subscribe({ topic: outputTopic, fromBeginning: true });
      let outputs = 0;
      let done;
      const finished = new Promise((r) => (done = r));
      await out.run({ eachBatch: async ({ batch }) => { outputs += batch.messages.length; if (outputs >= expected) done(); } });
      await finished;
      const seconds = (performance.now() - t0) / 1000;
      clearInterval(polling);
      await out.disconnect();
      results[mode].push(EVENTS / seconds);
      console.log(`metrics ${mode}: ${Math.round(EVENTS / seconds)} events/s (${seconds.toFixed(1)} s from submission to the last closed window${mode === 'on' ? `, ${scrapes} rounds of 3 Prometheus scrapes + dashboard queries` : ''})`);
      for (const p of [jm, ...tms]) process.kill(-p.child.pid, 'SIGKILL');
    }
  }
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const off = mean(results.off);
  const on = mean(results.on);
  console.log(`mean over ${ROUNDS} round(s): off ${Math.round(off)} events/s, on ${Math.round(on)} events/s (${(((on - off) / off) * 100).toFixed(1)}%)`);
} catch (error) {
  console.error(error);
  process.exitCode = 1;
}
process.exit();
