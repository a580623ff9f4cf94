import { FlinkException, TsFlinkError } from '../common/errors.js';
import { InvalidJsonError } from '../common/http/errors.js';
import { httpRequest, mayRetry, parseJson, type TlsClientOptions } from '../common/http/HttpClient.js';
import { pollUntil, retry } from '../common/retry.js';

export interface RestClientConfig {
  host: string;
  port: number;
  /** Attempts after the first when a call may be repeated (rest.retry.max-attempts). */
  retryMaxAttempts: number;
  /** The pause before each further attempt (rest.retry.delay). */
  retryDelayMs: number;
  /** How long establishing a connection may take (rest.connection-timeout); it does not bound the answer. */
  connectionTimeoutMs: number;
  /** How long the answer may take once a request was sent (Flink's rest.idleness-timeout: 5 minutes unless given). */
  responseTimeoutMs?: number;
  /** HTTPS with these (security.ssl.rest.*); plain HTTP when unset. */
  tls?: TlsClientOptions;
  /** rest.authentication.token: sent as `Authorization: Bearer <token>`. */
  token?: string;
}

/** The endpoint answered with an error body (`{"errors":[...]}`) or a body that is not JSON. */
export class RestClientError extends TsFlinkError {
  constructor(
    message: string,
    readonly httpStatus: number,
  ) {
    super(message);
  }
}

/** A job in the job list (Flink's JobStatusMessage). */
export interface JobStatusMessage {
  jobId: string;
  jobName: string;
  jobState: string;
  startTime: number;
}

/**
 * Talks to a cluster's REST endpoint as Flink's RestClusterClient does: every call goes to `/v1/<path>`, every
 * answer is JSON, an object holding `errors` is a failure. A call is retried `rest.retry.max-attempts` times
 * `rest.retry.delay` apart when that is safe: when no connection could be established (nothing was sent), whatever the
 * method; when the connection was reset or the answer timed out after the request was sent, only for an idempotent
 * method (GET, PUT, DELETE, …), so a `POST /jars/:id/run` never starts a job twice.
 */
export class RestClusterClient {
  constructor(private readonly config: RestClientConfig) {}

  get webInterfaceUrl(): string {
    const host = this.config.host.includes(':') ? `[${this.config.host}]` : this.config.host;
    return `${this.config.tls ? 'https' : 'http'}://${host}:${this.config.port}`;
  }

  async listJobs(): Promise<JobStatusMessage[]> {
    const body = (await this.send('GET', '/jobs/overview')) as { jobs?: unknown };
    if (!Array.isArray(body.jobs)) throw new RestClientError('Response did not contain a "jobs" list.', 200);
    return body.jobs.map(parseJobDetails);
  }

  /**
   * Submits a job program (POST /jobs, as Flink's CLI does, so `web.submit.enable: false` does not stop it): a multipart
   * form with the program file and the `request` JSON part. Returns the job id. Never retried once sent.
   */
  async submitJob(
    filename: string,
    content: Buffer,
    programArgsList: string[],
    parallelism: number | undefined,
    savepoint?: { path: string; allowNonRestoredState: boolean },
  ): Promise<string> {
    const request = {
      programArgsList,
      ...(parallelism ? { parallelism } : {}),
      ...(savepoint ? { savepointPath: savepoint.path, allowNonRestoredState: savepoint.allowNonRestoredState } : {}),
    };
    const boundary = `----tsflink${Date.now().toString(16)}${Math.random().toString(16).slice(2)}`;
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="request"\r\nContent-Type: application/json\r\n\r\n${JSON.stringify(request)}\r\n`),
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file_0"; filename="${filename.replace(/["\r\n]/g, '')}"\r\nContent-Type: application/octet-stream\r\n\r\n`),
      content,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const response = (await this.send('POST', '/jobs', body, `multipart/form-data; boundary=${boundary}`)) as { jobUrl?: string };
    const jobId = /\/jobs\/([0-9a-f]{32})$/.exec(response.jobUrl ?? '')?.[1];
    if (!jobId) throw new RestClientError(`The submission response names no job: ${JSON.stringify(response)}.`, 202);
    return jobId;
  }

  /** Uploads a job program (POST /jars/upload, field `jarfile`); returns the jar id. */
  async uploadJar(filename: string, content: Buffer): Promise<string> {
    const boundary = `----tsflink${Date.now().toString(16)}`;
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="jarfile"; filename="${filename.replace(/"/g, '')}"\r\nContent-Type: application/octet-stream\r\n\r\n`),
      content,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const response = (await this.send('POST', '/jars/upload', body, `multipart/form-data; boundary=${boundary}`)) as { filename?: string };
    if (!response.filename) throw new RestClientError('The upload response names no file.', 200);
    return response.filename.slice(response.filename.lastIndexOf('/') + 1);
  }

  async runJar(jarId: string, programArgsList: string[], parallelism: number | undefined, savepoint?: { path: string; allowNonRestoredState: boolean }): Promise<string> {
    const body = {
      programArgsList,
      ...(parallelism ? { parallelism } : {}),
      ...(savepoint ? { savepointPath: savepoint.path, allowNonRestoredState: savepoint.allowNonRestoredState } : {}),
    };
    const response = (await this.send('POST', `/jars/${encodeURIComponent(jarId)}/run`, body)) as { jobid?: string };
    if (!response.jobid) throw new RestClientError('The run response names no job id.', 200);
    return response.jobid;
  }

  async deleteJar(jarId: string): Promise<void> {
    await this.send('DELETE', `/jars/${encodeURIComponent(jarId)}`);
  }

  async cancel(jobId: string): Promise<void> {
    await this.send('PATCH', `/jobs/${jobId}?mode=cancel`);
  }

  /** POST /jobs/:id/savepoints, then polls its status; resolves with the savepoint's location. */
  async triggerSavepoint(jobId: string, targetDirectory: string | undefined, cancelJob: boolean): Promise<string> {
    const { 'request-id': triggerId } = (await this.send('POST', `/jobs/${jobId}/savepoints`, { 'target-directory': targetDirectory ?? null, 'cancel-job': cancelJob })) as { 'request-id': string };
    return this.awaitSavepoint(jobId, triggerId);
  }

  /** POST /jobs/:id/stop, then polls the savepoint status; resolves with the savepoint's location. */
  async stopWithSavepoint(jobId: string, targetDirectory: string | undefined, drain: boolean): Promise<string> {
    const { 'request-id': triggerId } = (await this.send('POST', `/jobs/${jobId}/stop`, { targetDirectory: targetDirectory ?? null, drain })) as { 'request-id': string };
    return this.awaitSavepoint(jobId, triggerId);
  }

  /** PATCH /jobs/:id/rescaling, then polls its status; resolves with the new job's id and the savepoint it started from. */
  async rescale(jobId: string, parallelism: number): Promise<{ jobId: string; savepoint: string }> {
    const { 'request-id': triggerId } = (await this.send('PATCH', `/jobs/${jobId}/rescaling?parallelism=${parallelism}`)) as { 'request-id': string };
    const operation = await this.awaitOperation(`/jobs/${jobId}/rescaling/${triggerId}`);
    return { jobId: operation.jobid as string, savepoint: operation.savepoint as string };
  }

  /** POST /jobs/:id/checkpoints, then polls its status; resolves with the checkpoint's id. */
  async triggerCheckpoint(jobId: string, full: boolean): Promise<number> {
    const { 'request-id': triggerId } = (await this.send('POST', `/jobs/${jobId}/checkpoints`, { checkpointType: full ? 'FULL' : 'CONFIGURED' })) as { 'request-id': string };
    return (await this.awaitOperation(`/jobs/${jobId}/checkpoints/${triggerId}`)).checkpointId as number;
  }

  /** POST /savepoint-disposal, then polls its status. */
  async disposeSavepoint(path: string): Promise<void> {
    const { 'request-id': triggerId } = (await this.send('POST', '/savepoint-disposal', { 'savepoint-path': path })) as { 'request-id': string };
    await this.awaitOperation(`/savepoint-disposal/${triggerId}`);
  }

  private async awaitSavepoint(jobId: string, triggerId: string): Promise<string> {
    return (await this.awaitOperation(`/jobs/${jobId}/savepoints/${triggerId}`)).location as string;
  }

  /** Polls an asynchronous operation until it completes; a failure cause becomes an error with its stack trace. */
  private async awaitOperation(path: string): Promise<Record<string, unknown>> {
    return pollUntil(
      async () => {
        const status = (await this.send('GET', path)) as { status: { id: string }; operation: Record<string, unknown> | null };
        if (status.status.id !== 'COMPLETED') return undefined;
        const failure = (status.operation?.['failure-cause'] ?? status.operation?.failureCause) as { 'stack-trace'?: string } | undefined;
        if (failure) throw new RestClientError(failure['stack-trace'] ?? 'The operation failed.', 200);
        return status.operation ?? {};
      },
      { initialDelayMs: 50, multiplier: 2, maxDelayMs: 1000, description: `the asynchronous operation ${path}` },
    );
  }

  async jobStatus(jobId: string): Promise<string> {
    return ((await this.send('GET', `/jobs/${jobId}/status`)) as { status: string }).status;
  }

  async jobDetails(jobId: string): Promise<{ 'start-time': number; 'end-time': number; duration: number; state: string }> {
    return (await this.send('GET', `/jobs/${jobId}`)) as { 'start-time': number; 'end-time': number; duration: number; state: string };
  }

  /** Sends one request; repeats it while that is safe and the endpoint could not answer (see the class comment). */
  async send(method: string, path: string, body?: unknown, contentType?: string): Promise<unknown> {
    return retry(() => this.sendOnce(method, path, body, contentType), {
      maxAttempts: Math.max(0, this.config.retryMaxAttempts) + 1,
      initialDelayMs: this.config.retryDelayMs,
      isRetriable: mayRetry,
    });
  }

  private async sendOnce(method: string, path: string, body: unknown, contentType: string | undefined): Promise<unknown> {
    const { host, port, connectionTimeoutMs, responseTimeoutMs, tls, token } = this.config;
    const response = await httpRequest(
      { host, port, path: `/v1${path}`, protocol: tls ? 'https:' : 'http:' },
      {
        method,
        ...(Buffer.isBuffer(body) ? { body, contentType } : { json: body }),
        ...(token ? { headers: { Authorization: `Bearer ${token}` } } : {}),
        ...(tls ? { tls } : {}),
        connectTimeoutMs: connectionTimeoutMs,
        ...(responseTimeoutMs === undefined ? {} : { responseTimeoutMs }),
      },
    );
    let json: unknown = {};
    if (response.body.length > 0) {
      try {
        json = parseJson(response);
      } catch (error) {
        if (error instanceof InvalidJsonError) throw new RestClientError(error.message, response.status);
        throw error;
      }
    }
    const errors = (json as { errors?: unknown } | null)?.errors;
    if (Array.isArray(errors)) throw new RestClientError(errors.map(String).join('\n'), response.status);
    if (response.status >= 400) throw new RestClientError(`HTTP ${response.status}: ${response.body.toString('utf8')}`, response.status);
    return json;
  }
}

/** Reads one `/jobs/overview` entry; like Flink's JobDetailsDeserializer it refuses an entry missing a field. */
function parseJobDetails(raw: unknown): JobStatusMessage {
  const job = raw as Record<string, unknown>;
  for (const field of ['jid', 'name', 'state', 'start-time', 'end-time', 'duration', 'last-modification', 'tasks']) {
    if (!(field in job)) throw new FlinkException(`Could not read the job list: a job is missing the field "${field}".`);
  }
  return { jobId: String(job.jid), jobName: String(job.name), jobState: String(job.state), startTime: Number(job['start-time']) };
}
