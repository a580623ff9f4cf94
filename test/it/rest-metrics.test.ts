// Contract tests of the metric endpoints, the vertex and subtask views and the Prometheus reporters against a real
// cluster running ClickEventCount: ids, types (metric values are strings in collections, numbers in aggregations),
// enum spellings, and Flink's error shapes.
import t from 'tap';
import { request } from 'node:http';
import { join } from 'node:path';
import { runGenerator } from '../../src/client/generator/ClickEventGenerator.js';
import { TestingCluster } from '../testing/TestingCluster.js';
import { completedCheckpoints, createTopics, submitJob, waitForRunning } from '../testing/jobs.js';
import { REPO_ROOT, testRun } from '../testing/testRun.js';
import { getJson, waitFor } from '../testing/waitFor.js';

type MetricList = Array<{ id: string; value?: string }>;
type Aggregated = Array<{ id: string; min?: number; max?: number; avg?: number; sum?: number }>;

const EXECUTION_STATES = ['CREATED', 'SCHEDULED', 'DEPLOYING', 'RUNNING', 'FINISHED', 'CANCELING', 'CANCELED', 'FAILED', 'RECONCILING', 'INITIALIZING'];

/** GET with the path exactly as given (no dot-segment normalisation), for malformed URIs. */
function rawGet(url: string, path: string): Promise<{ status: number; body: any }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    request({ hostname, port, path, method: 'GET' }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
    })
      .on('error', reject)
      .end();
  });
}

async function text(url: string): Promise<string> {
  return (await fetch(url)).text();
}

t.test('metrics, vertex views and Prometheus of a running ClickEventCount', async (t) => {
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const topics = await createTopics('rest-metrics');
  const prometheus = ['-D', 'metrics.reporter.prom.factory.class=org.apache.flink.metrics.prometheus.PrometheusReporterFactory', '-D', 'metrics.reporter.prom.port=0'];
  const jm = await cluster.startJobManager(prometheus);
  const tm = await cluster.startTaskManager(jm.rpcPort, [...prometheus, '-D', 'taskmanager.numberOfTaskSlots=3']);
  const jmPorts = await jm.process.ports();
  const tmPorts = await tm.process.ports();
  t.type(jmPorts.prometheus, 'number', 'the JobManager announces its Prometheus port');
  t.type(tmPorts.prometheus, 'number', 'the TaskManager announces its Prometheus port');

  const jobId = await submitJob(jm.restUrl, join(REPO_ROOT, 'examples', 'streaming', 'ClickEventCount.ts'), [
    '--bootstrap.servers', testRun().kafka.bootstrapServers, '--input-topic', topics.input, '--output-topic', topics.output, '--event-time', '--checkpointing',
  ]);
  const generator = runGenerator({ bootstrapServers: testRun().kafka.bootstrapServers, topic: topics.input, rate: 4000, maxWindows: 40 });
  t.teardown(() => generator.catch(() => undefined));
  await waitForRunning(jm.restUrl, jobId, 3);
  const { body: job } = await getJson(`${jm.restUrl}/jobs/${jobId}`);
  const [source, counter, sink] = job.vertices as Array<{ id: string; name: string }>;
  const vertexUrl = (v: { id: string }) => `${jm.restUrl}/jobs/${jobId}/vertices/${v.id}`;

  // Rates are views over 5 s samples: wait until records flowed and a sample was taken.
  await waitFor('records flowing and rated', async () => {
    const { body } = await getJson<Aggregated>(`${vertexUrl(counter!)}/subtasks/metrics?get=numRecordsInPerSecond`);
    return (body[0]?.sum ?? 0) > 0;
  }, { timeoutMs: 60_000 });
  await waitFor('a completed checkpoint', async () => (await completedCheckpoints(jm.restUrl, jobId)) >= 1, { timeoutMs: 60_000 });

  await t.test('job, plan, config and overview shapes', async (t) => {
    const { body } = await getJson(`${jm.restUrl}/jobs/${jobId}`);
    t.match(body, { jid: jobId, name: 'Click Event Count', isStoppable: false, state: 'RUNNING', 'start-time': Number, 'end-time': -1, duration: Number, maxParallelism: Number, now: Number });
    t.same(Object.keys(body.timestamps).sort(), ['CANCELED', 'CANCELLING', 'CREATED', 'FAILED', 'FAILING', 'FINISHED', 'INITIALIZING', 'RECONCILING', 'RESTARTING', 'RUNNING', 'SUSPENDED'], 'a timestamp per JobStatus (CANCELLING)');
    t.same(Object.keys(body['status-counts']).sort(), [...EXECUTION_STATES].sort(), 'a count per ExecutionState (CANCELING)');
    t.equal(body.vertices.length, 3);
    t.match(body.vertices[1], { id: /^[0-9a-f]{32}$/, name: 'ClickEvent Counter', parallelism: 1, status: 'RUNNING', tasks: { RUNNING: 1 }, metrics: { 'read-records': Number, 'write-records': Number, 'read-bytes': Number } });
    const { body: plan } = await getJson(`${jm.restUrl}/jobs/${jobId}/plan`);
    t.equal(plan.plan.type, 'STREAMING');
    t.same(plan.plan.nodes.map((n: { inputs?: Array<{ ship_strategy: string }> }) => n.inputs?.map((i) => i.ship_strategy) ?? null), [null, ['HASH'], ['FORWARD']], 'the keyBy edge is HASH, the sink edge FORWARD; sources have no inputs');
    const { body: config } = await getJson(`${jm.restUrl}/jobs/${jobId}/config`);
    t.match(config, { jid: jobId, name: 'Click Event Count', 'execution-config': { 'execution-mode': 'PIPELINED', 'job-parallelism': 1, 'object-reuse-mode': Boolean, 'user-config': Object } });
    const { body: overview } = await getJson(`${jm.restUrl}/jobs/overview`);
    t.same(Object.keys(overview.jobs[0].tasks).sort(), ['total', ...EXECUTION_STATES.map((s) => s.toLowerCase())].sort(), 'lower-cased task states in the overview');
  });

  await t.test('JobManager metrics', async (t) => {
    const { status, body } = await getJson<MetricList>(`${jm.restUrl}/jobmanager/metrics`);
    t.equal(status, 200);
    const ids = body.map((m) => m.id);
    for (const id of ['numRegisteredTaskManagers', 'numRunningJobs', 'taskSlotsAvailable', 'taskSlotsTotal', 'Status.JVM.Memory.Heap.Used', 'Status.JVM.Memory.Heap.Max', 'Status.JVM.CPU.Load', 'Status.JVM.CPU.Time', 'Status.JVM.Threads.Count', 'Status.JVM.GarbageCollector.Scavenge.Count', 'Status.Node.EventLoop.Delay.P99']) {
      t.ok(ids.includes(id), `lists ${id}`);
    }
    t.ok(body.every((m) => Object.keys(m).length === 1), 'without get: ids only');
    const { body: values } = await getJson<MetricList>(`${jm.restUrl}/jobmanager/metrics?get=numRegisteredTaskManagers,taskSlotsTotal,taskSlotsAvailable,numRunningJobs,no.such.metric`);
    t.same(values, [
      { id: 'numRegisteredTaskManagers', value: '1' },
      { id: 'taskSlotsTotal', value: '3' },
      { id: 'taskSlotsAvailable', value: '2' },
      { id: 'numRunningJobs', value: '1' },
    ], 'values are strings; unknown ids are left out');
    const heap = (await getJson<MetricList>(`${jm.restUrl}/v1/jobmanager/metrics?get=Status.JVM.Memory.Heap.Used`)).body;
    t.match(heap, [{ id: 'Status.JVM.Memory.Heap.Used', value: /^\d+$/ }], 'also under /v1');
  });

  await t.test('TaskManager metrics, single and aggregated', async (t) => {
    const { body: tms } = await getJson(`${jm.restUrl}/taskmanagers`);
    const tmId = tms.taskmanagers[0].id as string;
    await waitFor('process metrics in a heartbeat', async () => (await getJson<MetricList>(`${jm.restUrl}/taskmanagers/${encodeURIComponent(tmId)}/metrics`)).body.length > 0);
    const { body } = await getJson<MetricList>(`${jm.restUrl}/taskmanagers/${encodeURIComponent(tmId)}/metrics?get=Status.JVM.Memory.Heap.Used,Status.JVM.Threads.Count`);
    t.match(body, [{ id: 'Status.JVM.Memory.Heap.Used', value: /^\d+$/ }, { id: 'Status.JVM.Threads.Count', value: /^\d+$/ }]);
    t.ok(Number(body[1]!.value) >= 4, 'the main thread plus one worker thread per running subtask');
    const { body: details } = await getJson(`${jm.restUrl}/taskmanagers/${encodeURIComponent(tmId)}`);
    t.ok(details.metrics.heapUsed > 0 && details.metrics.heapMax >= details.metrics.heapUsed, 'the TaskManager details carry the heap figures');
    t.ok(details.metrics.garbageCollectors.some((gc: { name: string }) => gc.name === 'Scavenge'));
    const { body: aggregated } = await getJson<Aggregated>(`${jm.restUrl}/taskmanagers/metrics?get=Status.JVM.Memory.Heap.Used&agg=max,MIN`);
    t.equal(aggregated.length, 1);
    t.same(Object.keys(aggregated[0]!).sort(), ['id', 'max', 'min'], 'only the requested aggregations');
    t.type(aggregated[0]!.max, 'number', 'aggregated values are numbers');
    const all = (await getJson<Aggregated>(`${jm.restUrl}/taskmanagers/metrics?get=Status.JVM.Memory.Heap.Used&taskmanagers=${encodeURIComponent(tmId)}`)).body;
    t.same(Object.keys(all[0]!).sort(), ['avg', 'id', 'max', 'min', 'sum'], 'all four without agg');
    t.same((await getJson(`${jm.restUrl}/taskmanagers/metrics?get=Status.JVM.Memory.Heap.Used&taskmanagers=nobody`)).body, []);
    const bad = await getJson(`${jm.restUrl}/taskmanagers/metrics?get=Status.JVM.Memory.Heap.Used&agg=median`);
    t.equal(bad.status, 400);
    t.match(bad.body, { errors: [/^Bad request, could not parse parameters: .*agg/] });
    t.same((await getJson(`${jm.restUrl}/taskmanagers/unknown-tm/metrics`)).body, [], 'an unknown TaskManager has no metrics (Flink answers an empty list)');
  });

  await t.test('job metrics', async (t) => {
    const { body: ids } = await getJson<MetricList>(`${jm.restUrl}/jobs/${jobId}/metrics`);
    for (const id of ['numRestarts', 'fullRestarts', 'uptime', 'downtime', 'runningTime', 'restartingTime', 'lastCheckpointSize', 'lastCheckpointDuration', 'numberOfCompletedCheckpoints', 'lastCheckpointExternalPath']) {
      t.ok(ids.some((m) => m.id === id), `lists ${id}`);
    }
    const { body } = await getJson<MetricList>(`${jm.restUrl}/jobs/${jobId}/metrics?get=numRestarts,runningTime,restartingTime,uptime,downtime,lastCheckpointSize`);
    const value = (id: string) => body.find((m) => m.id === id)?.value;
    t.equal(value('numRestarts'), '0');
    t.ok(Number(value('runningTime')) > 0 && Number(value('uptime')) > 0, 'running: runningTime and uptime grow');
    t.equal(value('restartingTime'), '0');
    t.equal(value('downtime'), '0');
    t.ok(Number(value('lastCheckpointSize')) > 0, 'the seed query ?get=lastCheckpointSize answers a size');
    const { body: aggregated } = await getJson<Aggregated>(`${jm.restUrl}/jobs/metrics?get=numRestarts&agg=sum`);
    t.same(aggregated, [{ id: 'numRestarts', sum: 0 }]);
    t.same((await getJson(`${jm.restUrl}/jobs/${'0'.repeat(32)}/metrics?get=numRestarts`)).body, [], 'an unknown job has no metrics');
    t.equal((await getJson(`${jm.restUrl}/jobs/not-a-job-id/metrics`)).status, 400);
  });

  await t.test('task and operator metrics of a vertex', async (t) => {
    const { body: ids } = await getJson<MetricList>(`${vertexUrl(source!)}/metrics`);
    const has = (id: string) => ids.some((m) => m.id === id);
    for (const name of ['numRecordsIn', 'numRecordsOut', 'numBytesIn', 'numBytesOut', 'numRecordsInPerSecond', 'numRecordsOutPerSecond', 'numBytesInPerSecond', 'numBytesOutPerSecond', 'currentInputWatermark', 'busyTimeMsPerSecond', 'idleTimeMsPerSecond', 'backPressuredTimeMsPerSecond', 'isBackPressured', 'numLateRecordsDropped']) {
      t.ok(has(`0.${name}`), `task metric 0.${name}`);
    }
    const op = source!.name.replace(/[ .:,]/g, '_');
    for (const name of ['numRecordsIn', 'numRecordsOut', 'numRecordsOutPerSecond', 'currentOutputWatermark', 'numRecordsInErrors', 'KafkaSourceReader.KafkaConsumer.records-lag-max', 'KafkaSourceReader.commitsSucceeded', 'pendingRecords']) {
      t.ok(has(`0.${op}.${name}`), `operator metric 0.${op}.${name}`);
    }
    t.ok(has(`0.${op}.KafkaSourceReader.topic.${topics.input}.partition.0.currentOffset`), 'per-partition current offset');
    t.ok(has(`0.${op}.KafkaSourceReader.topic.${topics.input}.partition.1.committedOffset`), 'per-partition committed offset');
    const lag = (await getJson<MetricList>(`${vertexUrl(source!)}/metrics?get=0.${op}.KafkaSourceReader.KafkaConsumer.records-lag-max,0.isBackPressured`)).body;
    t.match(lag, [{ id: `0.${op}.KafkaSourceReader.KafkaConsumer.records-lag-max`, value: /^-?\d+$/ }, { id: '0.isBackPressured', value: /^(true|false)$/ }]);
    await waitFor('offsets committed with a checkpoint', async () => {
      const { body } = await getJson<MetricList>(`${vertexUrl(source!)}/metrics?get=0.${op}.KafkaSourceReader.commitsSucceeded`);
      return Number(body[0]?.value) > 0;
    });

    const windowOp = counter!.name.replace(/[ .:,]/g, '_');
    const { body: counterIds } = await getJson<MetricList>(`${vertexUrl(counter!)}/metrics`);
    t.ok(counterIds.some((m) => m.id === `0.${windowOp}.numLateRecordsDropped`), 'the window operator counts late records');
    const { body: subtask } = await getJson<MetricList>(`${vertexUrl(counter!)}/subtasks/0/metrics?get=numRecordsIn,${windowOp}.numRecordsIn`);
    t.match(subtask, [{ id: 'numRecordsIn', value: /^\d+$/ }, { id: `${windowOp}.numRecordsIn`, value: /^\d+$/ }], 'subtask metrics have plain ids');
    t.ok(Number(subtask[0]!.value) > 0);

    const { body: aggregated } = await getJson<Aggregated>(`${vertexUrl(counter!)}/subtasks/metrics?get=backPressuredTimeMsPerSecond,busyTimeMsPerSecond,idleTimeMsPerSecond&subtasks=0`);
    t.same(aggregated.map((m) => m.id), ['backPressuredTimeMsPerSecond', 'busyTimeMsPerSecond', 'idleTimeMsPerSecond']);
    for (const m of aggregated) t.ok(m.max! >= 0 && m.max! <= 1000, `${m.id} is milliseconds per second`);
    const sum = aggregated.reduce((total, m) => total + m.max!, 0);
    t.ok(Math.abs(sum - 1000) < 1, 'busy + idle + backpressured = 1000 ms per second');
    t.same((await getJson(`${vertexUrl(counter!)}/subtasks/metrics?get=numRecordsIn&subtasks=5-7`)).body, [], 'no such subtasks: nothing');
    t.equal((await getJson(`${vertexUrl(counter!)}/subtasks/metrics?get=numRecordsIn&subtasks=a-b`)).status, 400);

    const { body: watermarks } = await getJson<MetricList>(`${vertexUrl(counter!)}/watermarks`);
    t.match(watermarks, [{ id: '0.currentInputWatermark', value: /^-?\d+$/ }]);
    await waitFor('an event-time watermark at the window operator', async () => {
      const { body } = await getJson<MetricList>(`${vertexUrl(counter!)}/watermarks`);
      return Number(body[0]!.value) >= 0;
    });
  });

  await t.test('vertex, subtask and per-TaskManager views', async (t) => {
    const { body: vertex } = await getJson(vertexUrl(counter!));
    t.match(vertex, { id: counter!.id, name: counter!.name, parallelism: 1, maxParallelism: Number, now: Number, subtasks: Array, aggregated: { metrics: Object, 'status-duration': Object } });
    const st = vertex.subtasks[0];
    t.match(st, { subtask: 0, status: 'RUNNING', attempt: 0, host: String, 'start-time': Number, 'end-time': -1, duration: Number, 'taskmanager-id': String });
    t.match(st.metrics, {
      'read-bytes': Number, 'read-bytes-complete': true, 'write-bytes': Number, 'write-bytes-complete': true, 'read-records': Number, 'read-records-complete': true,
      'write-records': Number, 'write-records-complete': true, 'accumulated-backpressured-time': Number, 'accumulated-idle-time': Number, 'accumulated-busy-time': Number,
    });
    t.ok(st.metrics['read-records'] > 0 && st.metrics['accumulated-idle-time'] + st.metrics['accumulated-busy-time'] > 0);
    t.same(Object.keys(st['status-duration']), ['CREATED', 'SCHEDULED', 'DEPLOYING', 'INITIALIZING', 'RUNNING']);
    t.match(vertex.aggregated.metrics['read-records'], { min: Number, max: Number, avg: Number, sum: Number, median: Number, p25: Number, p75: Number, p95: Number });

    t.same((await getJson(`${vertexUrl(counter!)}/subtasks/0`)).body.subtask, 0);
    t.equal((await getJson(`${vertexUrl(counter!)}/subtasks/0/attempts/0`)).body.attempt, 0);
    t.equal((await getJson(`${vertexUrl(counter!)}/subtasks/0/attempts/7`)).status, 404);
    t.equal((await getJson(`${vertexUrl(counter!)}/subtasks/9`)).status, 404);

    const { body: times } = await getJson(`${vertexUrl(sink!)}/subtasktimes`);
    t.match(times, { id: sink!.id, name: sink!.name, now: Number, subtasks: [{ subtask: 0, host: String, duration: Number, timestamps: Object }] });
    t.same(Object.keys(times.subtasks[0].timestamps), EXECUTION_STATES, 'a timestamp for every ExecutionState');
    t.ok(times.subtasks[0].timestamps.RUNNING > 0 && times.subtasks[0].timestamps.FINISHED === 0);

    const { body: perTm } = await getJson(`${vertexUrl(source!)}/taskmanagers`);
    t.match(perTm, { id: source!.id, name: source!.name, now: Number, taskmanagers: [{ host: String, 'taskmanager-id': String, status: 'RUNNING', 'start-time': Number, 'end-time': -1, duration: Number, metrics: Object, 'status-counts': Object }] });
    t.equal(perTm.taskmanagers[0]['status-counts'].RUNNING, 1);

    const { body: backpressure } = await getJson(`${vertexUrl(source!)}/backpressure`);
    t.match(backpressure, { status: 'ok', 'backpressure-level': /^(ok|low|high)$/, backpressureLevel: /^(ok|low|high)$/, 'end-timestamp': Number });
    t.match(backpressure.subtasks[0], { subtask: 0, 'attempt-number': 0, 'backpressure-level': /^(ok|low|high)$/, ratio: Number, idleRatio: Number, busyRatio: Number });
    t.ok(backpressure.subtasks[0].ratio >= 0 && backpressure.subtasks[0].ratio <= 1);

    t.same((await getJson(`${jm.restUrl}/jobs/${jobId}/accumulators`)).body, { 'job-accumulators': [], 'user-task-accumulators': [], 'serialized-user-task-accumulators': {} });
    t.same((await getJson(`${vertexUrl(sink!)}/accumulators`)).body, { id: sink!.id, 'user-accumulators': [] });
    t.match((await getJson(`${vertexUrl(sink!)}/subtasks/accumulators`)).body, { id: sink!.id, parallelism: 1, subtasks: [{ subtask: 0, attempt: 0, host: String, 'user-accumulators': [] }] });
    t.same((await getJson(`${jm.restUrl}/jobs/${jobId}/vertices/${'f'.repeat(32)}`)).body, { errors: [`JobVertex ${'f'.repeat(32)} not found`] });
  });

  await t.test('Prometheus on the JobManager and the TaskManager', async (t) => {
    const jmText = await text(`http://127.0.0.1:${jmPorts.prometheus}/metrics`);
    t.match(jmText, /^# TYPE flink_jobmanager_Status_JVM_Memory_Heap_Used gauge$/m);
    t.match(jmText, /^flink_jobmanager_numRegisteredTaskManagers\{host="[^"]+"\} 1$/m);
    t.match(jmText, new RegExp(`^flink_jobmanager_job_numRestarts\\{host="[^"]+",job_id="${jobId}",job_name="Click Event Count"\\} 0$`, 'm'));
    t.match(jmText, /^flink_jobmanager_job_lastCheckpointSize\{[^}]*\} \d+$/m);
    const tmText = await waitFor('subtask metrics at the TaskManager', async () => {
      const body = await text(`http://127.0.0.1:${tmPorts.prometheus}/metrics`);
      return body.includes('flink_taskmanager_job_task_operator_numRecordsOut') ? body : undefined;
    });
    t.match(tmText, /^flink_taskmanager_Status_JVM_CPU_Load\{host="[^"]+",tm_id="[^"]+"\} [\d.e-]+$/m);
    t.match(tmText, new RegExp(`^flink_taskmanager_job_task_numRecordsIn\\{[^}]*job_id="${jobId}"[^}]*subtask_index="0"[^}]*task_name="${counter!.name}"[^}]*\\} \\d+$`, 'm'));
    t.match(tmText, new RegExp(`^flink_taskmanager_job_task_operator_KafkaSourceReader_topic_partition_currentOffset\\{[^}]*operator_name="${source!.name.replace(/[ .:,]/g, '_')}",partition="0"[^}]*topic="${topics.input}"[^}]*\\} \\d+$`, 'm'));
    t.match(tmText, /^flink_taskmanager_job_task_isBackPressured\{[^}]*\} [01]$/m, 'booleans as 1/0');
    t.equal((await fetch(`http://127.0.0.1:${tmPorts.prometheus}/other`)).status, 404);
  });

  await t.test("Flink's error shapes", async (t) => {
    t.same(await rawGet(jm.restUrl, '/no/such/path'), { status: 404, body: { errors: ['Not found: /no/such/path'] } });
    t.same(await rawGet(jm.restUrl, `/jobs/${'0'.repeat(32)}`), { status: 404, body: { errors: [`Job ${'0'.repeat(32)} not found`] } });
    const malformed = await rawGet(jm.restUrl, `/jobs/${jobId}/vertices/%c0%ae`);
    t.equal(malformed.status, 400, 'a malformed percent-encoding is a bad request, not a server error');
    t.match(malformed.body, { errors: [/^Bad request, could not parse parameters/] });
    t.equal((await getJson(`${jm.restUrl}/overview`)).status, 200, 'the server stays up');
  });
});
