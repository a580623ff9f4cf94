import type { logCreator } from './kafkajs.js';

/** The kafkajs protocol error types that mean another producer with the same transactional id took over. */
export const FENCED_ERRORS: readonly string[] = ['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED', 'INVALID_PRODUCER_ID_MAPPING', 'INVALID_TXN_STATE'];

/** What the broker's CONCURRENT_TRANSACTIONS answer says (kafkajs logs it with each retried request). */
const CONCURRENT_TRANSACTIONS_TEXT = 'another concurrent operation on the same transaction';

/** The kafkajs protocol error types in an error and its causes. */
export function errorTypes(error: unknown): string[] {
  const types: string[] = [];
  for (let e = error as { type?: unknown; cause?: unknown; originalError?: unknown } | undefined, depth = 0; e && depth < 10; depth++) {
    if (typeof e.type === 'string') types.push(e.type);
    e = (e.cause ?? e.originalError) as typeof e;
  }
  return types;
}

/** Whether the error (or one of its causes) says the producer was fenced. */
export function isFenced(error: unknown): boolean {
  return errorTypes(error).some((t) => FENCED_ERRORS.includes(t));
}

/** Whether kafkajs marked the error as retriable. */
export function isRetriable(error: unknown): boolean {
  return (error as { retriable?: unknown } | undefined)?.retriable === true;
}

/** The error's message, its cause's message if it differs, and the kafkajs protocol error types, e.g. `[PRODUCER_FENCED]`. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const types = errorTypes(error);
  const cause = (error as { cause?: unknown }).cause;
  const causeText = cause instanceof Error && cause.message !== error.message ? ` (caused by: ${cause.message})` : '';
  return `${error.message}${causeText}${types.length ? ` [${[...new Set(types)].join(', ')}]` : ''}`;
}

/**
 * kafkajs errors to stderr (never stdout). Left out: the error answer of every single request (kafkajs' Connection logs
 * each one, retried or not: the final error reaches the caller anyway) and the CONCURRENT_TRANSACTIONS answers that are
 * retried.
 */
export const stderrLogCreator: logCreator = () => ({ namespace, label, log }) => {
  const { message, timestamp: _timestamp, ...extra } = log;
  if (namespace === 'Connection' && message.startsWith('Response ')) return;
  if (`${message} ${String(extra['error'])}`.includes(CONCURRENT_TRANSACTIONS_TEXT)) return;
  process.stderr.write(`kafkajs ${label} [${namespace}] ${message} ${JSON.stringify(extra)}\n`);
};
