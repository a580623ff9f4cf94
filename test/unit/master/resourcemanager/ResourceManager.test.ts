import t from 'tap';
import { ResourceManager } from '../../../../src/master/resourcemanager/ResourceManager.js';
import type { HeartbeatListener, HeartbeatSession } from '../../../../src/master/resourcemanager/ResourceManagerGateway.js';
import type { TaskExecutorRegistration, TaskManagerRemovalReason, TaskManagerView } from '../../../../src/master/resourcemanager/types.js';
import type { TaskExecutorGateway } from '../../../../src/taskmanager/TaskExecutorGateway.js';
import { flush } from '../../../testing/runtime/JobMasterTestHarness.js';
import { testingLogger } from '../../../testing/runtime/TestingLogger.js';
import { TestingTaskExecutorGateway } from '../../../testing/runtime/TestingTaskExecutorGateway.js';
import { ManuallyTriggeredScheduledExecutor } from '../../../testing/time/ManuallyTriggeredScheduledExecutor.js';

const HEARTBEAT_INTERVAL = 10_000;
const HEARTBEAT_TIMEOUT = 50_000;

/** A ResourceManager on a manual clock, with what it connected, released and announced recorded. */
function resourceManagerFixture() {
  const executor = new ManuallyTriggeredScheduledExecutor();
  const { log, sink } = testingLogger('ResourceManager');
  const connected: Array<{ address: string; gateway: TestingTaskExecutorGateway }> = [];
  const released: TaskExecutorGateway[] = [];
  const resourceManager = new ResourceManager(
    { resourceId: 'jobmanager-1', heartbeatIntervalMs: HEARTBEAT_INTERVAL, heartbeatTimeoutMs: HEARTBEAT_TIMEOUT },
    {
      clock: executor.clock,
      scheduler: executor,
      taskExecutors: {
        connect: (address) => {
          const gateway = TestingTaskExecutorGateway.builder().build();
          connected.push({ address, gateway });
          return gateway;
        },
        release: (gateway) => void released.push(gateway),
      },
    },
    log,
  );
  const registered: TaskManagerView[] = [];
  const removed: Array<{ resourceId: string; registrationId: string; reason: TaskManagerRemovalReason }> = [];
  resourceManager.on('taskManagerRegistered', (view) => registered.push(view));
  resourceManager.on('taskManagerRemoved', (resourceId, registrationId, reason) => removed.push({ resourceId, registrationId, reason }));

  const register = async (resourceId: string, numberOfSlots = 2, host = '10.0.0.7') => {
    const registration: TaskExecutorRegistration = {
      resourceId,
      address: `${host}:6122`,
      hostname: 'worker-7',
      dataPort: 6121,
      numberOfSlots,
      hardware: { cpuCores: 4, physicalMemory: 1 << 30, freeMemory: 1 << 29, managedMemory: 0 },
      pid: 4242,
    };
    const slots = Array.from({ length: numberOfSlots }, (_, slotIndex) => ({ slotIndex, allocationId: '', jobId: '' }));
    return resourceManager.registerTaskExecutor(registration, slots);
  };
  const registrationIdOf = async (resourceId: string, numberOfSlots = 2) => {
    const response = await register(resourceId, numberOfSlots);
    if (response.kind !== 'success') throw new Error(response.reason);
    return response.success.registrationId;
  };
  return { executor, clock: executor.clock, sink, resourceManager, connected, released, registered, removed, register, registrationIdOf };
}

/** The TaskExecutor's side of a heartbeat session: what the ResourceManager told it. */
function recordingListener() {
  const listener = { answers: 0, closed: [] as string[] };
  const heartbeatListener: HeartbeatListener = {
    onHeartbeatAnswer: () => void listener.answers++,
    onClose: (reason) => void listener.closed.push(reason),
  };
  return Object.assign(listener, { heartbeatListener });
}

function heartbeat(session: HeartbeatSession): void {
  session.send({ slots: [], metricDumps: undefined });
}

t.test('a TaskExecutor registers: its gateway is connected, its slots offered, and it learns the heartbeat settings', async (t) => {
  const f = resourceManagerFixture();
  const response = await f.register('tm-1', 3);
  t.equal(response.kind, 'success');
  if (response.kind !== 'success') return;
  t.match(response.success, {
    registrationId: /^[0-9a-f]{32}$/,
    resourceManagerId: f.resourceManager.resourceManagerId,
    resourceManagerResourceId: 'jobmanager-1',
    heartbeatIntervalMs: HEARTBEAT_INTERVAL,
    heartbeatTimeoutMs: HEARTBEAT_TIMEOUT,
  });
  t.same(
    f.connected.map((c) => c.address),
    ['10.0.0.7:6122'],
  );
  const view = f.resourceManager.getTaskManager('tm-1')!;
  t.match(view, { registrationId: response.success.registrationId, registeredAt: f.clock.now(), lastHeartbeat: f.clock.now(), dataAddress: '10.0.0.7:6121' });
  t.equal(view.gateway, f.connected[0]!.gateway, 'the JobManager reaches it through the connected gateway');
  t.same(f.registered, [view], 'taskManagerRegistered announces it');
  t.equal(f.resourceManager.getNumberFreeSlots(), 3);
  t.equal(f.sink.matching('Registering TaskManager with ResourceID tm-1 (10.0.0.7:6122) at ResourceManager').length, 1);

  t.match(await f.register('', 1), { kind: 'rejection', reason: /resource id/ }, 'a registration without a resource id is rejected');
  t.equal(f.resourceManager.getTaskManagers().length, 1);
});

t.test('an IPv6 TaskExecutor address keeps its brackets in the data address', async (t) => {
  const f = resourceManagerFixture();
  await f.register('tm-6', 1, '[::1]');
  t.equal(f.resourceManager.getTaskManager('tm-6')!.dataAddress, '[::1]:6121');
});

t.test('a heartbeat session answers every heartbeat and records when it came', async (t) => {
  const f = resourceManagerFixture();
  const registrationId = await f.registrationIdOf('tm-1');
  const listener = recordingListener();
  const session = f.resourceManager.openHeartbeatSession('tm-1', registrationId, listener.heartbeatListener);
  f.executor.advanceTime(HEARTBEAT_INTERVAL);
  heartbeat(session);
  f.executor.advanceTime(HEARTBEAT_INTERVAL);
  heartbeat(session);
  t.equal(listener.answers, 2);
  t.equal(f.resourceManager.getTaskManager('tm-1')!.lastHeartbeat, f.clock.now());
  t.same(listener.closed, []);

  const stranger = recordingListener();
  const unknown = f.resourceManager.openHeartbeatSession('tm-1', 'not-the-registration', stranger.heartbeatListener);
  heartbeat(unknown);
  await flush();
  t.equal(stranger.answers, 0, 'a session of an unknown registration gets no answers');
  t.match(stranger.closed, [/TaskManager tm-1 is not registered/], '… and is closed at once');
  heartbeat(session);
  t.equal(listener.answers, 3, 'the registered session is unaffected');
});

t.test('a TaskManager without heartbeats for heartbeat.timeout is removed', async (t) => {
  const f = resourceManagerFixture();
  const registrationId = await f.registrationIdOf('tm-1');
  const listener = recordingListener();
  f.resourceManager.openHeartbeatSession('tm-1', registrationId, listener.heartbeatListener);
  f.resourceManager.allocateSlots('c'.repeat(32), 2);

  f.executor.advanceTime(HEARTBEAT_TIMEOUT - 1);
  t.ok(f.resourceManager.getTaskManager('tm-1'), 'still registered 1 ms before the timeout');
  t.same(f.removed, []);

  f.executor.advanceTime(1);
  t.equal(f.resourceManager.getTaskManager('tm-1'), undefined);
  t.same(f.removed, [{ resourceId: 'tm-1', registrationId, reason: { kind: 'heartbeat-timeout', timeoutMs: HEARTBEAT_TIMEOUT } }]);
  t.equal(f.resourceManager.getNumberFreeSlots(), 0);
  t.equal(f.resourceManager.slotManager.getNumberRegisteredSlots(), 0, 'its slots, allocated ones too, are gone');
  t.same(f.released, [f.connected[0]!.gateway], 'its gateway is released');
  t.match(listener.closed, [/heartbeat of TaskManager with id tm-1 timed out after 50000 ms/], 'its session is closed');
  t.equal(f.sink.matching(/WARN .*heartbeat of TaskManager with id tm-1 timed out/).length, 1);
});

t.test('every heartbeat postpones the timeout', async (t) => {
  const f = resourceManagerFixture();
  const registrationId = await f.registrationIdOf('tm-1');
  const session = f.resourceManager.openHeartbeatSession('tm-1', registrationId, recordingListener().heartbeatListener);
  for (let i = 0; i < 5; i++) {
    f.executor.advanceTime(HEARTBEAT_TIMEOUT - 1000);
    heartbeat(session);
  }
  t.ok(f.resourceManager.getTaskManager('tm-1'), `alive after ${5 * (HEARTBEAT_TIMEOUT - 1000)} ms of heartbeats`);
  t.same(f.removed, []);
  f.executor.advanceTime(HEARTBEAT_TIMEOUT);
  t.same(
    f.removed.map((r) => r.reason.kind),
    ['heartbeat-timeout'],
    'removed a timeout after the last heartbeat',
  );
});

t.test('a new registration with the same resource id replaces the old one and closes its session', async (t) => {
  const f = resourceManagerFixture();
  const oldId = await f.registrationIdOf('tm-1');
  const oldListener = recordingListener();
  const oldSession = f.resourceManager.openHeartbeatSession('tm-1', oldId, oldListener.heartbeatListener);
  f.executor.advanceTime(30_000);

  const newId = await f.registrationIdOf('tm-1', 4);
  t.not(newId, oldId);
  t.same(f.removed, [{ resourceId: 'tm-1', registrationId: oldId, reason: { kind: 'replaced' } }]);
  t.match(oldListener.closed, [/replaced by a new one/], 'the old session is told');
  t.same(f.released, [f.connected[0]!.gateway], 'the old gateway is released');
  t.equal(f.resourceManager.getTaskManager('tm-1')!.gateway, f.connected[1]!.gateway);
  t.equal(f.resourceManager.getNumberFreeSlots(), 4, 'the new registration offers its slots');
  t.equal(f.sink.matching('Replacing old registration of TaskExecutor tm-1.').length, 1);

  heartbeat(oldSession);
  t.equal(oldListener.answers, 0, 'heartbeats of the old session are not answered');
  oldSession.close();
  await f.resourceManager.disconnectTaskManager('tm-1', oldId, 'late disconnect of the old registration');
  t.equal(f.resourceManager.getTaskManager('tm-1')!.registrationId, newId, 'nor can the old registration remove the new one');

  f.executor.advanceTime(HEARTBEAT_TIMEOUT - 30_000);
  t.ok(f.resourceManager.getTaskManager('tm-1'), "the old registration's heartbeat timeout does not remove the new one");
  f.executor.advanceTime(30_000);
  t.equal(f.resourceManager.getTaskManager('tm-1'), undefined, 'the new one has its own timeout');
  t.same(
    f.removed.map((r) => [r.registrationId, r.reason.kind]),
    [
      [oldId, 'replaced'],
      [newId, 'heartbeat-timeout'],
    ],
  );
});

t.test('disconnecting, or ending the heartbeat session, removes the TaskManager', async (t) => {
  const f = resourceManagerFixture();
  const id1 = await f.registrationIdOf('tm-1');
  const id2 = await f.registrationIdOf('tm-2');

  await f.resourceManager.disconnectTaskManager('tm-1', 'some-other-registration', 'stale');
  t.ok(f.resourceManager.getTaskManager('tm-1'), 'a disconnect of another registration is ignored');
  await f.resourceManager.disconnectTaskManager('tm-1', id1, 'TaskExecutor is shutting down.');
  t.equal(f.resourceManager.getTaskManager('tm-1'), undefined);
  t.same(f.removed, [{ resourceId: 'tm-1', registrationId: id1, reason: { kind: 'disconnected', cause: 'TaskExecutor is shutting down.' } }]);

  const listener = recordingListener();
  const session = f.resourceManager.openHeartbeatSession('tm-2', id2, listener.heartbeatListener);
  session.close();
  t.equal(f.resourceManager.getTaskManager('tm-2'), undefined);
  t.same(f.removed[1], { resourceId: 'tm-2', registrationId: id2, reason: { kind: 'connection-lost' } });
  t.same(listener.closed, [], 'the side that ended the session is not called back');
  t.equal(f.released.length, 2);
  f.executor.advanceTime(2 * HEARTBEAT_TIMEOUT);
  t.equal(f.removed.length, 2, 'no heartbeat timeout fires for a removed TaskManager');
});

t.test('close removes every TaskManager and rejects later registrations', async (t) => {
  const f = resourceManagerFixture();
  const id1 = await f.registrationIdOf('tm-1');
  await f.registrationIdOf('tm-2');
  const listener = recordingListener();
  f.resourceManager.openHeartbeatSession('tm-1', id1, listener.heartbeatListener);

  f.resourceManager.close();
  t.same(f.resourceManager.getTaskManagers(), []);
  t.same(
    f.removed.map((r) => [r.resourceId, r.reason.kind]),
    [
      ['tm-1', 'shutdown'],
      ['tm-2', 'shutdown'],
    ],
  );
  t.match(listener.closed, [/the ResourceManager is shutting down/]);
  t.equal(f.released.length, 2);
  t.equal(f.resourceManager.getNumberFreeSlots(), 0);
  t.match(await f.register('tm-3'), { kind: 'rejection', reason: 'The ResourceManager is shutting down.' });
  f.executor.advanceTime(2 * HEARTBEAT_TIMEOUT);
  t.equal(f.removed.length, 2, 'no heartbeat timeouts after close');
});
