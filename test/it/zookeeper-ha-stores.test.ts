// The HA stores over a real ZooKeeper and a storage directory: checkpoint ids go on across clients and never move
// back, completed checkpoints and job graphs are recovered by another client, pointers never lead outside the storage
// directory, and a deposed leader's writes fail and leave no file behind.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { FileSystemStateStorage } from '../../src/highavailability/FileSystemStateStorage.js';
import { ZooKeeperPaths } from '../../src/highavailability/LeaderInformation.js';
import { ZooKeeperLeaderElectionDriver } from '../../src/highavailability/leaderelection/ZooKeeperLeaderElectionDriver.js';
import { ZooKeeperClient } from '../../src/highavailability/zookeeper/ZooKeeperClient.js';
import { NO_FENCE, ZooKeeperStateHandleStore } from '../../src/highavailability/zookeeper/ZooKeeperStateHandleStore.js';
import { ZooKeeperCheckpointIDCounter, ZooKeeperCompletedCheckpointStore } from '../../src/master/checkpoint/ZooKeeperCheckpointStores.js';
import { ZooKeeperJobGraphStore } from '../../src/master/dispatcher/JobGraphStore.js';
import type { JobSubmission } from '../../src/master/jobmaster/JobMaster.js';
import { testingLogger } from '../testing/runtime/TestingLogger.js';
import { testDir } from '../testing/testRun.js';
import { waitFor } from '../testing/waitFor.js';
import { TestingZooKeeperEnsemble } from '../testing/zookeeper/TestingZooKeeperEnsemble.js';

const JOB = 'a'.repeat(32);

t.test('HA stores', async (t) => {
  const ensemble = await TestingZooKeeperEnsemble.start(1);
  t.teardown(() => ensemble.close());
  const clients: ZooKeeperClient[] = [];
  t.teardown(async () => {
    for (const client of clients) await client.close();
  });
  async function client() {
    const c = new ZooKeeperClient({ quorum: ensemble.quorum, sessionTimeoutMs: 6000, connectionTimeoutMs: 15_000, logger: testingLogger('zk').log });
    await c.start();
    clients.push(c);
    return c;
  }
  const storageDir = testDir('ha-storage');
  const storage = new FileSystemStateStorage(storageDir);
  const paths = new ZooKeeperPaths('/flink', '/stores');

  t.test('checkpoint ids: unique and growing across two clients; setCount never moves back', async (t) => {
    const path = `${paths.cluster}/jobs/${JOB}/checkpoint_id_counter`;
    const one = new ZooKeeperCheckpointIDCounter(await client(), path, NO_FENCE);
    const two = new ZooKeeperCheckpointIDCounter(await client(), path, NO_FENCE);
    const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? one : two).getAndIncrement()));
    t.same([...ids].sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i + 1), 'each id handed out once');
    await one.setCount(100);
    await two.setCount(50);
    t.equal(await two.get(), 100);
    t.equal(await two.getAndIncrement(), 100);
    await one.shutdown();
    t.equal(await one.get(), 1, 'a removed counter starts over');
  });

  t.test('completed checkpoints: retained, subsumed, recovered by another JobManager', async (t) => {
    const log = testingLogger('CompletedCheckpointStore');
    const handles = (c: ZooKeeperClient) => new ZooKeeperStateHandleStore(c, `${paths.cluster}/jobs/${JOB}/checkpoints`, storage, NO_FENCE, 'completedCheckpoint', log.log);
    const store = await ZooKeeperCompletedCheckpointStore.recover(handles(await client()), 2, log.log);
    t.ok(log.sink.matching('Found 0 checkpoints in ZooKeeper.').length === 1);
    const checkpointsDir = testDir('checkpoints');
    for (const id of [1, 2, 3]) {
      const directory = join(checkpointsDir, `chk-${id}`);
      mkdirSync(directory);
      writeFileSync(join(directory, '_metadata'), '{}');
      await store.addCheckpoint({ checkpointId: id, timestamp: 1000 + id, directory, stateFiles: [] });
    }
    t.same(store.getAllCheckpoints().map((c) => c.checkpointId), [2, 3]);
    t.notOk(existsSync(join(checkpointsDir, 'chk-1')), 'the subsumed checkpoint is discarded');

    const recovering = testingLogger('CompletedCheckpointStore');
    const recovered = await ZooKeeperCompletedCheckpointStore.recover(handles(await client()), 2, recovering.log);
    t.ok(recovering.sink.matching('Found 2 checkpoints in ZooKeeper.').length === 1);
    t.same(recovered.getLatestCheckpoint(), { checkpointId: 3, timestamp: 1003, directory: join(checkpointsDir, 'chk-3'), stateFiles: [] });
    // A JobManager that stops leading drops its store without a word: the next leader finds everything.
    t.equal((await ZooKeeperCompletedCheckpointStore.recover(handles(await client()), 2, recovering.log)).getAllCheckpoints().length, 2);
    await recovered.shutdown(false);
    t.equal((await ZooKeeperCompletedCheckpointStore.recover(handles(await client()), 2, recovering.log)).getAllCheckpoints().length, 0, 'a terminated job’s nodes are gone');
    t.ok(existsSync(join(checkpointsDir, 'chk-3')), 'its retained checkpoint stays on disk');
    t.notOk(readdirSync(storageDir).some((f) => f.startsWith('completedCheckpoint')), 'the description files are gone');
  });

  t.test('job graphs: stored with their module, recovered, cleaned up', async (t) => {
    const handles = new ZooKeeperStateHandleStore(await client(), `${paths.cluster}/jobgraphs`, storage, NO_FENCE, 'submittedJobGraph', testingLogger().log);
    const store = new ZooKeeperJobGraphStore(handles);
    const submission: JobSubmission = {
      jobId: JOB,
      jobGraph: { jobName: 'Click Event Count', vertices: [], planHash: 'h', checkpointInterval: 1000, maxParallelism: 128 },
      jobModule: Buffer.from('export default 1;\n'),
      programArgs: ['--checkpointing'],
      defaultParallelism: 2,
    };
    await store.putJobGraph(submission);
    const other = new ZooKeeperJobGraphStore(new ZooKeeperStateHandleStore(await client(), `${paths.cluster}/jobgraphs`, storage, NO_FENCE, 'submittedJobGraph', testingLogger().log));
    t.same(await other.getJobIds(), [JOB]);
    t.same(await other.recoverJobGraph(JOB), submission);
    t.ok(readdirSync(storageDir).some((f) => f.startsWith('submittedJobGraph')));
    await other.globalCleanup(JOB);
    t.same(await store.getJobIds(), []);
    t.notOk(readdirSync(storageDir).some((f) => f.startsWith('submittedJobGraph')), 'its file is removed');
  });

  t.test('a pointer naming a file outside the storage directory is never followed', async (t) => {
    const c = await client();
    await c.createParents(`${paths.cluster}/jobgraphs`);
    await c.create(`${paths.cluster}/jobgraphs/${'b'.repeat(32)}`, Buffer.from(JSON.stringify({ path: '/etc/passwd' })));
    const store = new ZooKeeperJobGraphStore(new ZooKeeperStateHandleStore(c, `${paths.cluster}/jobgraphs`, storage, NO_FENCE, 'submittedJobGraph', testingLogger().log));
    await t.rejects(store.recoverJobGraph('b'.repeat(32)), /'\/etc\/passwd' is not a state file of/);
  });

  t.test('a deposed leader’s writes fail in ZooKeeper and leave no file', async (t) => {
    const c = await client();
    const election = new ZooKeeperLeaderElectionDriver({ client: c, paths, logger: testingLogger().log, tolerateSuspendedConnections: false });
    let leaderSessionId: string | undefined;
    await election.start({ grantLeadership: (id) => (leaderSessionId = id), revokeLeadership: () => (leaderSessionId = undefined) });
    t.teardown(() => election.close());
    const granted = await waitFor('leadership', () => leaderSessionId);
    const fence = election.fence(granted);
    const counter = new ZooKeeperCheckpointIDCounter(c, `${paths.cluster}/jobs/${'c'.repeat(32)}/checkpoint_id_counter`, fence);
    t.equal(await counter.getAndIncrement(), 1, 'the leader writes');

    // What ZooKeeper sees when the leader's session expires: its latch node is gone. Write before it notices.
    const admin = await client();
    const [latch] = await admin.getChildren(paths.latch);
    const check = fence.fencingOps();
    await admin.delete(`${paths.latch}/${latch}`);
    const handles = new ZooKeeperStateHandleStore(c, `${paths.cluster}/jobgraphs`, storage, { fencingOps: () => check }, 'submittedJobGraph', testingLogger().log);
    const before = readdirSync(storageDir).length;
    await t.rejects(handles.add('d'.repeat(32), Buffer.from('x')), { code: 'NONODE' }, 'the transaction’s check fails');
    t.equal(readdirSync(storageDir).length, before, 'the file written first is removed again');
    await waitFor('the driver notices (and, alone, leads again under a new id)', () => leaderSessionId !== granted);
    await t.rejects(counter.getAndIncrement(), { name: 'LeadershipLostError' }, 'afterwards the fence refuses at once');
  });
});
