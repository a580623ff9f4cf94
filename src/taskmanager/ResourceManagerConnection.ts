import { credentials, Metadata, status, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import {
  ResourceManagerServiceClient,
  type HeartbeatRequest,
  type HeartbeatResponse,
  type RegisterTaskExecutorRequest,
  type RegisterTaskExecutorResponse,
  type RegistrationSuccess,
} from '../../generated/tsflink/resourcemanager/v1/resourcemanager.js';
import type { Logger } from '../../common/Logger.js';
import { deadlineIn, DEFAULT_CHANNEL_OPTIONS, isUnreachable } from '../../rpc/RpcService.js';

export interface RegistrationTimeouts {
  initialTimeoutMs: number;
  maxTimeoutMs: number;
  refusedDelayMs: number;
}

/** What the connection needs from its TaskExecutor: who it is and what to report. */
export interface TaskExecutorReporter {
  registrationRequest(): RegisterTaskExecutorRequest;
  heartbeatPayload(): Pick<HeartbeatRequest, 'slotReport' | 'metricDumps'>;
  /** The registration ended (JobManager gone, heartbeat timeout, or the ResourceManager dropped it). */
  onConnectionLost(reason: string): void;
}

/**
 * Keeps a TaskExecutor registered with the ResourceManager at `address` (Flink's TaskExecutorToResourceManagerConnection
 * with its RetryingRegistration): registers with growing timeouts until it succeeds, keeps the heartbeat stream open,
 * and starts over whenever the registration ends. A new gRPC client per attempt, so a restarted JobManager is reached
 * without waiting out a channel's reconnect backoff.
 */
export class ResourceManagerConnection {
  private closed = false;
  private client: ResourceManagerServiceClient | undefined;
  private stream: ClientDuplexStream<HeartbeatRequest, HeartbeatResponse> | undefined;
  private registration: RegistrationSuccess | undefined;
  private wakeUp: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly address: string,
    private readonly timeouts: RegistrationTimeouts,
    private readonly reporter: TaskExecutorReporter,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.loop = this.run();
  }

  /** Says goodbye to the ResourceManager (best effort) and stops reconnecting. */
  async close(cause: string): Promise<void> {
    this.closed = true;
    const registration = this.registration;
    const client = this.client;
    if (registration && client) {
      const request = { resourceId: this.reporter.registrationRequest().resourceId, registrationId: registration.registrationId, cause };
      await new Promise<void>((resolve) => client.disconnectTaskManager(request, new Metadata(), { deadline: deadlineIn(1000) }, () => resolve()));
    }
    this.stream?.cancel();
    this.wakeUp?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    let timeoutMs = this.timeouts.initialTimeoutMs;
    let attempt = 0;
    while (!this.closed) {
      attempt++;
      const client = new ResourceManagerServiceClient(this.address, credentials.createInsecure(), DEFAULT_CHANNEL_OPTIONS);
      this.client = client;
      try {
        const response = await this.register(client, timeoutMs);
        if (response.response?.$case === 'success') {
          attempt = 0;
          timeoutMs = this.timeouts.initialTimeoutMs;
          const reason = await this.holdRegistration(client, response.response.value);
          if (!this.closed) {
            this.log.warn(`Lost the connection to the ResourceManager at ${this.address}: ${reason} Registering again.`);
            this.reporter.onConnectionLost(reason);
          }
        } else {
          const reason = response.response?.value.reason ?? 'no reason given';
          this.log.warn(`The ResourceManager at ${this.address} refused the registration: ${reason}`);
          await this.sleep(this.timeouts.refusedDelayMs);
        }
      } catch (error) {
        if (this.closed) break;
        if (!isUnreachable(error)) this.log.warn(`Registration at ResourceManager ${this.address} failed.`, {}, error);
        else if (attempt === 1 || attempt % 10 === 0) {
          this.log.info(`Could not reach the ResourceManager at ${this.address} (attempt ${attempt}): ${(error as ServiceError).details ?? (error as Error).message}. Retrying in ${timeoutMs} ms.`);
        }
        await this.sleep(timeoutMs);
        timeoutMs = Math.min(timeoutMs * 2, this.timeouts.maxTimeoutMs);
      } finally {
        client.close();
        if (this.client === client) this.client = undefined;
      }
    }
  }

  private register(client: ResourceManagerServiceClient, timeoutMs: number): Promise<RegisterTaskExecutorResponse> {
    return new Promise((resolve, reject) => {
      client.registerTaskExecutor(this.reporter.registrationRequest(), new Metadata(), { deadline: deadlineIn(Math.max(timeoutMs, 1000)) }, (error, response) =>
        error ? reject(error) : resolve(response),
      );
    });
  }

  /** Runs the heartbeat stream of one registration; resolves with the reason it ended. */
  private holdRegistration(client: ResourceManagerServiceClient, registration: RegistrationSuccess): Promise<string> {
    this.registration = registration;
    this.log.info(`Successful registration at resource manager ${this.address} under registration id ${registration.registrationId}.`, {
      resourceManagerId: registration.resourceManagerId,
    });
    const { resourceId } = this.reporter.registrationRequest();
    return new Promise<string>((resolve) => {
      const stream = client.heartbeat();
      this.stream = stream;
      let ended = false;
      const finish = (reason: string) => {
        if (ended) return;
        ended = true;
        clearInterval(sender);
        clearTimeout(watchdog);
        this.stream = undefined;
        this.registration = undefined;
        stream.cancel();
        resolve(reason);
      };
      const send = () => stream.write({ resourceId, registrationId: registration.registrationId, ...this.reporter.heartbeatPayload() });
      const watchdog = setTimeout(
        () => finish(`The heartbeat of ResourceManager with id ${registration.resourceManagerId} timed out after ${registration.heartbeatTimeoutMs} ms.`),
        registration.heartbeatTimeoutMs,
      );
      const sender = setInterval(send, registration.heartbeatIntervalMs);
      stream.on('data', () => watchdog.refresh());
      stream.on('error', (error: ServiceError) =>
        finish(error.code === status.CANCELLED ? 'The heartbeat stream was cancelled.' : `${error.details || error.message}.`),
      );
      stream.on('end', () => finish('The ResourceManager closed the heartbeat stream.'));
      send();
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    });
  }
}
