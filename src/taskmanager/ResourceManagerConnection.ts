import type { Logger } from '../common/Logger.js';
import { DEFAULT_LEADER_ID } from '../highavailability/HighAvailabilityServices.js';
import type { LeaderInformation } from '../highavailability/LeaderInformation.js';
import type { ScheduledExecutor, ScheduledTask } from '../common/time/ScheduledExecutor.js';
import type {
  HeartbeatSession,
  RegistrationResponse,
  RegistrationSuccess,
  ResourceManagerGateway,
  SlotStatus,
  TaskExecutorHeartbeatPayload,
  TaskExecutorRegistration,
} from '../master/resourcemanager/ResourceManagerGateway.js';

export interface RegistrationTimeouts {
  initialTimeoutMs: number;
  maxTimeoutMs: number;
  refusedDelayMs: number;
}

/** A connection to the ResourceManager at an address: its gateway, and a way to release what it holds. */
export interface ResourceManagerGatewayConnection {
  gateway: ResourceManagerGateway;
  close(): void;
}

/** What the connection needs from its TaskExecutor: who it is and what to report. */
export interface TaskExecutorReporter {
  registration(): { registration: TaskExecutorRegistration; slots: SlotStatus[] };
  heartbeatPayload(): TaskExecutorHeartbeatPayload;
  /** The registration ended (JobManager gone, heartbeat timeout, or the ResourceManager dropped it). */
  onConnectionLost(reason: string): void;
  /** A registration with the ResourceManager at `address` is held from now on (its JobManager has the TaskExecutor's report). */
  onRegistered(address: string): void;
}

/**
 * Keeps a TaskExecutor registered with the leading ResourceManager (Flink's TaskExecutorToResourceManagerConnection
 * with its RetryingRegistration): registers with growing timeouts until it succeeds, keeps the registration's heartbeat
 * session open — sending every heartbeat interval, and giving the ResourceManager up after the heartbeat timeout without
 * an answer — and starts over whenever the registration ends. A new connection per attempt, so a restarted JobManager
 * is reached without waiting out a channel's reconnect backoff.
 *
 * The leader comes from leader retrieval (`setLeader`): a new leader ends the registration held and the next one goes
 * to it; with HA, a ResourceManager whose fencing token is not the published leader session id is not registered with.
 */
export class ResourceManagerConnection {
  private closed = false;
  private closeCause = '';
  private current: ResourceManagerGatewayConnection | undefined;
  private session: { registration: RegistrationSuccess; end(reason: string): void; sendNow(): void } | undefined;
  /** The id of the newest registration this connection received (it proves the TaskExecutor's identity when registering again). */
  private lastRegistrationId = '';
  /** Settles when the registration attempt under way has been answered (and, if successful, is held). */
  private attempt: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private leader: LeaderInformation | undefined;
  /** The address of the leader registered with or being registered with, for messages. */
  private address = '';

  constructor(
    private readonly connect: (address: string) => ResourceManagerGatewayConnection,
    private readonly timeouts: RegistrationTimeouts,
    private readonly reporter: TaskExecutorReporter,
    private readonly executor: ScheduledExecutor,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.loop = this.run();
  }

  /** The ResourceManager that leads now (undefined: none is known). A change ends the registration held. */
  setLeader(leader: LeaderInformation | undefined): void {
    if (leader?.address === this.leader?.address && leader?.sessionId === this.leader?.sessionId) return;
    this.leader = leader;
    if (leader) this.log.info(`Resolved the ResourceManager leader: ${leader.address}.`, { leaderSessionId: leader.sessionId });
    this.session?.end(leader ? `The ResourceManager leader changed to ${leader.address}.` : 'No ResourceManager leads now.');
    this.wakeUp?.();
  }

  /** Whether a registration is being held now. */
  get isRegistered(): boolean {
    return this.session !== undefined;
  }

  /** The registration held now (its ids are the fencing tokens of the JobManager's calls), if any. */
  get registration(): RegistrationSuccess | undefined {
    return this.session?.registration;
  }

  /** The id of the newest registration received, '' before the first: the sender's credential in reports to JobMasters. */
  get registrationId(): string {
    return this.lastRegistrationId;
  }

  /** Sends a heartbeat (with the slot report) now instead of at the next interval, if a registration is held. */
  heartbeatNow(): void {
    this.session?.sendNow();
  }

  /** Resolves once no registration attempt is under way (at once if none is), so its answer has been taken in. */
  async registrationSettled(): Promise<void> {
    await this.attempt;
  }

  /** Says goodbye to the ResourceManager (best effort) and stops reconnecting. */
  async close(cause: string): Promise<void> {
    this.closed = true;
    this.closeCause = cause;
    const session = this.session;
    const connection = this.current;
    if (session && connection) {
      const { resourceId } = this.reporter.registration().registration;
      await this.withTimeout(connection.gateway.disconnectTaskManager(resourceId, session.registration.registrationId, cause).catch(() => undefined), 1000);
    }
    session?.end('The TaskExecutor is shutting down.');
    this.wakeUp?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    let timeoutMs = this.timeouts.initialTimeoutMs;
    let attempt = 0;
    while (!this.closed) {
      const leader = this.leader;
      if (!leader) {
        await this.sleep(60_000);
        continue;
      }
      this.address = leader.address;
      attempt++;
      const connection = this.connect(leader.address);
      this.current = connection;
      let settle = () => {};
      this.attempt = new Promise<void>((resolve) => (settle = resolve));
      try {
        const { registration, slots } = this.reporter.registration();
        let response: RegistrationResponse;
        try {
          response = await connection.gateway.registerTaskExecutor(registration, slots, Math.max(timeoutMs, 1000), this.lastRegistrationId || undefined);
        } catch (error) {
          settle();
          throw error;
        }
        // A refusal settles the attempt now, a success once its registration is held.
        if (response.kind !== 'success' || this.closed) settle();
        if (response.kind === 'success' && this.closed) {
          // close() came while this registration was on its way: take it back instead of holding it.
          await this.withTimeout(
            connection.gateway.disconnectTaskManager(registration.resourceId, response.success.registrationId, this.closeCause).catch(() => undefined),
            1000,
          );
        } else if (response.kind === 'success' && !this.isLeader(leader, response.success.resourceManagerId)) {
          // Not (or no longer) the leader that retrieval named: let go of this registration and follow retrieval.
          await this.withTimeout(connection.gateway.disconnectTaskManager(registration.resourceId, response.success.registrationId, 'Not the leader.').catch(() => undefined), 1000);
          if (this.leader === leader) {
            this.log.warn(`The ResourceManager at ${leader.address} is not the leader with session id ${leader.sessionId}; waiting for the leader.`);
            await this.sleep(this.timeouts.refusedDelayMs);
          }
        } else if (response.kind === 'success') {
          attempt = 0;
          timeoutMs = this.timeouts.initialTimeoutMs;
          this.lastRegistrationId = response.success.registrationId;
          const reason = await this.holdRegistration(connection.gateway, response.success, settle);
          if (!this.closed) {
            this.log.warn(`Lost the connection to the ResourceManager at ${this.address}: ${reason} Registering again.`);
            this.reporter.onConnectionLost(reason);
          }
        } else {
          this.log.warn(`The ResourceManager at ${this.address} refused the registration: ${response.reason}`);
          if (this.leader === leader) await this.sleep(this.timeouts.refusedDelayMs);
        }
      } catch (error) {
        if (this.closed) break;
        if (attempt === 1 || attempt % 10 === 0) {
          const message = (error as { details?: string }).details || (error as Error).message;
          this.log.info(`Could not reach the ResourceManager at ${this.address} (attempt ${attempt}): ${message}. Retrying in ${timeoutMs} ms.`);
        }
        if (this.leader === leader) {
          await this.sleep(timeoutMs);
          timeoutMs = Math.min(timeoutMs * 2, this.timeouts.maxTimeoutMs);
        } else {
          attempt = 0;
          timeoutMs = this.timeouts.initialTimeoutMs;
        }
      } finally {
        settle();
        connection.close();
        if (this.current === connection) this.current = undefined;
      }
    }
  }

  /** With HA, the leader's ResourceManager carries the leader session id as its fencing token. */
  private isLeader(leader: LeaderInformation, resourceManagerId: string): boolean {
    if (this.leader !== leader) return false;
    return leader.sessionId === DEFAULT_LEADER_ID || resourceManagerId === leader.sessionId;
  }

  /** Runs the heartbeat session of one registration; resolves with the reason it ended. */
  private holdRegistration(gateway: ResourceManagerGateway, registration: RegistrationSuccess, held: () => void): Promise<string> {
    // The registration id is a secret (it authorizes this TaskExecutor's reports): it is never logged.
    this.log.info(`Successful registration at resource manager ${this.address}.`, { resourceManagerId: registration.resourceManagerId });
    const { resourceId } = this.reporter.registration().registration;
    return new Promise<string>((resolve) => {
      let ended = false;
      let watchdog: ScheduledTask | undefined;
      let sender: ScheduledTask | undefined;
      let session: HeartbeatSession | undefined;
      const resetWatchdog = () => {
        watchdog?.cancel();
        watchdog = this.executor.schedule(registration.heartbeatTimeoutMs, () =>
          end(`The heartbeat of ResourceManager with id ${registration.resourceManagerId} timed out after ${registration.heartbeatTimeoutMs} ms.`),
        );
      };
      const end = (reason: string) => {
        if (ended) return;
        ended = true;
        sender?.cancel();
        watchdog?.cancel();
        this.session = undefined;
        session?.close();
        resolve(reason);
      };
      session = gateway.openHeartbeatSession(resourceId, registration.registrationId, {
        onHeartbeatAnswer: resetWatchdog,
        onClose: (reason) => end(reason.endsWith('.') ? reason : `${reason}.`),
      });
      // The ResourceManager may end a session while opening it (an unknown registration): nothing to keep then.
      if (ended) {
        held();
        return;
      }
      const opened = session;
      const send = () => {
        if (!ended) opened.send(this.reporter.heartbeatPayload());
      };
      this.session = { registration, end, sendNow: send };
      this.reporter.onRegistered(this.address);
      held();
      resetWatchdog();
      sender = this.executor.scheduleAtFixedRate(registration.heartbeatIntervalMs, registration.heartbeatIntervalMs, send);
      send();
    });
  }

  /** Waits `ms`, or until close() wakes it up; not at all once closed. */
  private sleep(ms: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        task.cancel();
        if (this.wakeUp === done) this.wakeUp = undefined;
        resolve();
      };
      const task = this.executor.schedule(ms, done);
      this.wakeUp = done;
    });
  }

  private withTimeout(promise: Promise<unknown>, ms: number): Promise<unknown> {
    let timer: ScheduledTask | undefined;
    return Promise.race([promise, new Promise((resolve) => (timer = this.executor.schedule(ms, () => resolve(undefined))))]).finally(() => timer?.cancel());
  }
}
