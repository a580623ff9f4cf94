import type {
  HeartbeatListener,
  HeartbeatSession,
  RegistrationResponse,
  RegistrationSuccess,
  ResourceManagerGateway,
  SlotStatus,
  TaskExecutorHeartbeatPayload,
  TaskExecutorRegistration,
} from '../../../src/master/resourcemanager/ResourceManagerGateway.js';
import type { ResourceManagerGatewayConnection } from '../../../src/taskmanager/ResourceManagerConnection.js';
import { RecordedCalls } from './RecordedCalls.js';

export interface RegistrationCall {
  registration: TaskExecutorRegistration;
  slots: SlotStatus[];
  timeoutMs: number;
  /** The registration id the TaskExecutor presented as proof of being the same instance, if any. */
  previousRegistrationId?: string | undefined;
}

export interface DisconnectCall {
  resourceId: string;
  registrationId: string;
  cause: string;
}

/** One connection the TaskExecutor opened to the ResourceManager (one per registration attempt). */
export interface TestingConnection extends ResourceManagerGatewayConnection {
  readonly address: string;
  closed: boolean;
}

/**
 * A heartbeat session as the fake ResourceManager holds it: records what the TaskExecutor sends and lets the test
 * play the ResourceManager's side (answer, or end the session).
 */
export class TestingHeartbeatSession implements HeartbeatSession {
  readonly sent = new RecordedCalls<TaskExecutorHeartbeatPayload>();
  /** Heartbeats sent after either side ended the session. */
  sentAfterClose = 0;
  /** The TaskExecutor closed the session. */
  closedByTaskExecutor = false;
  /** The ResourceManager closed the session. */
  closedByResourceManager = false;

  constructor(
    readonly resourceId: string,
    readonly registrationId: string,
    private readonly listener: HeartbeatListener,
    private readonly autoAnswer: boolean,
  ) {}

  get open(): boolean {
    return !this.closedByTaskExecutor && !this.closedByResourceManager;
  }

  send(payload: TaskExecutorHeartbeatPayload): void {
    if (!this.open) {
      this.sentAfterClose++;
      return;
    }
    this.sent.record(payload);
    if (this.autoAnswer) this.listener.onHeartbeatAnswer();
  }

  close(): void {
    this.closedByTaskExecutor = true;
  }

  /** The ResourceManager answers a heartbeat. */
  answer(): void {
    this.listener.onHeartbeatAnswer();
  }

  /** The ResourceManager ends the session (it dropped the registration, or the stream broke). */
  closeByResourceManager(reason: string): void {
    this.closedByResourceManager = true;
    this.listener.onClose(reason);
  }
}

interface Behaviour {
  registerTaskExecutor(call: RegistrationCall, attempt: number): Promise<RegistrationResponse>;
  disconnectTaskManager(call: DisconnectCall): Promise<void>;
  answerHeartbeats: boolean;
  onSessionOpened(session: TestingHeartbeatSession): void;
}

/**
 * A ResourceManagerGateway that records every call and answers as its builder says (Flink's
 * TestingResourceManagerGateway). By default every registration succeeds (registration ids `registration-1`, `-2`, …,
 * heartbeat interval 10 s, timeout 50 s) and every heartbeat is answered at once. `connect` is what a TaskExecutor
 * takes as its connectResourceManager service.
 */
export class TestingResourceManagerGateway implements ResourceManagerGateway {
  readonly registrations = new RecordedCalls<RegistrationCall>();
  readonly sessions = new RecordedCalls<TestingHeartbeatSession>();
  readonly disconnects = new RecordedCalls<DisconnectCall>();
  readonly connections: TestingConnection[] = [];

  constructor(private readonly behaviour: Behaviour) {}

  static builder(): TestingResourceManagerGatewayBuilder {
    return new TestingResourceManagerGatewayBuilder();
  }

  /** A successful registration with the given id and heartbeat settings. */
  static success(registrationId: string, heartbeat: { intervalMs?: number; timeoutMs?: number } = {}): RegistrationResponse {
    const success: RegistrationSuccess = {
      registrationId,
      resourceManagerId: 'rm-leader-1',
      resourceManagerResourceId: 'jobmanager',
      heartbeatIntervalMs: heartbeat.intervalMs ?? 10_000,
      heartbeatTimeoutMs: heartbeat.timeoutMs ?? 50_000,
    };
    return { kind: 'success', success };
  }

  /** What the gRPC gateway rejects with when no ResourceManager listens at the address. */
  static unreachable(): Error {
    return Object.assign(new Error('14 UNAVAILABLE: No connection established'), { code: 14, details: 'No connection established' });
  }

  readonly connect = (address: string): TestingConnection => {
    const connection: TestingConnection = {
      address,
      gateway: this,
      closed: false,
      close: () => void (connection.closed = true),
    };
    this.connections.push(connection);
    return connection;
  };

  registerTaskExecutor(
    registration: TaskExecutorRegistration,
    slots: readonly SlotStatus[],
    timeoutMs: number,
    previousRegistrationId?: string,
  ): Promise<RegistrationResponse> {
    const call = { registration: { ...registration }, slots: slots.map((s) => ({ ...s })), timeoutMs, previousRegistrationId };
    this.registrations.record(call);
    return this.behaviour.registerTaskExecutor(call, this.registrations.length);
  }

  openHeartbeatSession(resourceId: string, registrationId: string, listener: HeartbeatListener): HeartbeatSession {
    const session = new TestingHeartbeatSession(resourceId, registrationId, listener, this.behaviour.answerHeartbeats);
    this.sessions.record(session);
    this.behaviour.onSessionOpened(session);
    return session;
  }

  disconnectTaskManager(resourceId: string, registrationId: string, cause: string): Promise<void> {
    const call = { resourceId, registrationId, cause };
    this.disconnects.record(call);
    return this.behaviour.disconnectTaskManager(call);
  }
}

/** Builds a TestingResourceManagerGateway (Flink's TestingResourceManagerGatewayBuilder). */
export class TestingResourceManagerGatewayBuilder {
  private heartbeat: { intervalMs?: number; timeoutMs?: number } = {};
  private behaviour: Behaviour = {
    registerTaskExecutor: async (_call, attempt) => TestingResourceManagerGateway.success(`registration-${attempt}`, this.heartbeat),
    disconnectTaskManager: async () => undefined,
    answerHeartbeats: true,
    onSessionOpened: () => undefined,
  };

  /** Heartbeat settings of the default successful registrations. */
  setHeartbeat(intervalMs: number, timeoutMs: number): this {
    this.heartbeat = { intervalMs, timeoutMs };
    return this;
  }

  /** How registration attempt `attempt` (1-based, over the gateway's life) is answered. */
  setRegisterTaskExecutorFunction(fn: (call: RegistrationCall, attempt: number) => Promise<RegistrationResponse>): this {
    this.behaviour.registerTaskExecutor = fn;
    return this;
  }

  setDisconnectTaskManagerFunction(fn: (call: DisconnectCall) => Promise<void>): this {
    this.behaviour.disconnectTaskManager = fn;
    return this;
  }

  /** false: heartbeats go unanswered until the test calls session.answer(). */
  setAnswerHeartbeats(answer: boolean): this {
    this.behaviour.answerHeartbeats = answer;
    return this;
  }

  /** Runs inside openHeartbeatSession, before it returns (e.g. to end the session at once). */
  setOnSessionOpened(fn: (session: TestingHeartbeatSession) => void): this {
    this.behaviour.onSessionOpened = fn;
    return this;
  }

  build(): TestingResourceManagerGateway {
    return new TestingResourceManagerGateway({ ...this.behaviour });
  }
}
