// The data plane between two TaskManagers, without Kafka:
//   npm run bench:shuffle [-- --seconds 15]
// Starts a JobManager and 2 TaskManagers × 1 slot on free loopback ports and runs bench/jobs/ShuffleThroughput.ts
// -p 2 (a generating source, rebalance, a counter): half of every source's records cross to the other TaskManager.
// For record sizes of 100 B and 1 KiB: once every subtask runs and after a warm-up, the receivers' numRecordsIn and
// numBytesIn over `--seconds`, as records/s and MiB/s (all receivers, local and remote channels together).
import { join } from 'node:path';
import { argument, clusterEnvironment, json, root, until } from './harness.mjs';

const SECONDS = argument('--seconds', 15);
const WARM_UP_MS = 3000;

const { start, flink } = await clusterEnvironment('shuffle');
const jm = (await start('jobmanager.sh', ['-D', 'rest.port=0', '-D', 'jobmanager.rpc.port=0'])).ports;
const rest = `http://127.0.0.1:${jm.rest}`;
for (let i = 0; i < 2; i++) await start('taskmanager.sh', ['-D', `jobmanager.rpc.port=${jm.rpc}`, '-D', 'taskmanager.numberOfTaskSlots=1']);
await until(async () => (await json(`${rest}/overview`)).taskmanagers === 2);

const receiverTotals = async (jobId, vertexId) => {
  const metrics = await json(`${rest}/jobs/${jobId}/vertices/${vertexId}/subtasks/metrics?get=numRecordsIn,numBytesIn&agg=sum`);
  return Object.fromEntries(metrics.map((m) => [m.id, m.sum]));
};

for (const recordBytes of [100, 1024]) {
  const submit = flink(['run', '-d', '-p', '2', '-m', `127.0.0.1:${jm.rest}`, join(root, 'bench', 'jobs', 'ShuffleThroughput.ts'), '--record-bytes', String(recordBytes)]);
  const jobId = /JobID ([0-9a-f]{32})/.exec(submit)[1];
  const job = await until(async () => {
    const d = await json(`${rest}/jobs/${jobId}`);
    return d['status-counts'].RUNNING === 6 ? d : undefined;
  });
  const receiver = job.vertices.find((v) => v.name === 'Receiver').id;
  await new Promise((r) => setTimeout(r, WARM_UP_MS));
  const before = await receiverTotals(jobId, receiver);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const after = await receiverTotals(jobId, receiver);
  const seconds = (performance.now() - t0) / 1000;
  const records = (after.numRecordsIn - before.numRecordsIn) / seconds;
  const mib = (after.numBytesIn - before.numBytesIn) / seconds / 1024 / 1024;
  console.log(`${recordBytes} B records: ${Math.round(records)} records/s into the receivers, ${mib.toFixed(1)} MiB/s of batches (half across TaskManagers), over ${seconds.toFixed(1)} s`);
  await fetch(`${rest}/jobs/${jobId}?mode=cancel`, { method: 'PATCH' });
  await until(async () => (await json(`${rest}/jobs/${jobId}/status`)).status === 'CANCELED');
}
process.exit(0);
