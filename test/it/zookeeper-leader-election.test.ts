// Leader election and retrieval over real ZooKeeper: one leader at a time, the next takes over when it leaves, the
// published address reaches followers, a suspended connection ends leadership, and a leader whose latch node is gone
// cannot publish.
import t, { type Test } from 'tap';
import { type LeaderInformation, ZooKeeperPaths } from '../../src/highavailability/LeaderInformation.js';
import { ZooKeeperLeaderElectionDriver } from '../../src/highavailability/leaderelection/ZooKeeperLeaderElectionDriver.js';
import { ZooKeeperLeaderRetrievalDriver } from '../../src/highavailability/leaderretrieval/ZooKeeperLeaderRetrievalDriver.js';
import { ZooKeeperClient } from '../../src/highavailability/zookeeper/ZooKeeperClient.js';
import { testingLogger } from '../testing/runtime/TestingLogger.js';
import { waitFor } from '../testing/waitFor.js';
import { TestingZooKeeperEnsemble } from '../testing/zookeeper/TestingZooKeeperEnsemble.js';
import { TestingLeaderContender } from '../testing/zookeeper/TestingLeaderContender.js';

async function contender(quorum: string, paths: ZooKeeperPaths, t: Test, sessionTimeoutMs = 6000) {
  const { log } = testingLogger('LeaderElection');
  const client = new ZooKeeperClient({ quorum, sessionTimeoutMs, connectionTimeoutMs: 15_000, logger: log });
  await client.start();
  const driver = new ZooKeeperLeaderElectionDriver({ client, paths, logger: log, tolerateSuspendedConnections: false });
  const recording = new TestingLeaderContender();
  t.teardown(async () => {
    await driver.close();
    await client.close();
  });
  await driver.start(recording);
  return { client, driver, recording };
}

async function follower(quorum: string, path: string, t: Test) {
  const { log } = testingLogger('LeaderRetrieval');
  const client = new ZooKeeperClient({ quorum, sessionTimeoutMs: 6000, connectionTimeoutMs: 15_000, logger: log });
  await client.start();
  const retrieval = new ZooKeeperLeaderRetrievalDriver({ client, path, logger: log });
  const seen: (LeaderInformation | undefined)[] = [];
  await retrieval.start((leader) => seen.push(leader));
  t.teardown(async () => {
    retrieval.close();
    await client.close();
  });
  return { seen, latest: () => seen.at(-1) };
}

t.test('election, takeover, retrieval, suspension and fencing', async (t) => {
  const ensemble = await TestingZooKeeperEnsemble.start(1);
  t.teardown(() => ensemble.close());
  const paths = new ZooKeeperPaths('/flink', '/election-test');

  const a = await contender(ensemble.quorum, paths, t);
  const b = await contender(ensemble.quorum, paths, t);
  await waitFor('a leads', () => a.recording.leaderSessionId);
  t.equal(b.recording.leaderSessionId, undefined, 'one leader at a time');
  const rm = await follower(ensemble.quorum, paths.connectionInfo('resource_manager'), t);

  const aSession = a.recording.leaderSessionId!;
  t.ok(a.driver.hasLeadership(aSession));
  t.equal(await a.driver.publishLeaderInformation('resource_manager', aSession, '10.0.0.1:6123'), true);
  t.equal(await b.driver.publishLeaderInformation('resource_manager', aSession, '10.0.0.2:6123'), false, 'a follower cannot publish, even with the leader’s id');
  await waitFor('the follower sees a', () => rm.latest()?.address === '10.0.0.1:6123');
  t.equal(rm.latest()?.sessionId, aSession);

  await a.driver.close();
  t.same(a.recording.events, ['granted', 'revoked']);
  const bSession = await waitFor('b takes over', () => b.recording.leaderSessionId);
  t.not(bSession, aSession, 'a new leader session id');
  t.equal(await b.driver.publishLeaderInformation('resource_manager', bSession, '10.0.0.2:6123'), true);
  await waitFor('the follower sees b', () => rm.latest()?.address === '10.0.0.2:6123');

  // A leader whose latch node is gone (its session expired, as ZooKeeper sees it) writes nothing, whatever it believes.
  const { log } = testingLogger('admin');
  const admin = new ZooKeeperClient({ quorum: ensemble.quorum, sessionTimeoutMs: 6000, connectionTimeoutMs: 15_000, logger: log });
  await admin.start();
  t.teardown(() => admin.close());
  const [latchNode] = await admin.getChildren(paths.latch);
  await admin.delete(`${paths.latch}/${latchNode}`);
  t.equal(await b.driver.publishLeaderInformation('resource_manager', bSession, '10.0.0.66:6123'), false, 'the fenced write fails');
  t.equal(rm.latest()?.address, '10.0.0.2:6123', 'nothing changed for followers');
  await admin.close();

  await waitFor('b notices its latch node is gone', () => b.recording.events.includes('revoked'));
  const regained = await waitFor('b enters again and, alone, leads with a new id', () => b.recording.leaderSessionId);
  t.not(regained, bSession);

  // The connection suspended past the time the session is certainly alive: leadership ends; followers keep the last
  // leader meanwhile. The same session back: leadership again, with a new id.
  const leader = b;
  const cSession = regained;
  t.equal(await leader.driver.publishLeaderInformation('resource_manager', cSession, '10.0.0.3:6123'), true);
  await waitFor('the follower sees it', () => rm.latest()?.address === '10.0.0.3:6123');
  await ensemble.stopMember(1);
  t.ok(leader.driver.hasLeadership(cSession), 'a suspended connection alone does not end leadership');
  await waitFor('leadership revoked once the session may expire', () => leader.recording.events.at(-1) === 'revoked', { timeoutMs: 15_000 });
  t.notOk(leader.driver.hasLeadership(cSession));
  t.equal(rm.latest()?.address, '10.0.0.3:6123', 'the follower keeps the last leader while it cannot know better');
  await ensemble.startMember(1);
  const again = await waitFor('leadership regained', () => leader.recording.leaderSessionId, { timeoutMs: 30_000 });
  t.not(again, cSession, 'each grant has a new leader session id');
});
