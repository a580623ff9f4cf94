import { randomHex } from '../../common/ids.js';
import { RestHandlerError } from './RestHandlerError.js';
import { describeError, serializedThrowableJson } from './SerializedThrowable.js';

/** How long a finished operation's result stays retrievable (Flink's `rest.async.store-duration`, 5 min). */
const STORE_DURATION_MS = 5 * 60_000;

/**
 * The most operations kept at once. Any caller may trigger one (for any job id, as in Flink), so the store is bounded:
 * beyond it the oldest finished results go first, and with none finished a trigger is refused (503).
 */
export const MAX_OPERATIONS = 10_000;

type Result = { status: 'IN_PROGRESS' } | { status: 'COMPLETED'; operation: Record<string, unknown> };

/**
 * Results of asynchronous REST operations (Flink's CompletedOperationCache): a trigger answers `{"request-id"}` at
 * once, and the status URL answers IN_PROGRESS, then COMPLETED with the operation's result or its failure cause.
 */
export class AsyncOperations {
  private readonly results = new Map<string, Result>();

  constructor(private readonly maxOperations = MAX_OPERATIONS) {}

  /** Starts `operation` under a new trigger id (or the caller's, which makes a retried trigger idempotent). */
  start(key: string, operation: () => Promise<Record<string, unknown>>, triggerId: string = randomHex(16), failureField = 'failure-cause'): string {
    const id = `${key}/${triggerId}`;
    if (this.results.has(id)) return triggerId;
    this.makeRoom();
    this.results.set(id, { status: 'IN_PROGRESS' });
    const finish = (result: Result) => {
      this.results.set(id, result);
      setTimeout(() => this.results.delete(id), STORE_DURATION_MS).unref();
    };
    operation().then(
      (operation) => finish({ status: 'COMPLETED', operation }),
      (error: Error) => finish({ status: 'COMPLETED', operation: { [failureField]: failureCause(error) } }),
    );
    return triggerId;
  }

  /** Drops the oldest finished result while the store is full; refuses the trigger if all of them still run. */
  private makeRoom(): void {
    if (this.results.size < this.maxOperations) return;
    for (const [id, result] of this.results) {
      if (result.status === 'COMPLETED') {
        this.results.delete(id);
        return;
      }
    }
    throw new RestHandlerError(`Too many asynchronous operations are running (${this.maxOperations}); try again later.`, 503);
  }

  /** The REST body of the status URL, or undefined for an unknown trigger id. */
  status(key: string, triggerId: string): Record<string, unknown> | undefined {
    const result = this.results.get(`${key}/${triggerId}`);
    if (!result) return undefined;
    return result.status === 'IN_PROGRESS' ? { status: { id: 'IN_PROGRESS' }, operation: null } : { status: { id: 'COMPLETED' }, operation: result.operation };
  }
}

/** A failed operation's cause as Flink's REST API sends a SerializedThrowable (see SerializedThrowable.ts). */
export function failureCause(error: Error): Record<string, unknown> {
  return serializedThrowableJson(describeError(error));
}
