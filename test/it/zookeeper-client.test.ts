// tsflink's ZooKeeper client against real Apache ZooKeeper 3.9 servers (bin/zookeeper.sh): the operations the HA
// services use, watches, transactions, and what a session survives (a server's death) and what it does not (silence
// longer than the session timeout).
import t from 'tap';
import { type ConnectionState, ZooKeeperClient } from '../../src/highavailability/zookeeper/ZooKeeperClient.js';
import { isZooKeeperError } from '../../src/highavailability/zookeeper/protocol.js';
import { testingLogger } from '../testing/runtime/TestingLogger.js';
import { waitFor } from '../testing/waitFor.js';
import { TestingZooKeeperEnsemble } from '../testing/zookeeper/TestingZooKeeperEnsemble.js';

function client(quorum: string, sessionTimeoutMs = 4000) {
  const { log, sink } = testingLogger('ZooKeeperClient');
  const zk = new ZooKeeperClient({ quorum, sessionTimeoutMs, connectionTimeoutMs: 15_000, logger: log });
  const states: string[] = [];
  zk.onConnectionStateChange((state: ConnectionState, sessionChanged) => states.push(sessionChanged ? `${state} (new session)` : state));
  return { zk, states, sink };
}

t.test('one server', async (t) => {
  const ensemble = await TestingZooKeeperEnsemble.start(1);
  t.teardown(() => ensemble.close());

  t.test('nodes: create, read, write with versions, list, delete; errors by their ZooKeeper names', async (t) => {
    const { zk, states } = client(ensemble.quorum);
    t.teardown(() => zk.close());
    await zk.start();
    t.same(states, ['CONNECTED']);
    t.ok(zk.hasFreshSession());

    await zk.createParents('/t1/a/b');
    t.same(await zk.getChildren('/t1/a'), ['b']);
    t.equal(await zk.create('/t1/a/b/data', Buffer.from('v0')), '/t1/a/b/data');
    await t.rejects(zk.create('/t1/a/b/data'), { code: 'NODEEXISTS', message: 'KeeperErrorCode = NODEEXISTS for /t1/a/b/data' });
    const { data, stat } = await zk.getData('/t1/a/b/data');
    t.equal(data.toString(), 'v0');
    t.equal(stat.version, 0);
    t.equal((await zk.setData('/t1/a/b/data', Buffer.from('v1'), 0)).version, 1);
    await t.rejects(zk.setData('/t1/a/b/data', Buffer.from('stale'), 0), { code: 'BADVERSION' }, 'a write against an old version is refused');
    t.equal((await zk.getData('/t1/a/b/data')).data.toString(), 'v1');
    t.equal(await zk.exists('/t1/missing'), null);
    await t.rejects(zk.getData('/t1/missing'), { code: 'NONODE' });
    await t.rejects(zk.delete('/t1/a'), { code: 'NOTEMPTY' });
    await zk.delete('/t1/a/b/data');
    t.equal(await zk.exists('/t1/a/b/data'), null);

    const first = await zk.create('/t1/seq-', Buffer.alloc(0), 'EPHEMERAL_SEQUENTIAL');
    const second = await zk.create('/t1/seq-', Buffer.alloc(0), 'EPHEMERAL_SEQUENTIAL');
    t.match(first, /^\/t1\/seq-\d{10}$/);
    t.ok(second > first, 'sequence numbers grow');
    t.equal((await zk.exists(first))!.ephemeralOwner, zk.currentSessionId);

    const big = Buffer.alloc(900_000, 7);
    await zk.create('/t1/big', big);
    t.same((await zk.getData('/t1/big')).data, big, 'a large node reads back whole');
  });

  t.test('watches fire once, for creation, change, deletion and children', async (t) => {
    const { zk } = client(ensemble.quorum);
    const { zk: other } = client(ensemble.quorum);
    t.teardown(async () => {
      await zk.close();
      await other.close();
    });
    await Promise.all([zk.start(), other.start()]);
    await zk.createParents('/t2');
    const events: string[] = [];
    const record = (e: { type: string; path: string }) => events.push(`${e.type} ${e.path}`);

    t.equal(await zk.exists('/t2/node', record), null);
    await other.create('/t2/node', Buffer.from('a'));
    await waitFor('NodeCreated', () => events.length === 1);
    await zk.getData('/t2/node', record);
    await zk.getChildren('/t2', record);
    await other.setData('/t2/node', Buffer.from('b'));
    await other.setData('/t2/node', Buffer.from('c'));
    await other.create('/t2/sibling');
    await other.delete('/t2/sibling');
    await waitFor('two more events', () => events.length === 3);
    t.same(events, ['NodeCreated /t2/node', 'NodeDataChanged /t2/node', 'NodeChildrenChanged /t2'], 'each watch fired once');
  });

  t.test('a multi takes effect whole or not at all, and names the operation that failed', async (t) => {
    const { zk } = client(ensemble.quorum);
    t.teardown(() => zk.close());
    await zk.start();
    await zk.createParents('/t3');
    const latch = await zk.create('/t3/latch-', Buffer.alloc(0), 'EPHEMERAL_SEQUENTIAL');
    const results = await zk.multi([
      { type: 'check', path: latch, version: 0 },
      { type: 'create', path: '/t3/leader', data: Buffer.from('me'), mode: 'EPHEMERAL' },
      { type: 'create', path: '/t3/counter', data: Buffer.from('1'), mode: 'PERSISTENT' },
    ]);
    t.same(results, [{ type: 'check' }, { type: 'create', path: '/t3/leader' }, { type: 'create', path: '/t3/counter' }]);
    const error = await zk
      .multi([
        { type: 'setData', path: '/t3/counter', data: Buffer.from('2'), version: 0 },
        { type: 'check', path: '/t3/gone', version: 0 },
      ])
      .catch((e: unknown) => e);
    t.ok(isZooKeeperError(error, 'NONODE'), String(error));
    t.match(String(error), '/t3/gone');
    t.equal((await zk.getData('/t3/counter')).data.toString(), '1', 'the first operation was not applied either');
  });

  t.test('closing the session removes its ephemeral nodes at once', async (t) => {
    const { zk } = client(ensemble.quorum);
    const { zk: observer } = client(ensemble.quorum);
    t.teardown(() => observer.close());
    await Promise.all([zk.start(), observer.start()]);
    await zk.createParents('/t4');
    await zk.create('/t4/ephemeral', Buffer.alloc(0), 'EPHEMERAL');
    await zk.close();
    t.equal(await observer.exists('/t4/ephemeral'), null);
    await t.rejects(zk.getData('/t4'), { code: 'CONNECTIONLOSS' }, 'a closed client refuses requests');
  });

  t.test('silence longer than the session timeout: LOST at once, then a new session; the old ephemeral node is gone', async (t) => {
    const { zk, states, sink } = client(ensemble.quorum, 2000);
    t.teardown(() => zk.close());
    await zk.start();
    await zk.createParents('/t5');
    await zk.create('/t5/ephemeral', Buffer.alloc(0), 'EPHEMERAL');
    const oldSession = zk.currentSessionId;
    await ensemble.stopMember(1);
    await waitFor('SUSPENDED', () => states.includes('SUSPENDED'));
    t.notOk(zk.hasFreshSession(), 'a suspended session is not fresh');
    await waitFor('LOST', () => states.includes('LOST (new session)'), { timeoutMs: 15_000 });
    t.ok(sink.matching('No contact with ZooKeeper for the session timeout').length > 0);
    await ensemble.startMember(1);
    await waitFor('a new session', () => states.includes('RECONNECTED (new session)'), { timeoutMs: 30_000 });
    t.not(zk.currentSessionId, oldSession);
    await waitFor('the old session expired on the server too', async () => (await zk.exists('/t5/ephemeral')) === null, { timeoutMs: 30_000 });
  });
});

t.test('an ensemble of three: the session moves to another server when its server dies, with its ephemeral nodes and watches', async (t) => {
  const ensemble = await TestingZooKeeperEnsemble.start(3);
  t.teardown(() => ensemble.close());
  const { zk, states } = client(ensemble.quorum, 6000);
  const { zk: other } = client(ensemble.quorum, 6000);
  t.teardown(async () => {
    await zk.close();
    await other.close();
  });
  await Promise.all([zk.start(), other.start()]);
  await zk.createParents('/e');
  await zk.create('/e/ephemeral', Buffer.alloc(0), 'EPHEMERAL');
  const events: string[] = [];
  await zk.getData('/e/ephemeral', (e) => events.push(e.type));
  const session = zk.currentSessionId;

  const server = zk.connectedServer;
  const id = ensemble.members.find((m) => `${m.host}:${m.clientPort}` === server)!.id;
  ensemble.killMember(id);
  await waitFor('RECONNECTED to another server', () => states.includes('RECONNECTED'), { timeoutMs: 30_000 });
  t.same(states, ['CONNECTED', 'SUSPENDED', 'RECONNECTED']);
  t.equal(zk.currentSessionId, session, 'the same session');
  t.not(zk.connectedServer, server);
  t.ok(await other.exists('/e/ephemeral'), 'its ephemeral node lives');
  await other.setData('/e/ephemeral', Buffer.from('changed'));
  await waitFor('the watch set before the move fires', () => events.length === 1);
  t.same(events, ['NodeDataChanged']);
  await ensemble.startMember(id);
});
