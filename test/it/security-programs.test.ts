// Uploaded programs run their main() outside the JobManager's event loop (a program thread with a time and a memory
// limit): a main() that calls process.exit(), spins, allocates without bound or throws fails its own REST request with
// a 400 that says why, and nothing else. The JobManager keeps answering, TaskManagers keep their heartbeats, and a
// ClickEventCount job running meanwhile never restarts and counts every window exactly 1000 times per page.
import t from 'tap';
import { join } from 'node:path';
import { runGenerator } from '../../src/client/generator/ClickEventGenerator.js';
import { TestingCluster } from '../testing/TestingCluster.js';
import { createTopics, expectExactWindows, PAGES, parseWindows, readTopicUntil, submitJob, uploadJob, waitForRunning } from '../testing/jobs.js';
import { REPO_ROOT, testRun } from '../testing/testRun.js';
import { getJson, waitFor } from '../testing/waitFor.js';

const CLICK_EVENT_COUNT = join(REPO_ROOT, 'examples', 'streaming', 'ClickEventCount.ts');
const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'jobs');
const WINDOWS = 20;
const PROGRAM_TIMEOUT_S = 15;

async function postJson(url: string, body: unknown = {}): Promise<{ status: number; body: any; ms: number }> {
  const started = Date.now();
  const response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: await response.json(), ms: Date.now() - started };
}

t.test('programs that exit, spin, allocate without bound or throw fail their own requests and nothing else', async (t) => {
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const topics = await createTopics('programs');
  const jm = await cluster.startJobManager(['-D', `jobmanager.program.timeout=${PROGRAM_TIMEOUT_S}s`, '-D', 'jobmanager.program.memory=128m']);
  for (let i = 0; i < 2; i++) await cluster.startTaskManager(jm.rpcPort, ['-D', 'taskmanager.numberOfTaskSlots=1']);
  await waitFor('TaskManagers registered', async () => (await getJson(`${jm.restUrl}/overview`)).body.taskmanagers === 2);
  const taskManagerIds = async (): Promise<string[]> => (await getJson(`${jm.restUrl}/taskmanagers`)).body.taskmanagers.map((tm: { id: string }) => tm.id).sort();
  const taskManagers = await taskManagerIds();

  const args = ['--bootstrap.servers', testRun().kafka.bootstrapServers, '--input-topic', topics.input, '--output-topic', topics.output, '--event-time'];
  const jobId = await submitJob(jm.restUrl, CLICK_EVENT_COUNT, args, 2);
  await waitForRunning(jm.restUrl, jobId, 6);
  // The events arrive over ~30 s, while the programs below misbehave: the job works through all of it.
  const generated = runGenerator({ bootstrapServers: testRun().kafka.bootstrapServers, topic: topics.input, rate: 4000, maxWindows: WINDOWS });

  const jobManagerAlive = () => jm.process.child.exitCode === null && jm.process.child.signalCode === null;
  const jar = async (file: string) => uploadJob(jm.restUrl, join(FIXTURES, file));

  await t.test('process.exit() in main(): plan and run answer 400, the JobManager lives on', async (t) => {
    const id = await jar('ExitingMain.ts');
    for (const action of ['plan', 'run']) {
      const response = await postJson(`${jm.restUrl}/jars/${id}/${action}`, { programArgsList: ['3'] });
      t.equal(response.status, 400, action);
      t.match(response.body.errors[0], 'The main method caused an error: the program called process.exit(3).', action);
      t.ok(jobManagerAlive(), `the JobManager process is running after ${action}`);
      t.equal((await getJson(`${jm.restUrl}/overview`)).status, 200);
    }
  });

  await t.test('a main() that throws: 400 with its message', async (t) => {
    const id = await jar('MainThrows.ts');
    const response = await postJson(`${jm.restUrl}/jars/${id}/run`);
    t.equal(response.status, 400);
    t.match(response.body.errors[0], 'The main method caused an error: main() refused to run: missing --input-topic');
  });

  await t.test(`a main() that spins: REST answers meanwhile, and the request fails after ${PROGRAM_TIMEOUT_S} s`, async (t) => {
    const id = await jar('SpinningMain.ts');
    const spinning = postJson(`${jm.restUrl}/jars/${id}/run`);
    let answered = 0;
    let slowest = 0;
    let done = false;
    void spinning.finally(() => (done = true));
    while (!done) {
      const started = Date.now();
      const overview = await getJson(`${jm.restUrl}/overview`);
      slowest = Math.max(slowest, Date.now() - started);
      t.equal(overview.body.taskmanagers, 2, 'no TaskManager lost');
      answered++;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const response = await spinning;
    t.equal(response.status, 400);
    t.match(response.body.errors[0], `The program did not finish within ${PROGRAM_TIMEOUT_S} s (jobmanager.program.timeout)`);
    t.ok(response.ms >= PROGRAM_TIMEOUT_S * 1000 && response.ms < (PROGRAM_TIMEOUT_S + 10) * 1000, `failed at the time limit (${response.ms} ms)`);
    t.ok(answered >= PROGRAM_TIMEOUT_S * 2, `/overview answered ${answered} times during the spin`);
    t.ok(slowest < 2000, `the slowest /overview during the spin took ${slowest} ms`);
  });

  await t.test('a main() that allocates without bound: 400 at jobmanager.program.memory', async (t) => {
    const id = await jar('AllocatingMain.ts');
    const response = await postJson(`${jm.restUrl}/jars/${id}/plan`);
    t.equal(response.status, 400);
    t.match(response.body.errors[0], 'The main method caused an error: the program ran out of memory; its heap is limited to 128 mb (jobmanager.program.memory).');
    t.ok(jobManagerAlive());
  });

  await t.test('a good program still plans after all that', async (t) => {
    const id = await uploadJob(jm.restUrl, CLICK_EVENT_COUNT);
    const response = await postJson(`${jm.restUrl}/jars/${id}/plan`, { programArgsList: args, parallelism: 2 });
    t.equal(response.status, 200, JSON.stringify(response.body));
    t.same(response.body.plan.nodes.map((n: { description: string }) => n.description), ['ClickEvent Source', 'ClickEvent Counter', 'ClickEventStatistics Sink']);
  });

  t.equal(await generated, WINDOWS * PAGES.length * 1000);
  const output = await readTopicUntil(topics.output, (values) => values.length >= (WINDOWS - 1) * PAGES.length, 120_000);
  expectExactWindows(t, parseWindows(output), WINDOWS);

  t.ok(jobManagerAlive(), 'the JobManager process never stopped');
  t.same(await taskManagerIds(), taskManagers, 'the same TaskManagers, none lost or re-registered');
  const { body: job } = await getJson(`${jm.restUrl}/jobs/${jobId}`);
  t.equal(job.state, 'RUNNING');
  t.same((await getJson(`${jm.restUrl}/jobs/${jobId}/metrics?get=numRestarts`)).body, [{ id: 'numRestarts', value: '0' }], 'the job never restarted');
  t.equal((await getJson(`${jm.restUrl}/jobs/${jobId}/exceptions`)).body['root-exception'], null, 'no failure in its history');
  const log = cluster.logFiles().filter((f) => f.includes('standalonesession')).map((f) => cluster.readLog(f)).join('\n');
  t.notMatch(log, /heartbeat of TaskManager .* timed out/i, 'no heartbeat timed out');
  t.match(log, /Could not build the job graph of .*process\.exit\(3\)/, 'the failures are logged');
  t.match(log, /Could not build the job graph of .*did not finish within/);
});
