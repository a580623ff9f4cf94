import type { Logger } from '../../common/Logger.js';
import type { HighAvailabilityServices } from '../../highavailability/HighAvailabilityServices.js';
import type { LeaderFence } from '../../highavailability/zookeeper/ZooKeeperStateHandleStore.js';
import { type CheckpointIDCounter, StandaloneCheckpointIDCounter } from './CheckpointIDCounter.js';
import { type CompletedCheckpointStore, StandaloneCompletedCheckpointStore } from './CompletedCheckpointStore.js';
import { ZooKeeperCheckpointIDCounter, ZooKeeperCompletedCheckpointStore } from './ZooKeeperCheckpointStores.js';

/** What a job's CheckpointCoordinator keeps its checkpoints and ids in. */
export interface CheckpointStores {
  idCounter: CheckpointIDCounter;
  store: CompletedCheckpointStore;
}

/**
 * Creates a job's checkpoint stores (Flink's CheckpointRecoveryFactory): in memory without HA; in ZooKeeper with it,
 * recovered (a job a new leader takes over goes on from its latest checkpoint and id), every write behind the leader's
 * fence.
 */
export interface CheckpointRecoveryFactory {
  createCheckpointStores(jobId: string, numRetained: number, log: Logger): Promise<CheckpointStores>;
}

export const STANDALONE_CHECKPOINT_RECOVERY: CheckpointRecoveryFactory = {
  async createCheckpointStores(_jobId, numRetained, log) {
    return { idCounter: new StandaloneCheckpointIDCounter(), store: new StandaloneCompletedCheckpointStore(numRetained, log) };
  },
};

export function checkpointRecoveryFactory(ha: HighAvailabilityServices, fence: LeaderFence): CheckpointRecoveryFactory {
  const zooKeeper = ha.zooKeeper;
  if (!zooKeeper) return STANDALONE_CHECKPOINT_RECOVERY;
  return {
    async createCheckpointStores(jobId, numRetained, log) {
      const handles = ha.createStateHandleStore(`jobs/${jobId}/checkpoints`, 'completedCheckpoint', fence)!;
      const store = await ZooKeeperCompletedCheckpointStore.recover(handles, numRetained, log);
      const idCounter = new ZooKeeperCheckpointIDCounter(zooKeeper.client, `${zooKeeper.paths.cluster}/jobs/${jobId}/checkpoint_id_counter`, fence);
      return { idCounter, store };
    },
  };
}
