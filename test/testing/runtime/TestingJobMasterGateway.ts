import type {
  AcknowledgeCheckpoint,
  DeclineCheckpoint,
  JobMasterGateway,
  TaskExecutionState,
  TaskExecutorIdentity,
} from '../../../src/master/jobmaster/JobMasterGateway.js';
import type { JobMasterGateways } from '../../../src/taskmanager/TaskExecutor.js';
import { RecordedCalls } from './RecordedCalls.js';

interface Behaviour {
  updateTaskExecutionState(state: TaskExecutionState): Promise<boolean>;
  acknowledgeCheckpoint(ack: AcknowledgeCheckpoint): Promise<void>;
  declineCheckpoint(decline: DeclineCheckpoint): Promise<void>;
}

/**
 * A JobMasterGateway that records what TaskExecutors report (Flink's TestingJobMasterGateway); by default every call
 * succeeds (and every attempt is known).
 */
export class TestingJobMasterGateway implements JobMasterGateway {
  readonly stateUpdates = new RecordedCalls<TaskExecutionState>();
  readonly acknowledgedCheckpoints = new RecordedCalls<AcknowledgeCheckpoint>();
  readonly declinedCheckpoints = new RecordedCalls<DeclineCheckpoint>();
  /** The sender named by every call, in order (state updates, acknowledgements and declines alike). */
  readonly senders = new RecordedCalls<TaskExecutorIdentity>();

  constructor(private readonly behaviour: Behaviour) {}

  static builder(): TestingJobMasterGatewayBuilder {
    return new TestingJobMasterGatewayBuilder();
  }

  /** The states reported for one attempt, in order. */
  statesOf(attemptId: string): string[] {
    return this.stateUpdates.items.filter((u) => u.attemptId === attemptId).map((u) => u.state);
  }

  /** Resolves when `state` was reported for `attemptId`. */
  awaitState(attemptId: string, state: string): Promise<TaskExecutionState> {
    return this.stateUpdates.waitFor((u) => u.attemptId === attemptId && u.state === state);
  }

  updateTaskExecutionState(state: TaskExecutionState, sender?: TaskExecutorIdentity): Promise<boolean> {
    if (sender) this.senders.record({ ...sender });
    this.stateUpdates.record({ ...state });
    return this.behaviour.updateTaskExecutionState(state);
  }

  acknowledgeCheckpoint(ack: AcknowledgeCheckpoint, sender?: TaskExecutorIdentity): Promise<void> {
    if (sender) this.senders.record({ ...sender });
    this.acknowledgedCheckpoints.record(ack);
    return this.behaviour.acknowledgeCheckpoint(ack);
  }

  declineCheckpoint(decline: DeclineCheckpoint, sender?: TaskExecutorIdentity): Promise<void> {
    if (sender) this.senders.record({ ...sender });
    this.declinedCheckpoints.record(decline);
    return this.behaviour.declineCheckpoint(decline);
  }
}

/** Builds a TestingJobMasterGateway (Flink's TestingJobMasterGatewayBuilder). */
export class TestingJobMasterGatewayBuilder {
  private readonly behaviour: Behaviour = {
    updateTaskExecutionState: async () => true,
    acknowledgeCheckpoint: async () => undefined,
    declineCheckpoint: async () => undefined,
  };

  setUpdateTaskExecutionStateFunction(fn: (state: TaskExecutionState) => Promise<boolean>): this {
    this.behaviour.updateTaskExecutionState = fn;
    return this;
  }

  setAcknowledgeCheckpointFunction(fn: (ack: AcknowledgeCheckpoint) => Promise<void>): this {
    this.behaviour.acknowledgeCheckpoint = fn;
    return this;
  }

  setDeclineCheckpointFunction(fn: (decline: DeclineCheckpoint) => Promise<void>): this {
    this.behaviour.declineCheckpoint = fn;
    return this;
  }

  build(): TestingJobMasterGateway {
    return new TestingJobMasterGateway({ ...this.behaviour });
  }
}

/**
 * The TaskExecutor's way to its JobMasters, in-process: every job's JobMaster is `gateway` (or the one registered for
 * the job with `setGateway`); records which JobMaster was connected for which job.
 */
export class TestingJobMasterGateways implements JobMasterGateways {
  readonly connected: Array<{ address: string; jobId: string }> = [];
  closed = false;
  private readonly byJob = new Map<string, JobMasterGateway>();

  constructor(readonly gateway: JobMasterGateway = TestingJobMasterGateway.builder().build()) {}

  setGateway(jobId: string, gateway: JobMasterGateway): this {
    this.byJob.set(jobId, gateway);
    return this;
  }

  connect(address: string, jobId: string): JobMasterGateway {
    this.connected.push({ address, jobId });
    return this.byJob.get(jobId) ?? this.gateway;
  }

  close(): void {
    this.closed = true;
  }
}
