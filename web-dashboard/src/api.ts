import { leadership } from './leadership';
import { toasts } from './toasts';

// Every call goes to a URL relative to the page (`./jobs/overview`), so the dashboard works against any
// Flink-compatible REST endpoint, also behind a path prefix.

export type Answer<T> = { ok: true; status: number; data: T } | { ok: false; status: number; error: string };

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'DELETE' | 'PATCH';
  /** A JSON-serialisable body, or form data for uploads. */
  body?: unknown;
  /** Plain text (log files) instead of JSON. */
  text?: boolean;
  /** No notification on failure: the caller shows the failure in place. */
  quiet?: boolean;
}

/** Called when the REST API asks for its token (401): the dashboard shows its login instead. */
const unauthorizedListeners = new Set<() => void>();
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

/** Flink's dashboard never announces failures of these: 404 there means "checkpointing is not enabled". */
const SILENT_URL = /\/checkpoints(\/config)?$/;

export async function request<T>(url: string, options: RequestOptions = {}): Promise<Answer<T>> {
  const { method = 'GET', body, text = false, quiet = false } = options;
  const init: RequestInit = { method, headers: { Accept: text ? 'text/plain' : 'application/json' } };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { ...init.headers, 'Content-Type': 'application/json' };
  }
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    return { ok: false, status: 0, error: `The JobManager cannot be reached (${error instanceof Error ? error.message : String(error)}).` };
  }
  leadership.observe(response.headers);
  const payload = await response.text().catch(() => '');
  if (response.ok) {
    if (text) return { ok: true, status: response.status, data: payload as T };
    try {
      return { ok: true, status: response.status, data: JSON.parse(payload) as T };
    } catch {
      return { ok: false, status: response.status, error: 'The server answered with something other than JSON.' };
    }
  }
  const serverMessage = errorMessage(payload);
  if (response.status === 401) {
    for (const listener of unauthorizedListeners) listener();
    return { ok: false, status: 401, error: serverMessage ?? 'Authentication required.' };
  }
  if (serverMessage !== undefined && !quiet && !SILENT_URL.test(url.split('?')[0]!)) toasts.show(serverMessage);
  return { ok: false, status: response.status, error: serverMessage ?? `${response.status} ${response.statusText}`.trim() };
}

/** `errors[0]` of a `{"errors":[...]}` body. */
function errorMessage(payload: string): string | undefined {
  try {
    const body: unknown = JSON.parse(payload);
    const errors = (body as { errors?: unknown } | null)?.errors;
    if (Array.isArray(errors) && errors.length > 0) return String(errors[0]);
  } catch {
    // not JSON: no server message to show
  }
  return undefined;
}

export const enc = encodeURIComponent;
