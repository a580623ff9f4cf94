// Every subtask runs in a thread of its own: a slot holds one subtask of every vertex of a job, so a job with many
// unchained vertices needs many threads in one slot. Such a job must run; one beyond what a TaskExecutor runs fails its
// deployment with an error that says why, instead of waiting in INITIALIZING for a thread that never comes.
import t from 'tap';
import { join } from 'node:path';
import { TestingCluster } from '../testing/TestingCluster.js';
import { submitJob, waitForRunning } from '../testing/jobs.js';
import { REPO_ROOT } from '../testing/testRun.js';
import { getJson, waitFor } from '../testing/waitFor.js';

const MANY_VERTICES = join(REPO_ROOT, 'test', 'fixtures', 'jobs', 'ManyVertices.ts');

t.test('a job with 12 unchained vertices runs in one slot; one with more vertices than a slot may hold fails saying why', async (t) => {
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const jm = await cluster.startJobManager();
  const tm = await cluster.startTaskManager(jm.rpcPort, ['-D', 'taskmanager.numberOfTaskSlots=1']);
  await waitFor('TaskManager', async () => (await getJson(`${jm.restUrl}/overview`)).body.taskmanagers === 1);

  const jobId = await submitJob(jm.restUrl, MANY_VERTICES, ['--vertices', '12']);
  await waitForRunning(jm.restUrl, jobId, 12);
  t.pass('all 12 subtasks RUNNING in one slot');
  await fetch(`${jm.restUrl}/jobs/${jobId}?mode=cancel`, { method: 'PATCH' });
  await waitFor('cancelled', async () => (await getJson(`${jm.restUrl}/jobs/${jobId}/status`)).body.status === 'CANCELED');

  const tooMany = await submitJob(jm.restUrl, MANY_VERTICES, ['--vertices', '40']);
  await waitFor('the job FAILED', async () => (await getJson(`${jm.restUrl}/jobs/${tooMany}/status`)).body.status === 'FAILED', { timeoutMs: 60_000 });
  const { body } = await getJson(`${jm.restUrl}/jobs/${tooMany}/exceptions`);
  t.match(body['root-exception'], /DeploymentError: Could not deploy .+: .*TaskExecutor .+ runs 32 subtasks, as many as it has threads for \(1 slot\(s\) × 32 subtasks\)/);
  t.match(body['root-exception'], /Chain operators \(fewer vertices per slot\) or add slots\./);
  t.equal(tm.process.child.exitCode, null, 'the TaskManager lives on');
});
