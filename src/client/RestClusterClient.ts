import { request as httpRequest } from 'node:http';
import { FlinkException, TsFlinkError } from '../common/errors.js';

export interface RestClientConfig {
  host: string;
  port: number;
  /** Attempts after the first when the endpoint cannot be reached (rest.retry.max-attempts). */
  retryMaxAttempts: number;
  retryDelayMs: number;
  connectionTimeoutMs: number;
}

/** The endpoint could not be reached at all. Retriable. */
export class ConnectError extends TsFlinkError {
  constructor(message: string, cause?: unknown) {
    super(message, { cause, retriable: true });
  }
}

/** Retries ran out (Flink's FutureUtils.RetryException). */
export class RetryError extends TsFlinkError {}

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
 * answer is JSON, an object holding `errors` is a failure, and a call that cannot connect is retried
 * `rest.retry.max-attempts` times `rest.retry.delay` apart.
 */
export class RestClusterClient {
  constructor(private readonly config: RestClientConfig) {}

  get webInterfaceUrl(): string {
    return `http://${this.config.host}:${this.config.port}`;
  }

  async listJobs(): Promise<JobStatusMessage[]> {
    const body = (await this.send('GET', '/jobs/overview')) as { jobs?: unknown };
    if (!Array.isArray(body.jobs)) throw new RestClientError('Response did not contain a "jobs" list.', 200);
    return body.jobs.map(parseJobDetails);
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
    for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
      const status = (await this.send('GET', path)) as { status: { id: string }; operation: Record<string, unknown> | null };
      if (status.status.id === 'COMPLETED') {
        const failure = (status.operation?.['failure-cause'] ?? status.operation?.failureCause) as { 'stack-trace'?: string } | undefined;
        if (failure) throw new RestClientError(failure['stack-trace'] ?? 'The operation failed.', 200);
        return status.operation ?? {};
      }
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  async jobStatus(jobId: string): Promise<string> {
    return ((await this.send('GET', `/jobs/${jobId}/status`)) as { status: string }).status;
  }

  async jobDetails(jobId: string): Promise<{ 'start-time': number; 'end-time': number; duration: number; state: string }> {
    return (await this.send('GET', `/jobs/${jobId}`)) as { 'start-time': number; 'end-time': number; duration: number; state: string };
  }

  /** Sends one request, retrying while the endpoint cannot be reached. */
  async send(method: string, path: string, body?: unknown, contentType?: string): Promise<unknown> {
    const attempts = Math.max(0, this.config.retryMaxAttempts) + 1;
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        return await this.sendOnce(method, path, body, contentType);
      } catch (error) {
        if (!(error instanceof ConnectError)) throw error;
        lastError = error;
        if (attempt < attempts) await new Promise((r) => setTimeout(r, this.config.retryDelayMs));
      }
    }
    throw new RetryError('Could not complete the operation. Number of retries has been exhausted.', { cause: lastError });
  }

  private sendOnce(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<unknown> {
    const { host, port, connectionTimeoutMs } = this.config;
    const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          host,
          port,
          method,
          path: `/v1${path}`,
          headers: payload ? { 'Content-Type': contentType, 'Content-Length': payload.length } : {},
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = text === '' ? {} : JSON.parse(text);
            } catch {
              reject(new RestClientError(`Response was not valid JSON, but plain-text: ${text}`, res.statusCode ?? 0));
              return;
            }
            const errors = (json as { errors?: unknown })?.errors;
            if (Array.isArray(errors)) reject(new RestClientError(errors.map(String).join('\n'), res.statusCode ?? 0));
            else if ((res.statusCode ?? 0) >= 400) reject(new RestClientError(`HTTP ${res.statusCode}: ${text}`, res.statusCode ?? 0));
            else resolve(json);
          });
        },
      );
      req.setTimeout(connectionTimeoutMs, () => req.destroy(new ConnectError(`Connection timed out: ${host}:${port}`)));
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (error instanceof ConnectError) reject(error);
        else if (error.code === 'ECONNREFUSED') reject(new ConnectError(`Connection refused: ${host}/${(error as { address?: string }).address ?? host}:${port}`, error));
        else if (error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN') reject(new ConnectError(`Unknown host: ${host}`, error));
        else if (error.code === 'ECONNRESET' || error.code === 'EHOSTUNREACH' || error.code === 'ETIMEDOUT') reject(new ConnectError(`${error.message}: ${host}:${port}`, error));
        else reject(error);
      });
      if (payload) req.write(payload);
      req.end();
    });
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
