import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DEFAULT_LEADER_ID, fixedLeaderRetrieval, type LeaderRetrievalService } from '../../../src/highavailability/HighAvailabilityServices.js';
import type { LeaderInformation } from '../../../src/highavailability/LeaderInformation.js';
import t, { type Test } from 'tap';
import { ShuffleEnvironment } from '../../../src/taskmanager/network/ShuffleEnvironment.js';
import { TaskExecutor, type TaskExecutorConfig } from '../../../src/taskmanager/TaskExecutor.js';
import type { TaskDeploymentDescriptor } from '../../../src/taskmanager/TaskExecutorGateway.js';
import { settle } from '../../testing/runtime/settle.js';
import { TestingJobMasterGateway, TestingJobMasterGateways } from '../../testing/runtime/TestingJobMasterGateway.js';
import { testingLogger } from '../../testing/runtime/TestingLogger.js';
import { TestingResourceManagerGateway } from '../../testing/runtime/TestingResourceManagerGateway.js';
import { TestingShuffleTransport } from '../../testing/runtime/TestingShuffleTransport.js';
import { TestingTaskThreadPool } from '../../testing/runtime/TestingTaskThreadPool.js';
import { ManuallyTriggeredScheduledExecutor } from '../../testing/time/ManuallyTriggeredScheduledExecutor.js';

t.setTimeout(10_000);

const JOB_ID = '0123456789abcdef0123456789abcdef';
const DATA_ADDRESS = '127.0.0.1:6121';
const OTHER_TM = '10.0.0.2:6121';
const JOB_MODULE = new TextEncoder().encode('export default async function main() {}\n');
/** Ids of the form tsflink generates (32 hex digits), named for the test. */
const hex = (name: string) => createHash('sha256').update(name).digest('hex').slice(0, 32);
const ATTEMPT = [0, 1, 2, 3].map((i) => hex(`attempt-${i}`));
const ALLOC = [0, 1].map((i) => hex(`alloc-${i}`));
const ALLOC_OTHER = hex('alloc-other');
const VERTEX = { window: hex('vertex-window'), sink: hex('vertex-sink'), source: hex('vertex-source') };
/** The attempt ids of the upstream and downstream subtasks at the other ends of the channels. */
const SRC = hex('source-attempt');
const SINK = hex('sink-attempt');
const SECRET = hex('subscription-secret');

/** A deployment of `attemptId` into slot 0 (allocation `alloc-0`), reading one channel from another TaskExecutor. */
function deployment(attemptId: string, overrides: Partial<TaskDeploymentDescriptor> = {}): TaskDeploymentDescriptor {
  return {
    jobId: JOB_ID,
    jobName: 'Click Event Count',
    vertexId: VERTEX.window,
    vertexName: 'ClickEvent Counter',
    subtaskIndex: 0,
    parallelism: 2,
    maxParallelism: 128,
    attemptId,
    attemptNumber: 0,
    allocationId: ALLOC[0]!,
    slotIndex: 0,
    jobModule: JOB_MODULE,
    programArgs: ['--event-time'],
    defaultParallelism: 2,
    planHash: 'plan-hash',
    jobMasterAddress: 'jobmanager:6123',
    taskRestore: undefined,
    inputs: [{ sourceVertexId: VERTEX.source, channels: [{ channelId: `${SRC}-${attemptId}`, subscriptionSecret: SECRET, peerAddress: OTHER_TM }] }],
    outputs: [
      {
        targetVertexId: VERTEX.sink,
        shipStrategy: 'FORWARD',
        channels: [{ channelId: `${attemptId}-${SINK}`, peerAddress: DATA_ADDRESS, subscriptionSecret: SECRET }],
        targetParallelism: 2,
        targetMaxParallelism: 128,
      },
    ],
    ...overrides,
  };
}

interface Options {
  capacity?: number;
  numberOfSlots?: number;
  workingDirectory?: string;
  /** `high-availability.reconciliation.grace-period`; 0 (without HA) by default. */
  gracePeriodMs?: number;
  /** Who leads; the JobManager at jobmanager:6123 for good by default. */
  retrieval?: LeaderRetrievalService;
}

/** Leader retrieval the test drives: `set` names the leader (undefined: none leads). */
class TestingLeaderRetrieval implements LeaderRetrievalService {
  private listener: ((leader: LeaderInformation | undefined) => void) | undefined;

  async start(listener: (leader: LeaderInformation | undefined) => void): Promise<void> {
    this.listener = listener;
  }

  set(address: string | undefined): void {
    this.listener!(address === undefined ? undefined : { address, sessionId: DEFAULT_LEADER_ID });
  }

  close(): void {}
}

function setup(t: Test, options: Options = {}) {
  const workingDirectory = options.workingDirectory ?? mkdtempSync(join(tmpdir(), 'tsflink-taskexecutor-test-'));
  const executor = new ManuallyTriggeredScheduledExecutor();
  const rm = TestingResourceManagerGateway.builder().setHeartbeat(1000, 5000).build();
  const jobMaster = TestingJobMasterGateway.builder().build();
  const jobMasters = new TestingJobMasterGateways(jobMaster);
  const threads = new TestingTaskThreadPool(options.capacity ?? 4);
  const transport = new TestingShuffleTransport();
  const { log, sink } = testingLogger('TaskExecutor');
  const shuffle = new ShuffleEnvironment(DATA_ADDRESS, transport.attach, log.child('ShuffleEnvironment'));
  const config: TaskExecutorConfig = {
    resourceId: 'tm-1',
    rpcAddress: '127.0.0.1:6122',
    dataPort: 6121,
    numberOfSlots: options.numberOfSlots ?? 2,
    registration: { initialTimeoutMs: 100, maxTimeoutMs: 1000, refusedDelayMs: 30_000 },
    workingDirectory,
    jobManagerLossGracePeriodMs: options.gracePeriodMs ?? 0,
  };
  const taskExecutor = new TaskExecutor(
    config,
    { shuffle, threads, jobMasters, connectResourceManager: rm.connect, resourceManagerRetrieval: options.retrieval ?? fixedLeaderRetrieval('jobmanager:6123'), executor, logFiles: undefined },
    log,
  );
  t.teardown(async () => {
    await taskExecutor.close();
    rmSync(workingDirectory, { recursive: true, force: true });
  });
  return { taskExecutor, executor, rm, jobMaster, jobMasters, threads, transport, shuffle, sink, workingDirectory };
}

/** Deploys and waits until the pool started the subtask; returns it. */
async function deploy(h: ReturnType<typeof setup>, tdd: TaskDeploymentDescriptor) {
  await h.taskExecutor.submitTask(tdd);
  return h.threads.subtask(tdd.attemptId);
}

const slotReport = (h: ReturnType<typeof setup>) => h.taskExecutor.slotTable.createSlotReport();

t.test('registers at the ResourceManager with its resource id, RPC address, data port and free slots', async (t) => {
  const h = setup(t);
  h.taskExecutor.start();
  await settle();
  t.equal(h.rm.registrations.length, 1);
  const { registration, slots } = h.rm.registrations.items[0]!;
  t.match(registration, { resourceId: 'tm-1', address: '127.0.0.1:6122', dataPort: 6121, numberOfSlots: 2, pid: process.pid });
  t.same(slots, [
    { slotIndex: 0, allocationId: '', jobId: '' },
    { slotIndex: 1, allocationId: '', jobId: '' },
  ]);
  t.same(h.rm.connections.map((c) => c.address), ['jobmanager:6123']);
});

t.test('submitTask allocates the slot, starts the subtask with a descriptor built from the deployment, and reports INITIALIZING then RUNNING', async (t) => {
  const h = setup(t);
  h.taskExecutor.start();
  await settle();
  const tdd = deployment(ATTEMPT[1]!);
  const subtask = await deploy(h, tdd);

  t.same(slotReport(h), [
    { slotIndex: 0, allocationId: ALLOC[0]!, jobId: JOB_ID },
    { slotIndex: 1, allocationId: '', jobId: '' },
  ]);
  t.same(h.jobMasters.connected, [{ address: 'jobmanager:6123', jobId: JOB_ID }]);
  t.same(h.jobMaster.statesOf(ATTEMPT[1]!), ['INITIALIZING'], 'INITIALIZING as the subtask is handed to its thread');

  const descriptor = subtask.input.descriptor;
  t.match(descriptor, {
    jobId: JOB_ID,
    jobName: 'Click Event Count',
    vertexId: VERTEX.window,
    vertexName: 'ClickEvent Counter',
    subtaskIndex: 0,
    parallelism: 2,
    maxParallelism: 128,
    attemptId: ATTEMPT[1]!,
    attemptNumber: 0,
    programArgs: ['--event-time'],
    defaultParallelism: 2,
    planHash: 'plan-hash',
    restore: undefined,
  });
  const withoutSecrets = (gates: ReadonlyArray<{ channels: ReadonlyArray<{ channelId: string; peerAddress: string }> }>) =>
    gates.map((gate) => ({ ...gate, channels: gate.channels.map(({ channelId, peerAddress }) => ({ channelId, peerAddress })) }));
  t.strictSame(descriptor.inputs, withoutSecrets(tdd.inputs), 'the thread gets the channels without their subscription secrets');
  t.strictSame(descriptor.outputs, withoutSecrets(tdd.outputs));
  t.ok(descriptor.jobModuleUrl.startsWith(pathToFileURL(join(h.workingDirectory, 'jobs', JOB_ID)).href + '/'), 'the job module is in the working directory');
  t.same(new Uint8Array(readFileSync(fileURLToPath(descriptor.jobModuleUrl))), JOB_MODULE);
  t.ok(descriptor.localStateDirectory.startsWith(join(h.workingDirectory, 'state', JOB_ID)), 'local state in the working directory');
  t.match(descriptor.localStateDirectory, new RegExp(ATTEMPT[1]!), 'private to the attempt');
  t.same(h.transport.requested.items, [{ producerAddress: OTHER_TM, channelId: `${SRC}-${ATTEMPT[1]}`, secret: SECRET }], 'the remote input channel is requested with its secret');
  t.same([...h.transport.accepting], [[`${ATTEMPT[1]}-${SINK}`, SECRET]], 'its output channel may be requested with its secret');

  subtask.running();
  await h.jobMaster.awaitState(ATTEMPT[1]!, 'RUNNING');
  t.same(h.jobMaster.statesOf(ATTEMPT[1]!), ['INITIALIZING', 'RUNNING']);

  h.executor.advanceTime(1000);
  t.same(
    h.rm.sessions.items[0]!.sent.last!.slots[0],
    { slotIndex: 0, allocationId: ALLOC[0]!, jobId: JOB_ID, tasks: [{ attemptId: ATTEMPT[1]!, vertexId: VERTEX.window, subtaskIndex: 0, attemptNumber: 0, state: 'RUNNING' }] },
    'heartbeats report the allocated slot with the subtask in it',
  );
});

t.test('submitting the same attempt twice starts it once', async (t) => {
  const h = setup(t);
  await h.taskExecutor.submitTask(deployment(ATTEMPT[1]!));
  await h.taskExecutor.submitTask(deployment(ATTEMPT[1]!));
  t.equal(h.threads.started.length, 1);
  t.same(h.jobMaster.statesOf(ATTEMPT[1]!), ['INITIALIZING']);
  t.equal(h.transport.requested.length, 1);
});

t.test('a deployment beyond the thread pool’s capacity is refused with an error that says why, and nothing of it starts', async (t) => {
  const h = setup(t, { capacity: 2, numberOfSlots: 1 });
  await deploy(h, deployment(ATTEMPT[1]!));
  const second = await deploy(h, deployment(ATTEMPT[2]!, { vertexId: VERTEX.sink, vertexName: 'ClickEventStatistics Sink' }));

  await t.rejects(h.taskExecutor.submitTask(deployment(ATTEMPT[3]!, { vertexName: 'Third Vertex' })), {
    message: /runs 2 subtasks, as many as it has threads for .*Third Vertex \(1\/2\) cannot run here/,
  });
  t.equal(h.threads.started.length, 2);
  t.equal(h.threads.queued.length, 0, 'not queued behind the running subtasks');
  t.same(h.jobMaster.statesOf(ATTEMPT[3]!), [], 'no INITIALIZING for a subtask that cannot run');
  t.notOk(h.transport.requested.items.some((r) => r.channelId === `${SRC}-${ATTEMPT[3]}`), 'its channels are not requested');

  second.finish({ state: 'FINISHED' });
  await h.jobMaster.awaitState(ATTEMPT[2]!, 'FINISHED');
  await h.taskExecutor.submitTask(deployment(ATTEMPT[3]!, { vertexName: 'Third Vertex' }));
  t.equal(h.threads.subtask(ATTEMPT[3]!).attemptId, ATTEMPT[3]!, 'a thread freed by a finished subtask takes the next deployment');
});

t.test('a deployment into a slot held by another allocation, or into a slot that does not exist, is refused', async (t) => {
  const h = setup(t, { numberOfSlots: 1 });
  await deploy(h, deployment(ATTEMPT[1]!));
  await t.rejects(h.taskExecutor.submitTask(deployment(ATTEMPT[2]!, { allocationId: ALLOC_OTHER })), { message: new RegExp(`Slot 0 is already allocated to ${ALLOC[0]}`) });
  await t.rejects(h.taskExecutor.submitTask(deployment(ATTEMPT[3]!, { allocationId: ALLOC[1]!, slotIndex: 1 })), { message: /has no slot 1/ });
  t.equal(h.threads.started.length, 1);
  t.same(h.jobMaster.statesOf(ATTEMPT[2]!), []);
});

t.test('a deployment whose job module cannot be stored is refused and leaves its slot free', async (t) => {
  const blocked = mkdtempSync(join(tmpdir(), 'tsflink-taskexecutor-test-'));
  const workingDirectory = join(blocked, 'not-a-directory');
  writeFileSync(workingDirectory, 'a file where the working directory should be');
  t.teardown(() => rmSync(blocked, { recursive: true, force: true }));
  const h = setup(t, { workingDirectory });

  await t.rejects(h.taskExecutor.submitTask(deployment(ATTEMPT[1]!)));
  t.equal(h.threads.started.length, 0);
  t.same(slotReport(h)[0], { slotIndex: 0, allocationId: '', jobId: '' }, 'the slot is not left allocated');
});

t.test('a finished subtask frees its slot once no other subtask of the allocation runs', async (t) => {
  const h = setup(t);
  const first = await deploy(h, deployment(ATTEMPT[1]!));
  const second = await deploy(h, deployment(ATTEMPT[2]!, { vertexId: VERTEX.sink }));
  first.running();
  second.running();
  await h.jobMaster.awaitState(ATTEMPT[2]!, 'RUNNING');

  first.finish({ state: 'FINISHED' });
  await h.jobMaster.awaitState(ATTEMPT[1]!, 'FINISHED');
  t.same(slotReport(h)[0], { slotIndex: 0, allocationId: ALLOC[0]!, jobId: JOB_ID }, 'the other subtask still runs in the slot');

  second.finish({ state: 'FINISHED' });
  await h.jobMaster.awaitState(ATTEMPT[2]!, 'FINISHED');
  t.same(slotReport(h)[0], { slotIndex: 0, allocationId: '', jobId: '' });
  t.same(h.jobMaster.statesOf(ATTEMPT[1]!), ['INITIALIZING', 'RUNNING', 'FINISHED']);
  t.same(h.transport.released.items.map((r) => r.channelId), [`${SRC}-${ATTEMPT[1]}`, `${SRC}-${ATTEMPT[2]}`], 'its remote input channels are released');
});

t.test('what a subtask sent before it ended is handled before its end is reported', async (t) => {
  const h = setup(t);
  const downstream: unknown[] = [];
  h.shuffle.registerConsumer(`${ATTEMPT[1]}-${SINK}`, { deliver: (m) => downstream.push(m), failExternally: () => undefined }, DATA_ADDRESS);
  const subtask = await deploy(h, deployment(ATTEMPT[1]!));
  subtask.running();
  subtask.send({ type: 'end', channel: `${ATTEMPT[1]}-${SINK}`, drained: true });
  subtask.send({ type: 'checkpointAck', checkpointId: 9, subtaskState: new Uint8Array(), stateSize: 0, syncDurationMs: 0, asyncDurationMs: 0, alignmentDurationMs: 0, startDelayMs: 0 });
  subtask.finish({ state: 'FINISHED' });
  await h.jobMaster.awaitState(ATTEMPT[1]!, 'FINISHED');
  t.same(h.jobMaster.acknowledgedCheckpoints.items.map((a) => a.checkpointId), [9], 'the acknowledgement came first');
  t.same(downstream, [{ type: 'end', channel: `${ATTEMPT[1]}-${SINK}`, drained: true }], 'the end of its partition was routed first');
});

t.test('a subtask whose remote producer is lost is cancelled and ends FAILED with a RemoteTransportException', async (t) => {
  const h = setup(t);
  h.taskExecutor.start();
  await settle();
  const subtask = await deploy(h, deployment(ATTEMPT[1]!));
  subtask.running();
  h.transport.loseProducer(OTHER_TM, [`${SRC}-${ATTEMPT[1]}`], 'Connection dropped');
  await subtask.received.waitFor((m) => m.type === 'cancel');
  subtask.finish({ state: 'CANCELED' });
  const failed = await h.jobMaster.awaitState(ATTEMPT[1]!, 'FAILED');
  t.equal(failed.failure?.name, 'RemoteTransportException');
  t.match(failed.failure?.message, `Connection unexpectedly closed by remote task manager '${OTHER_TM}' (Connection dropped). This might indicate that the remote task manager was lost.`);
});

t.test('a failed subtask reports FAILED with its failure', async (t) => {
  const h = setup(t);
  const subtask = await deploy(h, deployment(ATTEMPT[1]!));
  subtask.running();
  const failure = { name: 'TypeError', message: 'boom', stack: 'TypeError: boom\n    at map' };
  subtask.finish({ state: 'FAILED', failure });
  const update = await h.jobMaster.awaitState(ATTEMPT[1]!, 'FAILED');
  t.same(update.failure, failure);
  t.same(slotReport(h)[0], { slotIndex: 0, allocationId: '', jobId: '' });
});

t.test('triggerCheckpoint for an attempt that does not run here rejects', async (t) => {
  const h = setup(t);
  await t.rejects(
    h.taskExecutor.triggerCheckpoint({ attemptId: 'unknown', checkpointId: 7, timestamp: 1, targetLocation: '/chk-7', terminate: false, drain: false }),
    { message: /Task unknown is not running on this TaskExecutor: cannot trigger checkpoint 7/ },
  );
});

t.test('a triggered checkpoint reaches the subtask; its acknowledgement reaches the JobMaster with the metrics', async (t) => {
  const h = setup(t);
  const subtask = await deploy(h, deployment(ATTEMPT[1]!));
  subtask.running();
  await h.jobMaster.awaitState(ATTEMPT[1]!, 'RUNNING');

  await h.taskExecutor.triggerCheckpoint({ attemptId: ATTEMPT[1]!, checkpointId: 7, timestamp: 1234, targetLocation: '/checkpoints/chk-7', terminate: false, drain: false });
  t.same(await subtask.received.waitFor((m) => m.type === 'triggerCheckpoint'), {
    type: 'triggerCheckpoint',
    checkpointId: 7,
    timestamp: 1234,
    targetLocation: '/checkpoints/chk-7',
    terminate: false,
    drain: false,
  });

  const subtaskState = new Uint8Array([1, 2, 3]);
  subtask.send({ type: 'checkpointAck', checkpointId: 7, subtaskState, stateSize: 512, syncDurationMs: 3, asyncDurationMs: 20, alignmentDurationMs: 5, startDelayMs: 1 });
  const ack = await h.jobMaster.acknowledgedCheckpoints.waitFor();
  t.equal(ack.attemptId, ATTEMPT[1]!);
  t.equal(ack.checkpointId, 7);
  t.same(new Uint8Array(ack.subtaskState), subtaskState);
  t.same(ack.metrics, { stateSize: 512, syncDurationMs: 3, asyncDurationMs: 20, alignmentDurationMs: 5, startDelayMs: 1 });

  subtask.send({ type: 'checkpointDecline', checkpointId: 8, reason: 'barrier alignment failed' });
  t.same(await h.jobMaster.declinedCheckpoints.waitFor(), { attemptId: ATTEMPT[1]!, checkpointId: 8, reason: 'barrier alignment failed' });
});

t.test('a checkpoint triggered before the subtask runs is declined', async (t) => {
  const h = setup(t);
  await deploy(h, deployment(ATTEMPT[1]!));
  await h.taskExecutor.triggerCheckpoint({ attemptId: ATTEMPT[1]!, checkpointId: 3, timestamp: 1, targetLocation: '/chk-3', terminate: false, drain: false });
  const decline = await h.jobMaster.declinedCheckpoints.waitFor();
  t.equal(decline.checkpointId, 3);
  t.match(decline.reason, /INITIALIZING, not RUNNING/);
});

t.test('losing the ResourceManager cancels every task, frees the slots and registers again', async (t) => {
  const h = setup(t);
  h.taskExecutor.start();
  await settle();
  const first = await deploy(h, deployment(ATTEMPT[1]!));
  const second = await deploy(h, deployment(ATTEMPT[2]!, { allocationId: ALLOC[1]!, slotIndex: 1 }));
  first.running();
  await h.jobMaster.awaitState(ATTEMPT[1]!, 'RUNNING');

  h.rm.sessions.items[0]!.closeByResourceManager('The JobManager restarted');
  await settle();
  t.same(slotReport(h), [
    { slotIndex: 0, allocationId: '', jobId: '' },
    { slotIndex: 1, allocationId: '', jobId: '' },
  ]);
  await first.received.waitFor((m) => m.type === 'cancel');
  await second.received.waitFor((m) => m.type === 'cancel');
  t.equal(h.rm.registrations.length, 2, 'registers again');
  t.same(h.rm.registrations.items[1]!.slots.map((s) => s.allocationId), ['', ''], 'offering free slots');

  first.finish({ state: 'CANCELED' });
  second.finish({ state: 'CANCELED' });
  await h.jobMaster.awaitState(ATTEMPT[1]!, 'CANCELED');
  await h.jobMaster.awaitState(ATTEMPT[2]!, 'CANCELED');
  t.same(h.jobMaster.statesOf(ATTEMPT[1]!), ['INITIALIZING', 'RUNNING', 'CANCELED']);
  t.same(h.jobMaster.statesOf(ATTEMPT[2]!), ['INITIALIZING', 'CANCELED']);
});

/** A TaskExecutor with a 60 s grace period, registered with jobmanager-1:6123, running attempts 1 and 2 in slots 0 and 1. */
async function runningWithGracePeriod(t: Test) {
  const retrieval = new TestingLeaderRetrieval();
  const h = setup(t, { gracePeriodMs: 60_000, retrieval });
  h.taskExecutor.start();
  retrieval.set('jobmanager-1:6123');
  await settle();
  const first = await deploy(h, deployment(ATTEMPT[1]!));
  const second = await deploy(h, deployment(ATTEMPT[2]!, { allocationId: ALLOC[1]!, slotIndex: 1 }));
  first.running();
  second.running();
  await h.jobMaster.awaitState(ATTEMPT[2]!, 'RUNNING');
  return { h, retrieval, first, second };
}

t.test('with a grace period, subtasks run on while no JobManager leads; the new leader gets them in the slot report, and their reports', async (t) => {
  const { h, retrieval, first, second } = await runningWithGracePeriod(t);

  retrieval.set(undefined);
  await settle();
  t.equal(h.sink.matching(/Keeping 2 task\(s\) running for up to 60000 ms/).length, 1);
  t.notOk(first.received.items.some((m) => m.type === 'cancel'), 'not cancelled');
  t.same(slotReport(h).map((s) => s.allocationId), [ALLOC[0], ALLOC[1]], 'the slots stay allocated');
  // One subtask fails meanwhile: no JobManager can be told, so its end stays in the slot report.
  second.finish({ state: 'FAILED', failure: { name: 'Error', message: 'boom', stack: 'Error: boom' } });
  await settle();
  t.same(h.jobMaster.statesOf(ATTEMPT[2]!), ['INITIALIZING', 'RUNNING'], 'its end is not reported while no JobManager leads');
  h.executor.advanceTime(59_000);

  retrieval.set('jobmanager-2:6123');
  await settle();
  const registration = h.rm.registrations.items.at(-1)!;
  t.same(registration.slots, [
    { slotIndex: 0, allocationId: ALLOC[0]!, jobId: JOB_ID, tasks: [{ attemptId: ATTEMPT[1]!, vertexId: VERTEX.window, subtaskIndex: 0, attemptNumber: 0, state: 'RUNNING' }] },
    {
      slotIndex: 1,
      allocationId: ALLOC[1]!,
      jobId: JOB_ID,
      tasks: [{ attemptId: ATTEMPT[2]!, vertexId: VERTEX.window, subtaskIndex: 0, attemptNumber: 0, state: 'FAILED', failure: { name: 'Error', message: 'boom', stack: 'Error: boom' } }],
    },
  ], 'the registration reports the running subtask and the failed one in their slots');
  await h.jobMaster.awaitState(ATTEMPT[2]!, 'FAILED');
  t.same(h.jobMasters.connected.at(-1), { address: 'jobmanager-2:6123', jobId: JOB_ID }, 'the failure goes to the JobMaster of the new leader');
  t.same(slotReport(h).map((s) => s.allocationId), [ALLOC[0], ''], 'its slot is free once it was reported');
  t.same(h.rm.sessions.items.at(-1)!.sent.last!.slots.map((s) => s.allocationId), [ALLOC[0], ''], 'and the ResourceManager hears so at once');

  h.executor.advanceTime(60_000);
  t.notOk(first.received.items.some((m) => m.type === 'cancel'), 'the grace period ended with the registration');
  first.finish({ state: 'FINISHED' });
  await h.jobMaster.awaitState(ATTEMPT[1]!, 'FINISHED');
  t.same(h.jobMasters.connected.at(-1), { address: 'jobmanager-2:6123', jobId: JOB_ID }, 'the subtask kept reports to the new leader');
});

t.test('with a grace period that ends before a JobManager leads again, the subtasks are cancelled and the slots freed', async (t) => {
  const { h, retrieval, first } = await runningWithGracePeriod(t);
  retrieval.set(undefined);
  await settle();
  h.executor.advanceTime(59_999);
  t.notOk(first.received.items.some((m) => m.type === 'cancel'));
  h.executor.advanceTime(1);
  await first.received.waitFor((m) => m.type === 'cancel');
  t.equal(h.sink.matching(/Cancelling 2 task\(s\): no JobManager took them over within 60000 ms\./).length, 1);
  t.same(slotReport(h).map((s) => s.allocationId), ['', '']);
});

t.test('close() cancels the subtasks, leaves the ResourceManager and releases its services', async (t) => {
  const h = setup(t);
  h.taskExecutor.start();
  await settle();
  await deploy(h, deployment(ATTEMPT[1]!));
  await h.taskExecutor.close();
  t.same(h.taskExecutor.runningTasks().map((task) => task.state), ['CANCELING'], 'the subtask was asked to cancel');
  t.same(h.rm.disconnects.items.map((d) => d.registrationId), ['registration-1']);
  t.ok(h.jobMasters.closed);
  t.ok(h.threads.destroyed);
});

t.test('a thread dump names every task thread with its subtask, or idle; samplings reach the running subtasks’ threads', async (t) => {
  const h = setup(t);
  h.taskExecutor.start();
  await settle();
  const subtask = await deploy(h, deployment(ATTEMPT[1]!));
  subtask.running();
  await h.jobMaster.awaitState(ATTEMPT[1]!, 'RUNNING');

  const dump = await h.taskExecutor.requestThreadDump(2);
  t.equal(dump.threadInfos[0]!.threadName, 'main');
  t.match(dump.threadInfos[0]!.stringifiedThreadInfo, /^"main" Id=\d+ RUNNABLE\n\tat [^\n]+\n\tat [^\n]+\n\t\.\.\.\n\t- event loop: /, 'two frames, as asked');
  t.same(dump.threadInfos.slice(1), [
    {
      threadName: 'ClickEvent Counter (1/2)#0',
      stringifiedThreadInfo: `"ClickEvent Counter (1/2)#0" Id=${subtask.threadId} RUNNABLE\n\t- subtask ${ATTEMPT[1]} RUNNING\n\t- job ${JOB_ID}, vertex ${VERTEX.window}\n\t- event loop utilization since the thread started: 25 %\n\n`,
    },
  ]);

  const sampled = h.taskExecutor.requestThreadInfoSamples([ATTEMPT[1]!, ATTEMPT[2]!, ATTEMPT[1]!], 500);
  const request = await subtask.received.waitFor((m) => m.type === 'sampleStacks');
  t.same(request, { type: 'sampleStacks', requestId: 0, durationMs: 500 }, 'once, to the subtask that runs here');
  subtask.send({ type: 'stackSamples', requestId: 0, samples: [{ frames: ['run', 'process'], count: 7 }] });
  t.same(await sampled, [{ attemptId: ATTEMPT[1]!, samples: [{ frames: ['run', 'process'], count: 7 }] }]);
  await t.rejects(h.taskExecutor.requestThreadInfoSamples([ATTEMPT[1]!], 60_000), /A sampling lasts 1 to 10000 ms, not 60000\./);

  const pending = h.taskExecutor.requestThreadInfoSamples([ATTEMPT[1]!], 500);
  await subtask.received.waitFor((m) => m.type === 'sampleStacks' && m.requestId === 1);
  subtask.finish({ state: 'FINISHED' });
  t.same(await pending, [{ attemptId: ATTEMPT[1]!, samples: [] }], 'a subtask that ends meanwhile has no samples');
});
