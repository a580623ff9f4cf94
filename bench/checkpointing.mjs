// Checkpointing of ClickEventCount (-p 2 --checkpointing --event-time --delivery-guarantee exactly-once) at the
// playground's pace (the generator at 1000 events/s):
//  1. steady state for --seconds (default 60): checkpoint duration and size, p50 / p99, from /jobs/:id/checkpoints;
//  2. recovery, --runs times (default 5): kill -9 a TaskManager running the job while a spare TaskManager is already
//     registered; the time until the job is RUNNING again with every subtask RUNNING. Every run submits a fresh job, so
//     each kill is the job's first failure (restart backoff 1 s, Flink 1.20's exponential-delay default).
//   npm run bench:checkpointing [-- --seconds 60 --runs 5]
//  3. savepoints of the running job (REST trigger to COMPLETED, size) and `flink rescale -p 3` (command to new job
//     RUNNING).
// Starts its own Kafka and cluster on free loopback ports (3 TaskManagers with 1 slot each).
import { join } from 'node:path';
import { runGenerator } from '../dist/client/generator/ClickEventGenerator.js';
import { argument, benchEnvironment, json, root, until } from './harness.mjs';

const RUNS = argument('--runs', 5);
const SECONDS = argument('--seconds', 60);

try {
  const { dir, brokers, start, flink } = await benchEnvironment('checkpointing');
  const generator = new AbortController();
  void runGenerator({ bootstrapServers: brokers, topic: 'input', rate: 1000, maxWindows: undefined }, generator.signal).catch(() => undefined);

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
    const submit = flink(['run', '-d', '-p', '2', '-m', `127.0.0.1:${jm.rest}`, join(root, 'examples', 'streaming', 'ClickEventCount.ts'), ...jobArgs]);
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

  // Savepoints of the running job (REST trigger until COMPLETED), then `flink rescale -p 3`.
  const savepointMs = [];
  const savepointBytes = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const response = await fetch(`${rest}/jobs/${steadyJob}/savepoints`, { method: 'POST', body: JSON.stringify({ 'target-directory': join(dir, 'savepoints') }) });
    const { 'request-id': trigger } = await response.json();
    await until(async () => (await json(`${rest}/jobs/${steadyJob}/savepoints/${trigger}`)).status.id === 'COMPLETED');
    savepointMs.push(performance.now() - t0);
    savepointBytes.push((await json(`${rest}/jobs/${steadyJob}/checkpoints`)).latest.savepoint.state_size);
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`savepoint (REST trigger to COMPLETED): median ${Math.round(median(savepointMs))} ms (${savepointMs.map(Math.round).join(', ')}); size median ${median(savepointBytes)} B`);
  const rescaleStart = performance.now();
  const rescaled = /as job ([0-9a-f]{32})/.exec(flink(['rescale', '-m', `127.0.0.1:${jm.rest}`, '-p', '3', steadyJob]))[1];
  await until(async () => (await json(`${rest}/jobs/${rescaled}`))['status-counts'].RUNNING === 9);
  console.log(`flink rescale -p 3: ${Math.round(performance.now() - rescaleStart)} ms from the command to every subtask of the new job RUNNING (stop with savepoint, resubmit, restore)`);
  flink(['cancel', '-m', `127.0.0.1:${jm.rest}`, rescaled]);
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
    flink(['cancel', '-m', `127.0.0.1:${jm.rest}`, jobId]);
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
