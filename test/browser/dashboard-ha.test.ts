// The web dashboard of an HA cluster in chromium: opened on the standby JobManager, it shows the cluster as the leader
// sees it (the standby forwards the REST calls) and names the leader in its top bar; on the leader it says so.
import t from 'tap';
import { configureCluster, haOptions, restRole } from '../testing/ha.js';
import { chromiumMissing, launchChromium, waitForTexts } from '../testing/browser.js';
import { TestingCluster } from '../testing/TestingCluster.js';
import { getJson, waitFor } from '../testing/waitFor.js';
import { TestingZooKeeperEnsemble } from '../testing/zookeeper/TestingZooKeeperEnsemble.js';

t.test('the dashboard names the leading JobManager, also on a standby', { skip: chromiumMissing() ?? false }, async (t) => {
  const zooKeeper = await TestingZooKeeperEnsemble.start(1);
  t.teardown(() => zooKeeper.close());
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  configureCluster(cluster, { ...haOptions(cluster, zooKeeper.quorum, '/dashboard-ha'), 'web.refresh-interval': '500' });
  const leader = await cluster.startJobManager();
  await waitFor('a leader', async () => (await restRole(leader.restUrl)) === 'leader');
  const standby = await cluster.startJobManager();
  await waitFor('a standby that knows the leader', async () => (await restRole(standby.restUrl)) === 'standby');
  await cluster.startTaskManager(leader.rpcPort, ['-D', 'taskmanager.numberOfTaskSlots=1']);
  await waitFor('the TaskManager', async () => (await getJson(`${leader.restUrl}/overview`)).body.taskmanagers === 1);
  const leaderAddress = (await fetch(`${leader.restUrl}/overview`)).headers.get('x-tsflink-leader');
  t.match(leaderAddress, new RegExp(`:${leader.restPort}$`), 'the leader names itself');

  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  await page.goto(`${standby.restUrl}/`);
  await waitForTexts(page, '[data-stat="taskmanagers"] .statistic-value', (texts) => texts[0] === '1', 'the leader’s TaskManager, seen through the standby');
  const [onStandby] = await waitForTexts(page, '.topbar-leader', (texts) => texts.length === 1, 'the leader in the top bar');
  t.equal(onStandby, `Leader: ${leaderAddress} (this JobManager stands by and forwards to it)`);

  await page.goto(`${leader.restUrl}/`);
  const [onLeader] = await waitForTexts(page, '.topbar-leader', (texts) => texts.length === 1 && texts[0]!.includes('(this JobManager)'), 'the leader says it leads');
  t.equal(onLeader, `Leader: ${leaderAddress} (this JobManager)`);
});
