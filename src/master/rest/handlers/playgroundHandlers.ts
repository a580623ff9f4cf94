import { PlaygroundOptions } from '../../../common/config/options.js';
import { ConnectError, ConnectionClosedError, ResponseTimeoutError } from '../../../common/http/errors.js';
import { httpRequest, parseJson } from '../../../common/http/HttpClient.js';
import { NotFoundError, RestHandlerError } from '../RestHandlerError.js';
import type { Router } from '../Router.js';
import type { JobManagerServices } from './JobManagerServices.js';

const VERIFIER_TIMEOUT_MS = 2000;
/** The verifier's totals are small (it keeps a bounded list of problems); anything much larger is not its answer. */
const VERIFIER_MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/**
 * GET /playground/verifier: the totals of the one-command playground's output verifier (`playground.verifier.url`),
 * passed through as the verifier serves them, so the web UI can show them next to the job.
 */
export function registerPlaygroundHandlers(router: Router, services: JobManagerServices): void {
  router.add('GET', '/playground/verifier', async () => {
    const url = services.configuration.get(PlaygroundOptions.VERIFIER_URL);
    if (!url) throw new NotFoundError(`No output verifier is configured (${PlaygroundOptions.VERIFIER_URL.key}).`);
    let body: unknown;
    try {
      const response = await httpRequest(url, {
        connectTimeoutMs: VERIFIER_TIMEOUT_MS,
        responseTimeoutMs: VERIFIER_TIMEOUT_MS,
        maxResponseBytes: VERIFIER_MAX_RESPONSE_BYTES,
      });
      if (response.status < 200 || response.status >= 300) throw new Error(`it answered HTTP ${response.status}`);
      body = parseJson(response);
    } catch (error) {
      throw new RestHandlerError(`The output verifier at ${url} is not available: ${reason(error)}.`, 503, { cause: error });
    }
    return { status: 200, body };
  });
}

function reason(error: unknown): string {
  if (error instanceof ResponseTimeoutError || (error instanceof ConnectError && error.code === 'ETIMEDOUT')) return `no answer within ${VERIFIER_TIMEOUT_MS} ms`;
  if (error instanceof ConnectError || error instanceof ConnectionClosedError) return error.code;
  return (error as Error).message;
}
