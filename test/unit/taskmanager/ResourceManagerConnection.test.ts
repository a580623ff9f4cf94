import { DEFAULT_LEADER_ID } from '../../../src/highavailability/HighAvailabilityServices.js';
import t, { type Test } from 'tap';
import type { RegistrationResponse, TaskExecutorHeartbeatPayload, TaskExecutorRegistration } from '../../../src/master/resourcemanager/ResourceManagerGateway.js';
import { ResourceManagerConnection, type RegistrationTimeouts, type TaskExecutorReporter } from '../../../src/taskmanager/ResourceManagerConnection.js';
import { RecordedCalls } from '../../testing/runtime/RecordedCalls.js';
import { settle } from '../../testing/runtime/settle.js';
import { testingLogger } from '../../testing/runtime/TestingLogger.js';
import { TestingResourceManagerGateway } from '../../testing/runtime/TestingResourceManagerGateway.js';
import { ManuallyTriggeredScheduledExecutor } from '../../testing/time/ManuallyTriggeredScheduledExecutor.js';

const RM_ADDRESS = 'jobmanager:6123';
/** cluster.registration.initial-timeout, max-timeout, refused-registration-delay */
const TIMEOUTS: RegistrationTimeouts = { initialTimeoutMs: 100, maxTimeoutMs: 1000, refusedDelayMs: 30_000 };
const REGISTRATION: TaskExecutorRegistration = {
  resourceId: 'tm-1',
  address: 'taskmanager:6122',
  hostname: 'taskmanager',
  dataPort: 6121,
  numberOfSlots: 2,
  hardware: { cpuCores: 4, physicalMemory: 1 << 30, freeMemory: 1 << 29, managedMemory: 0 },
  pid: 4242,
};

/** The TaskExecutor's side: a fixed registration, a heartbeat payload that is new every time (`hb-1`, `hb-2`, …). */
class TestingReporter implements TaskExecutorReporter {
  readonly lost = new RecordedCalls<string>();
  readonly registeredWith = new RecordedCalls<string>();
  private heartbeats = 0;

  registration() {
    return { registration: REGISTRATION, slots: [{ slotIndex: 0, allocationId: '', jobId: '' }] };
  }

  heartbeatPayload(): TaskExecutorHeartbeatPayload {
    return { slots: [{ slotIndex: 0, allocationId: `hb-${++this.heartbeats}`, jobId: 'job' }], metricDumps: undefined };
  }

  onConnectionLost(reason: string): void {
    this.lost.record(reason);
  }

  onRegistered(address: string): void {
    this.registeredWith.record(address);
  }
}

function setup(t: Test, rm: TestingResourceManagerGateway, timeouts = TIMEOUTS) {
  const executor = new ManuallyTriggeredScheduledExecutor();
  const reporter = new TestingReporter();
  const { log, sink } = testingLogger('ResourceManagerConnection');
  const connection = new ResourceManagerConnection(rm.connect, timeouts, reporter, executor, log);
  connection.setLeader({ address: RM_ADDRESS, sessionId: DEFAULT_LEADER_ID });
  t.teardown(async () => {
    const closing = connection.close('The test ended.');
    executor.advanceTime(60_000);
    await closing;
  });
  /** Moves the manual clock and lets the connection's promise callbacks run. */
  const advance = async (ms: number) => {
    executor.advanceTime(ms);
    await settle();
  };
  return { executor, reporter, connection, sink, advance };
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const unreachable = async (): Promise<RegistrationResponse> => {
  throw TestingResourceManagerGateway.unreachable();
};

t.test('registers at start with the TaskExecutor’s registration and slot report, then opens the heartbeat session', async (t) => {
  const rm = TestingResourceManagerGateway.builder().build();
  const { connection } = setup(t, rm);
  t.equal(rm.registrations.length, 0, 'nothing before start()');

  connection.start();
  await settle();
  t.equal(rm.registrations.length, 1);
  t.same(rm.registrations.items[0]!.registration, REGISTRATION);
  t.same(rm.registrations.items[0]!.slots, [{ slotIndex: 0, allocationId: '', jobId: '' }]);
  t.same(rm.connections.map((c) => c.address), [RM_ADDRESS]);
  t.equal(rm.sessions.length, 1);
  t.equal(rm.sessions.items[0]!.resourceId, 'tm-1');
  t.equal(rm.sessions.items[0]!.registrationId, 'registration-1');
  t.ok(connection.isRegistered);
});

t.test('an unreachable ResourceManager is retried, the wait doubling from initial-timeout up to max-timeout', async (t) => {
  const rm = TestingResourceManagerGateway.builder().setRegisterTaskExecutorFunction(unreachable).build();
  const { connection, executor, advance } = setup(t, rm);
  connection.start();
  await settle();
  t.equal(rm.registrations.length, 1);

  const waits: number[] = [];
  for (let attempt = 2; attempt <= 7; attempt++) {
    t.same(executor.pendingDelays().length, 1, 'one pending retry, nothing else');
    const wait = executor.pendingDelays()[0]!;
    waits.push(wait);
    await advance(wait - 1);
    t.equal(rm.registrations.length, attempt - 1, `attempt ${attempt} not before ${wait} ms`);
    await advance(1);
    t.equal(rm.registrations.length, attempt, `attempt ${attempt} after ${wait} ms`);
    t.ok(rm.connections[attempt - 2]!.closed, 'the failed attempt’s connection is closed');
  }
  t.same(waits, [100, 200, 400, 800, 1000, 1000]);
  t.notOk(connection.isRegistered);
});

t.test('a successful registration resets the retry wait to initial-timeout', async (t) => {
  let reachable = false;
  const rm = TestingResourceManagerGateway.builder()
    .setRegisterTaskExecutorFunction(async (_call, attempt) => {
      if (!reachable) throw TestingResourceManagerGateway.unreachable();
      return TestingResourceManagerGateway.success(`registration-${attempt}`);
    })
    .build();
  const { connection, executor, advance } = setup(t, rm);
  connection.start();
  await settle();
  await advance(100);
  await advance(200);
  t.same(executor.pendingDelays(), [400]);
  reachable = true;
  await advance(400);
  t.ok(connection.isRegistered);

  reachable = false;
  rm.sessions.last!.closeByResourceManager('The ResourceManager restarted');
  await settle();
  t.equal(rm.registrations.length, 5, 'registers again at once');
  t.same(executor.pendingDelays(), [100]);
});

t.test('a refused registration is tried again after refused-registration-delay, which does not grow', async (t) => {
  const rm = TestingResourceManagerGateway.builder()
    .setRegisterTaskExecutorFunction(async (_call, attempt) =>
      attempt <= 2 ? { kind: 'rejection', reason: 'The ResourceManager is not the leader.' } : TestingResourceManagerGateway.success(`registration-${attempt}`),
    )
    .build();
  const { connection, executor, sink, advance } = setup(t, rm);
  connection.start();
  await settle();
  t.same(executor.pendingDelays(), [30_000]);
  t.equal(sink.matching('refused the registration: The ResourceManager is not the leader.').length, 1);

  await advance(29_999);
  t.equal(rm.registrations.length, 1);
  await advance(1);
  t.equal(rm.registrations.length, 2);
  t.same(executor.pendingDelays(), [30_000], 'the same delay after the second refusal');
  await advance(30_000);
  t.equal(rm.registrations.length, 3);
  t.ok(connection.isRegistered);
});

t.test('once registered, a heartbeat goes out at once and then every heartbeat interval, each with a fresh payload', async (t) => {
  const rm = TestingResourceManagerGateway.builder().setHeartbeat(1000, 5000).build();
  const { connection, reporter, advance } = setup(t, rm);
  connection.start();
  await settle();
  const session = rm.sessions.items[0]!;
  t.equal(session.sent.length, 1, 'the first heartbeat right after registering');

  await advance(999);
  t.equal(session.sent.length, 1);
  await advance(1);
  t.equal(session.sent.length, 2);
  await advance(3000);
  t.same(
    session.sent.items.map((p) => p.slots[0]!.allocationId),
    ['hb-1', 'hb-2', 'hb-3', 'hb-4', 'hb-5'],
  );

  await advance(60_000);
  t.equal(session.sent.length, 65, 'answered heartbeats keep the registration');
  t.equal(reporter.lost.length, 0);
  t.equal(rm.registrations.length, 1);
  t.ok(connection.isRegistered);
});

t.test('no heartbeat answer for heartbeat.timeout ends the registration; a new registration follows', async (t) => {
  const rm = TestingResourceManagerGateway.builder().setHeartbeat(1000, 5000).setAnswerHeartbeats(false).build();
  const { connection, reporter, advance } = setup(t, rm);
  connection.start();
  await settle();
  const first = rm.sessions.items[0]!;

  await advance(3000);
  first.answer();
  await advance(4999);
  t.equal(reporter.lost.length, 0, 'an answer restarts the timeout');
  t.ok(connection.isRegistered);

  await advance(1);
  t.equal(reporter.lost.length, 1);
  t.match(reporter.lost.items[0], /heartbeat of ResourceManager with id rm-leader-1 timed out after 5000 ms/);
  t.ok(first.closedByTaskExecutor, 'the lost session is closed');
  t.ok(rm.connections[0]!.closed);
  t.equal(rm.registrations.length, 2, 'registers again');
  t.equal(rm.sessions.length, 2);
  t.equal(rm.sessions.items[1]!.registrationId, 'registration-2');

  const sentBefore = first.sent.length;
  await advance(3000);
  t.equal(first.sent.length, sentBefore, 'nothing more on the lost session');
  t.equal(first.sentAfterClose, 0);
  t.equal(rm.sessions.items[1]!.sent.length, 4, 'heartbeats go to the new session');

  await advance(1999);
  t.equal(reporter.lost.length, 1, 'a session never answered …');
  await advance(1);
  t.equal(reporter.lost.length, 2, '… is given up heartbeat.timeout after it opened');
});

t.test('the ResourceManager closing the session ends the registration; a new registration follows', async (t) => {
  const rm = TestingResourceManagerGateway.builder().setHeartbeat(1000, 5000).build();
  const { connection, reporter, advance } = setup(t, rm);
  connection.start();
  await settle();
  const first = rm.sessions.items[0]!;

  first.closeByResourceManager('TaskManager tm-1 is not registered with this ResourceManager');
  t.notOk(connection.isRegistered);
  await settle();
  t.same(reporter.lost.items, ['TaskManager tm-1 is not registered with this ResourceManager.']);
  t.ok(rm.connections[0]!.closed);
  t.equal(rm.registrations.length, 2);
  t.ok(connection.isRegistered);

  const sentBefore = first.sent.length;
  await advance(10_000);
  t.equal(first.sent.length + first.sentAfterClose, sentBefore, 'the old session’s heartbeats stopped');
  t.equal(reporter.lost.length, 1, 'its heartbeat timeout was cancelled too');
});

t.test('close() disconnects with the registration id and stops', async (t) => {
  const rm = TestingResourceManagerGateway.builder().setHeartbeat(1000, 5000).build();
  const { connection, executor, reporter, advance } = setup(t, rm);
  connection.start();
  await settle();

  await connection.close('The TaskExecutor is shutting down.');
  t.same(rm.disconnects.items, [{ resourceId: 'tm-1', registrationId: 'registration-1', cause: 'The TaskExecutor is shutting down.' }]);
  t.ok(rm.sessions.items[0]!.closedByTaskExecutor);
  t.ok(rm.connections.every((c) => c.closed));
  t.equal(executor.numPendingTasks, 0, 'no heartbeat, timeout or retry left');
  t.notOk(connection.isRegistered);
  t.equal(reporter.lost.length, 0, 'closing is not a loss');

  await advance(600_000);
  t.equal(rm.registrations.length, 1, 'no new registration');
});

t.test('close() while waiting to retry stops retrying', async (t) => {
  const rm = TestingResourceManagerGateway.builder().setRegisterTaskExecutorFunction(unreachable).build();
  const { connection, executor, advance } = setup(t, rm);
  connection.start();
  await settle();
  t.same(executor.pendingDelays(), [100]);

  await connection.close('The TaskExecutor is shutting down.');
  t.equal(executor.numPendingTasks, 0);
  await advance(600_000);
  t.equal(rm.registrations.length, 1);
  t.equal(rm.disconnects.length, 0, 'nothing to disconnect');
});

t.test('close() does not wait for the ResourceManager’s answer to the disconnect longer than a second', async (t) => {
  const rm = TestingResourceManagerGateway.builder()
    .setDisconnectTaskManagerFunction(() => new Promise(() => undefined))
    .build();
  const { connection, advance } = setup(t, rm);
  connection.start();
  await settle();

  let closed = false;
  const closing = connection.close('bye').then(() => (closed = true));
  await advance(999);
  t.notOk(closed);
  await advance(1);
  t.ok(closed);
  await closing;
});

t.test('close() during a registration attempt that then succeeds: the registration is taken back, not held', async (t) => {
  const answer = deferred<RegistrationResponse>();
  const rm = TestingResourceManagerGateway.builder().setRegisterTaskExecutorFunction(() => answer.promise).build();
  const { connection, executor } = setup(t, rm);
  connection.start();
  await settle();
  t.equal(rm.registrations.length, 1);

  let closed = false;
  const closing = connection.close('The TaskExecutor is shutting down.').then(() => (closed = true));
  answer.resolve(TestingResourceManagerGateway.success('late-registration'));
  await settle();
  t.ok(closed, 'close() resolves without waiting for a heartbeat timeout');
  t.equal(rm.sessions.length, 0, 'no heartbeat session for the late registration');
  t.same(rm.disconnects.items, [{ resourceId: 'tm-1', registrationId: 'late-registration', cause: 'The TaskExecutor is shutting down.' }]);
  t.equal(executor.numPendingTasks, 0);
  t.ok(rm.connections.every((c) => c.closed));
  executor.advanceTime(600_000);
  await closing;
});

t.test('close() during a registration attempt that is then refused resolves without waiting out the refused delay', async (t) => {
  const answer = deferred<RegistrationResponse>();
  const rm = TestingResourceManagerGateway.builder().setRegisterTaskExecutorFunction(() => answer.promise).build();
  const { connection, executor } = setup(t, rm);
  connection.start();
  await settle();

  let closed = false;
  const closing = connection.close('bye').then(() => (closed = true));
  answer.resolve({ kind: 'rejection', reason: 'not now' });
  await settle();
  t.ok(closed);
  t.equal(executor.numPendingTasks, 0);
  executor.advanceTime(600_000);
  await closing;
  t.equal(rm.registrations.length, 1);
});

t.test('a heartbeat session the ResourceManager closes while opening it leaves no heartbeat or timeout behind', async (t) => {
  const rm = TestingResourceManagerGateway.builder()
    .setHeartbeat(1000, 5000)
    .setRegisterTaskExecutorFunction(async (_call, attempt) => {
      if (attempt > 1) throw TestingResourceManagerGateway.unreachable();
      return TestingResourceManagerGateway.success('registration-1', { intervalMs: 1000, timeoutMs: 5000 });
    })
    .setOnSessionOpened((session) => session.closeByResourceManager('TaskManager tm-1 is not registered with this ResourceManager'))
    .build();
  const { connection, executor, reporter } = setup(t, rm);
  connection.start();
  await settle();

  t.same(reporter.lost.items, ['TaskManager tm-1 is not registered with this ResourceManager.']);
  t.equal(rm.registrations.length, 2, 'registers again');
  t.notOk(connection.isRegistered);
  t.same(executor.pendingDelays(), [100], 'only the retry of the second registration is pending');
});

t.test('a new leader from leader retrieval ends the registration held; the next goes to it, and only to the leader whose id was published', async (t) => {
  const rm = TestingResourceManagerGateway.builder().build();
  const { connection, reporter, advance } = setup(t, rm);
  // With HA the leader session id is the ResourceManager's fencing token: 'rm-leader-1' for the testing gateway.
  connection.setLeader({ address: 'jm-1:6123', sessionId: 'rm-leader-1' });
  connection.start();
  await settle();
  t.ok(connection.isRegistered);
  t.same(rm.connections.map((c) => c.address).at(-1), 'jm-1:6123');

  connection.setLeader({ address: 'jm-2:6123', sessionId: '6f0c9d52-8c1e-4a55-9c8e-6a6d7c2b9a10' });
  await settle();
  t.match(reporter.lost.items[0], 'The ResourceManager leader changed to jm-2:6123.', 'the old registration ended');
  t.same(rm.connections.map((c) => c.address).at(-1), 'jm-2:6123', 'the next registration went to the new leader');
  t.notOk(connection.isRegistered, 'whose fencing token is not the published leader session id: not held');
  t.equal(rm.disconnects.length, 1, 'that registration was let go');

  connection.setLeader({ address: 'jm-2:6123', sessionId: 'rm-leader-1' });
  await advance(0);
  await settle();
  t.ok(connection.isRegistered, 'the leader ZooKeeper names is registered with');
});
