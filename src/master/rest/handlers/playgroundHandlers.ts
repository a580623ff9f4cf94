import { PlaygroundOptions } from '../../../common/config/options.js';
import { NotFoundError, RestHandlerError } from '../RestHandlerError.js';
import type { Router } from '../Router.js';
import type { JobManagerServices } from './JobManagerServices.js';

const VERIFIER_TIMEOUT_MS = 2000;

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
      const response = await fetch(url, { signal: AbortSignal.timeout(VERIFIER_TIMEOUT_MS) });
      if (!response.ok) throw new Error(`it answered HTTP ${response.status}`);
      body = await response.json();
    } catch (error) {
      throw new RestHandlerError(`The output verifier at ${url} is not available: ${reason(error)}.`, 503, { cause: error });
    }
    return { status: 200, body };
  });
}

function reason(error: unknown): string {
  const e = error as Error & { cause?: { code?: string } };
  if (e.name === 'TimeoutError') return `no answer within ${VERIFIER_TIMEOUT_MS} ms`;
  return e.cause?.code ?? e.message;
}
