import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fixedLeaderRetrieval } from '../../../src/highavailability/HighAvailabilityServices.js';
import t, { type Test } from 'tap';
import { ShuffleEnvironment } from '../../../src/taskmanager/network/ShuffleEnvironment.js';
import { TaskExecutor } from '../../../src/taskmanager/TaskExecutor.js';
import type { TaskDeploymentDescriptor } from '../../../src/taskmanager/TaskExecutorGateway.js';
import { settle } from '../../testing/runtime/settle.js';
import { TestingJobMasterGateway, TestingJobMasterGateways } from '../../testing/runtime/TestingJobMasterGateway.js';
import { testingLogger } from '../../testing/runtime/TestingLogger.js';
import { TestingResourceManagerGateway } from '../../testing/runtime/TestingResourceManagerGateway.js';
import { TestingShuffleTransport } from '../../testing/runtime/TestingShuffleTransport.js';
import { TestingTaskThreadPool } from '../../testing/runtime/TestingTaskThreadPool.js';
import { ManuallyTriggeredScheduledExecutor } from '../../testing/time/ManuallyTriggeredScheduledExecutor.js';

t.setTimeout(10_000);

const hex = (name: string) => createHash('sha256').update(name).digest('hex').slice(0, 32);
const JOB = hex('job');
const ATTEMPT = hex('attempt');
const UPSTREAM = hex('upstream-attempt');
const SECRET = hex('secret');

function deployment(overrides: Partial<TaskDeploymentDescriptor> = {}): TaskDeploymentDescriptor {
  return {
    jobId: JOB,
    jobName: 'job',
    vertexId: hex('vertex'),
    vertexName: 'Vertex',
    subtaskIndex: 0,
    parallelism: 1,
    maxParallelism: 128,
    attemptId: ATTEMPT,
    attemptNumber: 0,
    allocationId: hex('allocation'),
    slotIndex: 0,
    jobModule: new TextEncoder().encode('export default async function main() {}\n'),
    programArgs: [],
    defaultParallelism: 1,
    planHash: 'plan',
    jobMasterAddress: 'jobmanager:6123',
    taskRestore: undefined,
    inputs: [{ sourceVertexId: hex('source'), channels: [{ channelId: `${UPSTREAM}-${ATTEMPT}`, peerAddress: '10.0.0.2:6121', subscriptionSecret: SECRET }] }],
    outputs: [],
    ...overrides,
  };
}

function setup(t: Test) {
  const workingDirectory = mkdtempSync(join(tmpdir(), 'tsflink-te-authz-'));
  const executor = new ManuallyTriggeredScheduledExecutor();
  const rm = TestingResourceManagerGateway.builder().setHeartbeat(1000, 5000).build();
  const jobMaster = TestingJobMasterGateway.builder().build();
  const threads = new TestingTaskThreadPool(4);
  const { log, sink } = testingLogger('TaskExecutor');
  const shuffle = new ShuffleEnvironment('127.0.0.1:6121', new TestingShuffleTransport().attach, log);
  const taskExecutor = new TaskExecutor(
    {
      resourceId: 'tm-1',
      rpcAddress: '127.0.0.1:6122',
      dataPort: 6121,
      numberOfSlots: 2,
      registration: { initialTimeoutMs: 100, maxTimeoutMs: 1000, refusedDelayMs: 30_000 },
      workingDirectory,
      jobManagerLossGracePeriodMs: 0,
    },
    { shuffle, threads, jobMasters: new TestingJobMasterGateways(jobMaster), connectResourceManager: rm.connect, resourceManagerRetrieval: fixedLeaderRetrieval('jobmanager:6123'), executor, logFiles: undefined },
    log,
  );
  t.teardown(async () => {
    await taskExecutor.close();
    rmSync(workingDirectory, { recursive: true, force: true });
  });
  return { taskExecutor, executor, rm, jobMaster, threads, sink, workingDirectory };
}

t.test('calls are fenced: only the tokens of the current registration (ResourceManager id and registration id) pass', async (t) => {
  const h = setup(t);
  t.match(await h.taskExecutor.checkFencingTokens({ resourceManagerId: 'rm-leader-1', registrationId: 'registration-1' }), /not registered/, 'before registering');
  h.taskExecutor.start();
  t.equal(await h.taskExecutor.checkFencingTokens({ resourceManagerId: 'rm-leader-1', registrationId: 'registration-1' }), undefined, 'a call that overtook the registration’s answer waits for it');
  for (const tokens of [
    { resourceManagerId: 'rm-leader-1', registrationId: 'registration-2' },
    { resourceManagerId: 'rm-leader-2', registrationId: 'registration-1' },
    { resourceManagerId: '', registrationId: '' },
  ]) {
    t.match(await h.taskExecutor.checkFencingTokens(tokens), /fencing tokens/, JSON.stringify(tokens));
  }
  // The registration is lost: the old tokens no longer pass, the new registration's do.
  h.rm.sessions.items[0]!.closeByResourceManager('gone');
  await settle();
  t.equal(await h.taskExecutor.checkFencingTokens({ resourceManagerId: 'rm-leader-1', registrationId: 'registration-2' }), undefined);
  t.match(await h.taskExecutor.checkFencingTokens({ resourceManagerId: 'rm-leader-1', registrationId: 'registration-1' }), /fencing tokens/);
  t.equal(h.rm.registrations.items[1]!.previousRegistrationId, 'registration-1', 'registering again, it proves it held the old registration');
  t.equal(h.sink.matching('registration-1').length, 0, 'the registration id (a secret) is never logged');
});

t.test('SubmitTask with ids that are not of tsflink’s form is refused before anything touches the file system', async (t) => {
  const h = setup(t);
  const cases: Array<[string, Partial<TaskDeploymentDescriptor>]> = [
    ['a job id of ../..', { jobId: '../..' }],
    ['an absolute job id', { jobId: '/tmp/evil' }],
    ['an attempt id with a slash', { attemptId: `${'a'.repeat(16)}/${'b'.repeat(15)}` }],
    ['an upper-case vertex id', { vertexId: hex('vertex').toUpperCase() }],
    ['an allocation id of ..', { allocationId: '..' }],
    ['a channel of another attempt', { inputs: [{ sourceVertexId: hex('source'), channels: [{ channelId: `${UPSTREAM}-${UPSTREAM}`, peerAddress: '10.0.0.2:6121', subscriptionSecret: SECRET }] }] }],
    ['a channel without secret', { inputs: [{ sourceVertexId: hex('source'), channels: [{ channelId: `${UPSTREAM}-${ATTEMPT}`, peerAddress: '10.0.0.2:6121', subscriptionSecret: '' }] }] }],
    ['a subtask index beyond the parallelism', { subtaskIndex: 1 }],
    ['a JobMaster address without a port', { jobMasterAddress: 'jobmanager' }],
  ];
  for (const [what, overrides] of cases) await t.rejects(h.taskExecutor.submitTask(deployment(overrides)), { message: /Refused the deployment/ }, what);
  t.same(readdirSync(h.workingDirectory), [], 'no job module or state directory was written');
  t.notOk(existsSync(join(dirname(h.workingDirectory), 'tmp', 'evil')));
  t.equal(h.threads.started.length, 0, 'nothing started');
});

t.test('SubmitTask only into a slot free or allocated to the same allocation of the same job', async (t) => {
  const h = setup(t);
  await h.taskExecutor.submitTask(deployment());
  const other = hex('other-job');
  await t.rejects(
    h.taskExecutor.submitTask(deployment({ jobId: other, attemptId: hex('a2'), inputs: [] })),
    { message: /allocated to job .*, not to job / },
    'the same allocation id for another job',
  );
  await t.rejects(h.taskExecutor.submitTask(deployment({ attemptId: hex('a3'), slotIndex: 1, inputs: [] })), { message: /held by another slot/ });
  await t.rejects(h.taskExecutor.submitTask(deployment({ jobId: other })), { message: /another job or slot/ }, 'a known attempt id for another job');
  await h.taskExecutor.submitTask(deployment({ attemptId: hex('a4'), inputs: [] }));
  t.equal(h.threads.started.length, 2, 'a second subtask of the job in its slot is fine');
});

t.test('reports to the JobMaster name this TaskExecutor and its current registration id', async (t) => {
  const h = setup(t);
  h.taskExecutor.start();
  await settle();
  await h.taskExecutor.submitTask(deployment());
  await h.jobMaster.awaitState(ATTEMPT, 'INITIALIZING');
  t.same(h.jobMaster.senders.items[0], { resourceId: 'tm-1', registrationId: 'registration-1' });
});
