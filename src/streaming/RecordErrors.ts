import type { TaskIOCounters } from '../metrics/TaskMetricGroup.js';
import type { FromTaskThread } from '../taskmanager/task/thread-protocol.js';

/** Records that went to the error path and are logged, per subtask; after them one line says the rest are not. */
export const MAX_LOGGED_RECORD_ERRORS = 10;
/** Characters of a record's value shown in its log line. */
export const MAX_LOGGED_VALUE_CHARS = 256;

/**
 * The key selector of a keyed edge could not give a record a key: it threw, or returned something that is not a
 * string or a number. The record goes to the error path (numRecordsInErrors, logged) instead of failing the subtask,
 * which would restart the job on the same record forever (Flink fails the job here).
 */
export class KeyExtractionException extends Error {
  constructor(
    readonly record: unknown,
    cause: unknown,
  ) {
    super(`Could not extract a key from the record: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'KeyExtractionException';
  }
}

/**
 * A subtask's error path for records it cannot process (Flink's `numRecordsInErrors`): counts each one for the subtask
 * (and for its source operator, if any), logs the first MAX_LOGGED_RECORD_ERRORS with where they were read and why,
 * then one line saying further errors are suppressed. The subtask goes on with the next record.
 */
export class RecordErrorReporter {
  private logged = 0;

  constructor(
    private readonly io: Pick<TaskIOCounters, 'recordsInErrors'>,
    private readonly send: (message: FromTaskThread) => void,
    /** An operator-scope count to bump as well (the source's `numRecordsInErrors`). */
    private readonly operatorCount: { inc(): void } | undefined = undefined,
  ) {}

  /** `message` is the log line: what was skipped, where it was read (e.g. topic, partition, offset) and why. */
  report(message: string): void {
    this.io.recordsInErrors++;
    this.operatorCount?.inc();
    if (this.logged > MAX_LOGGED_RECORD_ERRORS) return;
    this.logged++;
    if (this.logged <= MAX_LOGGED_RECORD_ERRORS) {
      this.send({ type: 'log', level: 'WARN', message });
    } else {
      this.send({
        type: 'log',
        level: 'WARN',
        message: `${MAX_LOGGED_RECORD_ERRORS} skipped records were logged; further errors suppressed (numRecordsInErrors counts every one).`,
      });
    }
  }
}

/** A record for a log line: JSON (else its string form), cut to MAX_LOGGED_VALUE_CHARS with its full length. */
export function describeRecord(record: unknown): string {
  let text: string;
  try {
    text = typeof record === 'string' ? JSON.stringify(record) : (JSON.stringify(record) ?? String(record));
  } catch {
    text = String(record);
  }
  return truncate(text);
}

export function truncate(text: string): string {
  return text.length <= MAX_LOGGED_VALUE_CHARS ? text : `${text.slice(0, MAX_LOGGED_VALUE_CHARS)}… (${text.length} characters)`;
}
