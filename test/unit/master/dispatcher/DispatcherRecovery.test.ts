// The Dispatcher of a new leader: it recovers the stored jobs, and the ResourceManager registers TaskManagers only once
// it has; a recovered job takes over what they report, and every other running subtask they report is cancelled.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { Configuration } from '../../../../src/common/config/Configuration.js';
import { InMemoryJobResultStore } from '../../../../src/highavailability/JobResultStore.js';
import { STANDALONE_CHECKPOINT_RECOVERY } from '../../../../src/master/checkpoint/CheckpointRecoveryFactory.js';
import { Dispatcher } from '../../../../src/master/dispatcher/Dispatcher.js';
import type { JobGraphStore } from '../../../../src/master/dispatcher/JobGraphStore.js';
import type { JobSubmission } from '../../../../src/master/jobmaster/JobMaster.js';
import { ResourceManager } from '../../../../src/master/resourcemanager/ResourceManager.js';
import type { SlotStatus } from '../../../../src/master/resourcemanager/types.js';
import { flush } from '../../../testing/runtime/JobMasterTestHarness.js';
import { clickEventCountShape, jobGraphOf } from '../../../testing/runtime/jobGraphs.js';
import { testingLogger } from '../../../testing/runtime/TestingLogger.js';
import { TestingTaskExecutorGateway } from '../../../testing/runtime/TestingTaskExecutorGateway.js';
import { ManuallyTriggeredScheduledExecutor } from '../../../testing/time/ManuallyTriggeredScheduledExecutor.js';

const hex = (name: string) => createHash('sha256').update(name).digest('hex').slice(0, 32);

/** The job graphs of an earlier leader, in memory. */
class StoredJobGraphs implements JobGraphStore {
  constructor(private readonly jobs: Map<string, JobSubmission>) {}
  async putJobGraph(submission: JobSubmission): Promise<void> {
    this.jobs.set(submission.jobId, submission);
  }
  async getJobIds(): Promise<string[]> {
    return [...this.jobs.keys()];
  }
  async recoverJobGraph(jobId: string): Promise<JobSubmission | undefined> {
    return this.jobs.get(jobId);
  }
  async globalCleanup(jobId: string): Promise<void> {
    this.jobs.delete(jobId);
  }
}

t.test('a recovered job takes over the subtasks a TaskManager reports; the stale and unknown ones are cancelled', async (t) => {
  const directory = mkdtempSync(join(tmpdir(), 'dispatcher-test-'));
  t.teardown(() => rmSync(directory, { recursive: true, force: true }));
  const executor = new ManuallyTriggeredScheduledExecutor();
  const { log, sink } = testingLogger('JobManager');
  const gateway = TestingTaskExecutorGateway.builder().build();
  const resourceManager = new ResourceManager(
    { resourceId: 'jobmanager-2', heartbeatIntervalMs: 10_000, heartbeatTimeoutMs: 50_000, resourceManagerId: null },
    { clock: executor.clock, scheduler: executor, taskExecutors: { connect: () => gateway, release: () => undefined } },
    log.child('ResourceManager'),
  );
  const configuration = new Configuration([
    ['high-availability.type', 'zookeeper'],
    ['high-availability.zookeeper.quorum', '127.0.0.1:2181'],
    ['high-availability.storageDir', `file://${directory}`],
    ['high-availability.reconciliation.timeout', '20 s'],
  ]);
  const dispatcher = new Dispatcher(
    { configuration, slotProvider: resourceManager, clock: executor.clock, executor, jobMasterAddress: () => '127.0.0.1:6123', defaultCheckpointDirectory: directory },
    resourceManager,
    directory,
    log.child('Dispatcher'),
  );
  t.teardown(() => {
    dispatcher.suspend('The test ends.');
    resourceManager.close();
  });

  const jobGraph = await jobGraphOf(clickEventCountShape({ checkpointInterval: 1000 }), 1);
  const jobId = hex('job');
  const stored = new Map([[jobId, { jobId, jobGraph, jobModule: Buffer.from('export default {}'), programArgs: [], defaultParallelism: 1 }]]);
  const recovering = dispatcher.startLeadership({ jobGraphStore: new StoredJobGraphs(stored), jobResultStore: new InMemoryJobResultStore(), checkpointRecovery: STANDALONE_CHECKPOINT_RECOVERY });
  resourceManager.grantLeadership('leader-2', recovering);

  const kept = (attempt: string) => jobGraph.vertices.map((v) => ({ attemptId: hex(`${attempt}-${v.id}`), vertexId: v.id, subtaskIndex: 0, attemptNumber: 0, state: 'RUNNING' as const }));
  const slots: SlotStatus[] = [
    { slotIndex: 0, allocationId: hex('allocation'), jobId, tasks: kept('current') },
    // An earlier attempt of the same subtasks (the old leader had replaced it), and a job no leader runs any more.
    { slotIndex: 1, allocationId: hex('old-allocation'), jobId, tasks: kept('earlier') },
    { slotIndex: 2, allocationId: hex('gone-allocation'), jobId: hex('gone-job'), tasks: [{ ...kept('gone')[0]!, state: 'RUNNING' }] },
  ];
  const response = await resourceManager.registerTaskExecutor(
    { resourceId: 'tm-1', address: '10.0.0.1:6122', hostname: 'tm-1', dataPort: 6121, numberOfSlots: 3, hardware: { cpuCores: 2, physicalMemory: 1, freeMemory: 1, managedMemory: 0 }, pid: 1 },
    slots,
    0,
  );
  t.same(response.kind === 'success' ? 'success' : response, 'success');
  t.ok(dispatcher.isLeader, 'registered once the jobs were recovered');
  const job = dispatcher.getJob(jobId)!;
  t.equal(job.status, 'RUNNING', 'the recovered job took its subtasks over');
  t.same(job.graph.allExecutions().map((e) => e.attemptId), kept('current').map((k) => k.attemptId));
  await flush();
  t.same(gateway.submitted, [], 'nothing deployed');
  t.same(gateway.cancelled.sort(), [...kept('earlier').map((k) => k.attemptId), kept('gone')[0]!.attemptId].sort(), 'the stale and unknown subtasks are cancelled');
  t.equal(sink.matching(/Cancelling subtask attempt \w+ of job \w+ on TaskManager tm-1: no job runs it\./).length, 4);
  t.equal(resourceManager.getNumberFreeSlots(), 0, 'their slots stay taken until the TaskManager reports them free');
});
