import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { FileSystemStateStorage } from '../../../src/highavailability/FileSystemStateStorage.js';
import { FileSystemJobResultStore } from '../../../src/highavailability/JobResultStore.js';
import { deserializeJobSubmission, serializeJobSubmission } from '../../../src/master/dispatcher/JobGraphStore.js';
import { clickEventCountShape, jobGraphOf } from '../../testing/runtime/jobGraphs.js';

const JOB = '0123456789abcdef0123456789abcdef';

t.test('state files: written whole under their own names; nothing else is read or removed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ha-storage-'));
  const storage = new FileSystemStateStorage(dir);
  const path = await storage.store('submittedJobGraph', Buffer.from('state'));
  t.match(path, new RegExp(`^${dir}/submittedJobGraph[0-9a-f]{32}$`));
  t.same(readdirSync(dir), [path.slice(dir.length + 1)], 'no temporary file left');
  t.equal((await storage.read(path)).toString(), 'state');
  for (const bad of ['/etc/passwd', join(dir, '..', 'x'), join(dir, 'sub', 'submittedJobGraph0123456789abcdef0123456789abcdef'), join(dir, 'notes.txt')]) {
    await t.rejects(storage.read(bad), { name: 'StateHandleError' }, bad);
    await t.rejects(storage.discard(bad), { name: 'StateHandleError' }, bad);
  }
  await storage.discard(path);
  t.same(readdirSync(dir), []);
});

t.test('job result store: dirty, then clean, in Flink’s file format; only job ids make file names', async (t) => {
  const dir = join(mkdtempSync(join(tmpdir(), 'jrs-')), 'job-result-store', 'default');
  const store = new FileSystemJobResultStore(dir);
  t.equal(await store.hasJobResultEntry(JOB), false, 'an empty store (no directory yet)');
  await store.createDirtyResult({ jobId: JOB, applicationStatus: 'CANCELED', netRuntime: 1234 });
  t.same(JSON.parse(readFileSync(join(dir, `${JOB}_DIRTY.json`), 'utf8')), {
    result: { id: JOB, 'application-status': 'CANCELED', 'accumulator-results': {}, 'net-runtime': 1234 },
    version: 1,
  });
  t.same(await store.getDirtyResults(), [{ jobId: JOB, applicationStatus: 'CANCELED', netRuntime: 1234 }]);
  await store.markResultAsClean(JOB);
  t.same(readdirSync(dir), [`${JOB}.json`]);
  t.equal(await store.hasJobResultEntry(JOB), true);
  t.same(await store.getDirtyResults(), []);
  await t.rejects(store.createDirtyResult({ jobId: '../../etc', applicationStatus: 'FAILED', netRuntime: 0 }), /is not a job id/);
});

t.test('a stored job submission reads back whole, and only under its own id', async (t) => {
  const submission = {
    jobId: JOB,
    jobGraph: { jobName: 'j', vertices: [], planHash: 'p', checkpointInterval: undefined, maxParallelism: 128 },
    jobModule: Buffer.from([0, 1, 2, 255]),
    programArgs: ['--a'],
    defaultParallelism: 3,
  };
  const bytes = serializeJobSubmission(submission);
  const back = deserializeJobSubmission(bytes, JOB);
  t.same(back.jobModule, submission.jobModule);
  t.equal(back.defaultParallelism, 3);
  t.throws(() => deserializeJobSubmission(bytes, 'f'.repeat(32)), /is of job/);
  t.throws(() => deserializeJobSubmission(bytes.subarray(0, 10), JOB), /truncated/);
});

t.test('a job graph description, which has cycles (edges name their vertices), is stored and read back with its shared edges', async (t) => {
  const graph = await jobGraphOf(clickEventCountShape({ checkpointInterval: 1000 }), 2);
  t.ok(graph.vertices.some((v) => v.outputs.length > 0), 'a graph with edges');
  const submission = { jobId: JOB, jobGraph: graph, jobModule: Buffer.from('m'), programArgs: [], defaultParallelism: 2 };
  const back = deserializeJobSubmission(serializeJobSubmission(submission), JOB).jobGraph;
  t.same(back.vertices.map((v) => v.id), graph.vertices.map((v) => v.id));
  t.equal(back.checkpointInterval, 1000);
  for (const [i, vertex] of back.vertices.entries()) {
    const original = graph.vertices[i]!;
    t.same(vertex.outputs.map((e) => [e.source.id, e.target.id, e.shipStrategy]), original.outputs.map((e) => [e.source.id, e.target.id, e.shipStrategy]));
    for (const edge of vertex.outputs) t.ok(edge.target.inputs.includes(edge), 'the edge object is shared by both its vertices');
  }
});
