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

  const register = async (resourceId: string, numberOfSlots = 2, host = '10.0.0.7', previousRegistrationId?: string, overrides: Partial<TaskExecutorRegistration> = {}) => {
    const registration: TaskExecutorRegistration = {
      resourceId,
      address: `${host}:6122`,
      hostname: 'worker-7',
      dataPort: 6121,
      numberOfSlots,
      hardware: { cpuCores: 4, physicalMemory: 1 << 30, freeMemory: 1 << 29, managedMemory: 0 },
      pid: 4242,
      ...overrides,
    };
    const slots = Array.from({ length: Math.min(numberOfSlots, 5000) }, (_, slotIndex) => ({ slotIndex, allocationId: '', jobId: '' }));
    return resourceManager.registerTaskExecutor(registration, slots, 0, previousRegistrationId);
  };
  const registrationIdOf = async (resourceId: string, numberOfSlots = 2, previousRegistrationId?: string) => {
    const response = await register(resourceId, numberOfSlots, '10.0.0.7', previousRegistrationId);
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

t.test('the same TaskExecutor registering again with its registration id replaces the old registration and closes its session', async (t) => {
  const f = resourceManagerFixture();
  const oldId = await f.registrationIdOf('tm-1');
  const oldListener = recordingListener();
  const oldSession = f.resourceManager.openHeartbeatSession('tm-1', oldId, oldListener.heartbeatListener);
  f.executor.advanceTime(30_000);

  const newId = await f.registrationIdOf('tm-1', 4, oldId);
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

t.test('a registration under the resource id of a live TaskManager is refused, without its registration id or with a wrong one', async (t) => {
  const f = resourceManagerFixture();
  const id = await f.registrationIdOf('tm-1');
  const listener = recordingListener();
  const session = f.resourceManager.openHeartbeatSession('tm-1', id, listener.heartbeatListener);
  for (const previous of [undefined, '', 'f'.repeat(32), id.slice(0, 31)]) {
    const response = await f.register('tm-1', 100, '10.6.6.6', previous);
    t.match(response, { kind: 'rejection', reason: /registered and alive/ }, `previous registration id ${JSON.stringify(previous)}`);
  }
  t.equal(f.resourceManager.getTaskManager('tm-1')!.registrationId, id, 'the live registration stays');
  t.equal(f.removed.length, 0, 'and is not removed');
  t.equal(f.resourceManager.getNumberFreeSlots(), 2, 'no slots of the impostor are offered');
  t.equal(f.connected.length, 1, 'the impostor is not connected to');
  heartbeat(session);
  t.equal(listener.answers, 1, 'the live session goes on');
  t.equal(f.sink.matching(/Refused the registration of TaskManager tm-1 \(10\.6\.6\.6:6122\)/).length, 4, 'each refusal is logged');
});

t.test('once the old registration is gone (session ended, heartbeat timeout, disconnect) the resource id registers again without proof', async (t) => {
  const f = resourceManagerFixture();
  // The session ends: a restarted TaskManager process with a fixed resource id.
  const first = await f.registrationIdOf('tm-1');
  f.resourceManager.openHeartbeatSession('tm-1', first, recordingListener().heartbeatListener).close();
  const second = await f.registrationIdOf('tm-1');
  t.not(second, first);
  // A hung TaskManager: refused until its heartbeat timed out.
  t.match(await f.register('tm-1'), { kind: 'rejection' });
  f.executor.advanceTime(HEARTBEAT_TIMEOUT);
  const third = await f.registrationIdOf('tm-1');
  // A clean shutdown.
  await f.resourceManager.disconnectTaskManager('tm-1', third, 'shutting down');
  await f.registrationIdOf('tm-1');
  t.same(
    f.removed.map((r) => r.reason.kind),
    ['connection-lost', 'heartbeat-timeout', 'disconnected'],
  );
});

t.test('registration ids are 128 random bits, hex', async (t) => {
  const f = resourceManagerFixture();
  const ids = new Set<string>();
  for (let i = 0; i < 50; i++) ids.add(await f.registrationIdOf(`tm-${i}`));
  t.equal(ids.size, 50);
  for (const id of ids) t.match(id, /^[0-9a-f]{32}$/);
});

t.test('registrations with a slot count out of 1..1024 or other invalid fields are refused', async (t) => {
  const f = resourceManagerFixture();
  const cases: Array<[string, Parameters<typeof f.register>]> = [
    ['100 000 slots', ['tm-a', 100_000]],
    ['1025 slots', ['tm-a', 1025]],
    ['no slots', ['tm-a', 0]],
    ['an empty resource id', ['', 2]],
    ['a resource id with a newline', ['tm\nINFO forged log line', 2]],
    ['a 300-character resource id', ['x'.repeat(300), 2]],
    ['an address without a port', ['tm-a', 2, '10.0.0.7', undefined, { address: '10.0.0.7' }]],
    ['a port out of range', ['tm-a', 2, '10.0.0.7', undefined, { address: '10.0.0.7:70000' }]],
    ['a host with a slash', ['tm-a', 2, '10.0.0.7', undefined, { address: 'evil/../host:6122' }]],
    ['data port 0', ['tm-a', 2, '10.0.0.7', undefined, { dataPort: 0 }]],
    ['a negative pid', ['tm-a', 2, '10.0.0.7', undefined, { pid: -1 }]],
    ['a slot report that does not match the slot count', ['tm-a', 2, '10.0.0.7', undefined, { numberOfSlots: 3 }]],
  ];
  for (const [what, args] of cases) t.match(await f.register(...args), { kind: 'rejection' }, what);
  t.equal(f.resourceManager.getTaskManagers().length, 0);
  t.match(await f.register('tm-a', 1024, '[::1]'), { kind: 'success' }, '1024 slots and an IPv6 address are fine');
});

t.test('slotmanager.number-of-slots.max bounds the slots of the cluster', async (t) => {
  const executor = new ManuallyTriggeredScheduledExecutor();
  const resourceManager = new ResourceManager(
    { resourceId: 'jm', heartbeatIntervalMs: HEARTBEAT_INTERVAL, heartbeatTimeoutMs: HEARTBEAT_TIMEOUT, maxNumberOfSlots: 5 },
    { clock: executor.clock, scheduler: executor, taskExecutors: { connect: () => TestingTaskExecutorGateway.builder().build(), release: () => undefined } },
    testingLogger('ResourceManager').log,
  );
  const registration = (resourceId: string, numberOfSlots: number): TaskExecutorRegistration => ({
    resourceId,
    address: '10.0.0.1:6122',
    hostname: 'h',
    dataPort: 6121,
    numberOfSlots,
    hardware: { cpuCores: 1, physicalMemory: 1, freeMemory: 1, managedMemory: 0 },
    pid: 1,
  });
  const slots = (n: number) => Array.from({ length: n }, (_, slotIndex) => ({ slotIndex, allocationId: '', jobId: '' }));
  t.match(await resourceManager.registerTaskExecutor(registration('tm-1', 3), slots(3)), { kind: 'success' });
  t.match(await resourceManager.registerTaskExecutor(registration('tm-2', 3), slots(3)), { kind: 'rejection', reason: /slotmanager.number-of-slots.max \(5\)/ });
  t.match(await resourceManager.registerTaskExecutor(registration('tm-2', 2), slots(2)), { kind: 'success' });
});

t.test('isCurrentRegistration: only the current registration id of a registered TaskManager', async (t) => {
  const f = resourceManagerFixture();
  const id = await f.registrationIdOf('tm-1');
  t.ok(f.resourceManager.isCurrentRegistration('tm-1', id));
  t.notOk(f.resourceManager.isCurrentRegistration('tm-1', ''));
  t.notOk(f.resourceManager.isCurrentRegistration('tm-1', 'f'.repeat(32)));
  t.notOk(f.resourceManager.isCurrentRegistration('tm-2', id));
});

t.test('the gateway of a registration is connected with its fencing tokens', async (t) => {
  const tokens: unknown[] = [];
  const executor = new ManuallyTriggeredScheduledExecutor();
  const resourceManager = new ResourceManager(
    { resourceId: 'jm', heartbeatIntervalMs: HEARTBEAT_INTERVAL, heartbeatTimeoutMs: HEARTBEAT_TIMEOUT },
    {
      clock: executor.clock,
      scheduler: executor,
      taskExecutors: { connect: (_address, fencing) => (tokens.push(fencing), TestingTaskExecutorGateway.builder().build()), release: () => undefined },
    },
    testingLogger('ResourceManager').log,
  );
  const response = await resourceManager.registerTaskExecutor(
    { resourceId: 'tm-1', address: '10.0.0.1:6122', hostname: 'h', dataPort: 6121, numberOfSlots: 1, hardware: { cpuCores: 1, physicalMemory: 1, freeMemory: 1, managedMemory: 0 }, pid: 1 },
    [{ slotIndex: 0, allocationId: '', jobId: '' }],
  );
  if (response.kind !== 'success') throw new Error(response.reason);
  t.same(tokens, [{ resourceManagerId: resourceManager.resourceManagerId, registrationId: response.success.registrationId }]);
});

t.test('registrations are answered once the leadership’s jobs are recovered (they take over what TaskManagers report)', async (t) => {
  const { resourceManager, register, registered } = resourceManagerFixture();
  let recovered = () => {};
  resourceManager.grantLeadership('leader-2', new Promise<void>((resolve) => (recovered = resolve)));
  let answered = false;
  const response = register('tm-1').then((r) => {
    answered = true;
    return r;
  });
  await flush();
  t.notOk(answered, 'not before the jobs are recovered');
  t.same(registered, []);
  recovered();
  t.equal((await response).kind, 'success');
  t.equal(registered.length, 1);

  resourceManager.grantLeadership('leader-3', Promise.reject(new Error('ZooKeeper is gone')));
  t.same(await register('tm-2'), { kind: 'rejection', reason: 'This JobManager could not recover its jobs.' });
  let never = () => {};
  resourceManager.grantLeadership('leader-4', new Promise<void>((resolve) => (never = resolve)));
  const pending = register('tm-3');
  resourceManager.revokeLeadership();
  never();
  t.same(await pending, { kind: 'rejection', reason: 'This ResourceManager no longer leads.' }, 'a leadership that ended meanwhile takes no registration');
});

t.test('a slot report with subtasks not of tsflink’s form is refused', async (t) => {
  const { resourceManager } = resourceManagerFixture();
  const registration: TaskExecutorRegistration = {
    resourceId: 'tm-1',
    address: '10.0.0.7:6122',
    hostname: 'worker-7',
    dataPort: 6121,
    numberOfSlots: 1,
    hardware: { cpuCores: 4, physicalMemory: 1 << 30, freeMemory: 1 << 29, managedMemory: 0 },
    pid: 4242,
  };
  const id = (c: string) => c.repeat(32);
  const task = { attemptId: id('a'), vertexId: id('b'), subtaskIndex: 0, attemptNumber: 0, state: 'RUNNING' as const };
  const slot = { slotIndex: 0, allocationId: id('c'), jobId: id('d') };
  const refused = async (slots: Parameters<ResourceManager['registerTaskExecutor']>[1], reason: RegExp, what: string) => {
    const response = await resourceManager.registerTaskExecutor(registration, slots, 0);
    t.match(response, { kind: 'rejection', reason }, what);
  };
  await refused([{ ...slot, allocationId: '../x' }], /Slot 0: an allocated slot names its allocation and job by ids of 32 hex digits\./, 'an allocation id of another form');
  await refused([{ slotIndex: 0, allocationId: '', jobId: '', tasks: [task] }], /ids of 32 hex digits/, 'subtasks in a free slot');
  await refused([{ ...slot, tasks: [{ ...task, attemptId: 'x' }] }], /a subtask is named by attempt and vertex ids of 32 hex digits/, 'an attempt id of another form');
  await refused([{ ...slot, tasks: [{ ...task, subtaskIndex: -1 }] }], /non-negative integers/, 'a negative subtask index');
  await refused([{ ...slot, tasks: [{ ...task, state: 'SLEEPING' as 'RUNNING' }] }], /"SLEEPING" is no execution state/, 'an unknown state');
  await refused([{ ...slot, tasks: Array(257).fill(task) }], /at most 256 subtasks per slot/, 'too many subtasks');
  await refused([{ ...slot, tasks: [{ ...task, state: 'FAILED', failure: { name: 'E', message: 'x'.repeat(70_000), stack: '' } }] }], /three texts of at most 65536 characters/, 'a huge failure');
  t.equal((await resourceManager.registerTaskExecutor(registration, [{ ...slot, tasks: [task] }], 0)).kind, 'success', 'a well-formed report registers');
  t.equal(resourceManager.getNumberFreeSlots(), 0, 'its reported slot is taken');
});
