// The leader election on an in-memory ZooKeeper and a manual clock: one leader at a time in latch order, a new leader
// session id per grant, leadership through a short suspension but not past the time the session is certainly alive,
// none after a lost session, and the fence of the HA stores' writes.
import t, { type Test } from 'tap';
import { ZooKeeperPaths } from '../../../src/highavailability/LeaderInformation.js';
import { ZooKeeperLeaderElectionDriver } from '../../../src/highavailability/leaderelection/ZooKeeperLeaderElectionDriver.js';
import { ZooKeeperLeaderRetrievalDriver } from '../../../src/highavailability/leaderretrieval/ZooKeeperLeaderRetrievalDriver.js';
import type { LeaderInformation } from '../../../src/highavailability/LeaderInformation.js';
import { settle } from '../../testing/runtime/settle.js';
import { testingLogger } from '../../testing/runtime/TestingLogger.js';
import { ManuallyTriggeredScheduledExecutor } from '../../testing/time/ManuallyTriggeredScheduledExecutor.js';
import { TestingZooKeeper } from '../../testing/zookeeper/TestingZooKeeper.js';
import { TestingLeaderContender } from '../../testing/zookeeper/TestingLeaderContender.js';

const SESSION_TIMEOUT = 6000;
const paths = new ZooKeeperPaths('/flink', '/unit');

function setup(t: Test) {
  const executor = new ManuallyTriggeredScheduledExecutor();
  const zk = new TestingZooKeeper(executor.clock);
  const start = async (options: { tolerateSuspendedConnections?: boolean } = {}) => {
    const session = zk.session(SESSION_TIMEOUT);
    const driver = new ZooKeeperLeaderElectionDriver({
      client: session,
      paths,
      logger: testingLogger('election').log,
      tolerateSuspendedConnections: options.tolerateSuspendedConnections ?? false,
      scheduler: executor,
    });
    const contender = new TestingLeaderContender();
    await driver.start(contender);
    await settle();
    t.teardown(() => driver.close());
    return { session, driver, contender };
  };
  return { executor, zk, start };
}

t.test('the first contender leads; the next one leads when it leaves, with a new leader session id', async (t) => {
  const { start } = setup(t);
  const a = await start();
  const b = await start();
  t.ok(a.contender.leaderSessionId);
  t.equal(b.contender.leaderSessionId, undefined);
  const first = a.contender.leaderSessionId!;
  await a.driver.close();
  await settle();
  t.same(a.contender.events, ['granted', 'revoked']);
  t.ok(b.contender.leaderSessionId);
  t.not(b.contender.leaderSessionId, first);
});

t.test('a suspension shorter than the safe time keeps leadership; a longer one ends it; the same session back leads again', async (t) => {
  const { start, executor } = setup(t);
  const a = await start();
  const granted = a.contender.leaderSessionId!;
  a.session.suspend();
  executor.advanceTime((SESSION_TIMEOUT * 2) / 3 - 100);
  a.session.reconnect();
  await settle();
  executor.advanceTime(10_000);
  await settle();
  t.same(a.contender.events, ['granted'], 'no revocation for a short suspension');
  t.ok(a.driver.hasLeadership(granted));

  a.session.suspend();
  t.ok(a.driver.hasLeadership(granted), 'leadership holds while the session is certainly alive');
  executor.advanceTime((SESSION_TIMEOUT * 2) / 3);
  await settle();
  t.same(a.contender.events, ['granted', 'revoked'], 'revoked once the session may have expired');
  t.notOk(a.driver.hasLeadership(granted));
  a.session.reconnect();
  await settle();
  t.same(a.contender.events, ['granted', 'revoked', 'granted'], 'its latch node is still first: it leads again');
  t.not(a.contender.leaderSessionId, granted, 'with a new leader session id');
});

t.test('with tolerate-suspended-connections only a lost session ends leadership', async (t) => {
  const { start, executor } = setup(t);
  const a = await start({ tolerateSuspendedConnections: true });
  a.session.suspend();
  executor.advanceTime(SESSION_TIMEOUT * 10);
  await settle();
  t.same(a.contender.events, ['granted']);
  a.session.expire();
  await settle();
  t.same(a.contender.events.slice(0, 2), ['granted', 'revoked']);
});

t.test('a lost session ends leadership at once; the next contender leads; the old one enters again behind it', async (t) => {
  const { start, zk } = setup(t);
  const a = await start();
  const b = await start();
  const old = a.contender.leaderSessionId!;
  const fence = a.driver.fence(old);
  t.equal(fence.fencingOps()[0]!.type, 'check', 'a leader’s writes begin with a check of its latch node');
  a.session.expire();
  await settle();
  t.same(a.contender.events, ['granted', 'revoked']);
  t.ok(b.contender.leaderSessionId, 'the next contender leads');
  t.throws(() => fence.fencingOps(), { name: 'LeadershipLostError' }, 'the old grant’s fence refuses at once');
  t.equal(zk.children(paths.latch).length, 2, 'the old contender entered the latch again, behind');
  t.equal(a.contender.leaderSessionId, undefined);
});

t.test('publishing is fenced: only the leader writes connection_info; followers see each new leader', async (t) => {
  const { start, zk } = setup(t);
  const a = await start();
  const b = await start();
  const follower = zk.session();
  const retrieval = new ZooKeeperLeaderRetrievalDriver({ client: follower, path: paths.connectionInfo('rest_server'), logger: testingLogger().log });
  const seen: (LeaderInformation | undefined)[] = [];
  await retrieval.start((leader) => seen.push(leader));
  t.teardown(() => retrieval.close());

  t.equal(await a.driver.publishLeaderInformation('rest_server', a.contender.leaderSessionId!, 'http://a:8081'), true);
  t.equal(await b.driver.publishLeaderInformation('rest_server', a.contender.leaderSessionId!, 'http://b:8081'), false, 'a follower cannot');
  await settle();
  t.same(seen.at(-1), { sessionId: a.contender.leaderSessionId, address: 'http://a:8081' });
  await a.driver.close();
  await settle();
  t.equal(await b.driver.publishLeaderInformation('rest_server', b.contender.leaderSessionId!, 'http://b:8081'), true);
  await settle();
  t.same(seen.at(-1), { sessionId: b.contender.leaderSessionId, address: 'http://b:8081' });
  follower.suspend();
  await settle();
  t.equal(seen.at(-1)?.address, 'http://b:8081', 'a suspended follower keeps the last leader');
});
