import type {
  CheckpointTrigger,
  LogFileRequest,
  LogInfo,
  SubtaskStackSamples,
  TaskDeploymentDescriptor,
  TaskExecutorGateway,
} from '../../../src/taskmanager/TaskExecutorGateway.js';
import type { ThreadDumpInfo } from '../../../src/common/process/ThreadDump.js';

/**
 * A TaskExecutorGateway that records every call and answers as its builder says (Flink's TestingTaskExecutorGateway):
 * by default every call succeeds at once.
 */
export class TestingTaskExecutorGateway implements TaskExecutorGateway {
  readonly submitted: TaskDeploymentDescriptor[] = [];
  readonly cancelled: string[] = [];
  readonly triggered: CheckpointTrigger[] = [];
  readonly completedNotifications: Array<{ attemptIds: string[]; checkpointId: number }> = [];
  readonly abortedNotifications: Array<{ attemptIds: string[]; checkpointId: number }> = [];

  constructor(private readonly behaviour: TestingTaskExecutorGatewayBehaviour) {}

  static builder(): TestingTaskExecutorGatewayBuilder {
    return new TestingTaskExecutorGatewayBuilder();
  }

  submitTask(descriptor: TaskDeploymentDescriptor): Promise<void> {
    this.submitted.push(descriptor);
    return this.behaviour.submitTask(descriptor);
  }

  cancelTask(attemptId: string): Promise<void> {
    this.cancelled.push(attemptId);
    return this.behaviour.cancelTask(attemptId);
  }

  triggerCheckpoint(trigger: CheckpointTrigger): Promise<void> {
    this.triggered.push(trigger);
    return this.behaviour.triggerCheckpoint(trigger);
  }

  async notifyCheckpointComplete(attemptIds: readonly string[], checkpointId: number): Promise<void> {
    this.completedNotifications.push({ attemptIds: [...attemptIds], checkpointId });
  }

  async notifyCheckpointAborted(attemptIds: readonly string[], checkpointId: number): Promise<void> {
    this.abortedNotifications.push({ attemptIds: [...attemptIds], checkpointId });
  }

  async requestLogList(): Promise<LogInfo[]> {
    return this.behaviour.logs.map((l) => ({ ...l }));
  }

  /** Every sampling asked for. */
  readonly samplings: Array<{ attemptIds: string[]; durationMs: number }> = [];

  async requestThreadDump(): Promise<ThreadDumpInfo> {
    return this.behaviour.threadDump();
  }

  requestThreadInfoSamples(attemptIds: readonly string[], durationMs: number): Promise<SubtaskStackSamples[]> {
    this.samplings.push({ attemptIds: [...attemptIds], durationMs });
    return this.behaviour.requestThreadInfoSamples(attemptIds, durationMs);
  }

  async requestFileUpload(file: LogFileRequest, maxBytes: number): Promise<AsyncIterable<Uint8Array> | undefined> {
    const content = this.behaviour.files.get('name' in file ? file.name : file.type);
    if (content === undefined) return undefined;
    const bytes = Buffer.from(content);
    return (async function* () {
      yield maxBytes > 0 && bytes.length > maxBytes ? bytes.subarray(bytes.length - maxBytes) : bytes;
    })();
  }
}

interface TestingTaskExecutorGatewayBehaviour {
  submitTask(descriptor: TaskDeploymentDescriptor): Promise<void>;
  cancelTask(attemptId: string): Promise<void>;
  triggerCheckpoint(trigger: CheckpointTrigger): Promise<void>;
  logs: LogInfo[];
  /** Log files by name, and by 'LOG' / 'STDOUT'. */
  files: Map<string, string>;
  threadDump(): Promise<ThreadDumpInfo>;
  requestThreadInfoSamples(attemptIds: readonly string[], durationMs: number): Promise<SubtaskStackSamples[]>;
}

/** Builds a TestingTaskExecutorGateway (Flink's TestingTaskExecutorGatewayBuilder). */
export class TestingTaskExecutorGatewayBuilder {
  private readonly behaviour: TestingTaskExecutorGatewayBehaviour = {
    submitTask: async () => undefined,
    cancelTask: async () => undefined,
    triggerCheckpoint: async () => undefined,
    logs: [],
    files: new Map(),
    threadDump: async () => ({ threadInfos: [{ threadName: 'main', stringifiedThreadInfo: '"main" Id=0 RUNNABLE\n\n' }] }),
    requestThreadInfoSamples: async () => [],
  };

  setSubmitTaskFunction(fn: (descriptor: TaskDeploymentDescriptor) => Promise<void>): this {
    this.behaviour.submitTask = fn;
    return this;
  }

  setCancelTaskFunction(fn: (attemptId: string) => Promise<void>): this {
    this.behaviour.cancelTask = fn;
    return this;
  }

  setTriggerCheckpointFunction(fn: (trigger: CheckpointTrigger) => Promise<void>): this {
    this.behaviour.triggerCheckpoint = fn;
    return this;
  }

  setLogFiles(files: Record<string, string>, logs: LogInfo[] = []): this {
    this.behaviour.files = new Map(Object.entries(files));
    this.behaviour.logs = logs;
    return this;
  }

  setRequestThreadInfoSamplesFunction(fn: (attemptIds: readonly string[], durationMs: number) => Promise<SubtaskStackSamples[]>): this {
    this.behaviour.requestThreadInfoSamples = fn;
    return this;
  }

  build(): TestingTaskExecutorGateway {
    return new TestingTaskExecutorGateway({ ...this.behaviour, files: new Map(this.behaviour.files), logs: [...this.behaviour.logs] });
  }
}
