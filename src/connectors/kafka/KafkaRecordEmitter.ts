import type { ReaderOutput } from '../../job/connectors.js';

/** Bytes of a record's value shown in the log line of a record that could not be deserialized. */
export const MAX_LOGGED_VALUE_BYTES = 256;

/**
 * What the emitter needs of a fetched Kafka record (kafkajs' KafkaMessage has these); tsflink's record decoder also
 * gives offset and timestamp as numbers (NaN where a number would not be exact).
 */
export interface FetchedRecord {
  offset: string;
  timestamp: string;
  value: Buffer | null;
  offsetNumber?: number;
  timestampNumber?: number;
}

/**
 * Turns the records of one fetched batch of a partition into stream records (Flink's KafkaRecordEmitter): each value
 * goes through the deserialization schema and is collected with the partition's position after it. A record the
 * schema cannot turn into an element — it throws (malformed JSON, missing fields, wrong types, invalid UTF-8 for a
 * strict schema), returns null or undefined, or the record has a null value (a tombstone) — goes to the error path
 * with its topic, partition, offset, the reason and the start of its value, and its position, so the job goes on and a
 * checkpoint after it does not read it again. (Flink fails the job on a schema that throws, and skips a null result.)
 */
export function emitRecords<T>(
  topic: string,
  partition: number,
  records: readonly FetchedRecord[],
  deserialize: (value: Buffer) => T,
  output: ReaderOutput<T>,
): void {
  const split = `${topic}-${partition}`;
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    const offset = record.offsetNumber ?? Number(record.offset);
    // Beyond 2^53 a number is not exact: the position is the offset's text then.
    const next = Number.isSafeInteger(offset) ? offset + 1 : String(BigInt(record.offset) + 1n);
    const value = record.value;
    let element: T;
    try {
      if (value === null) throw new Error('The record has a null value (a tombstone).');
      element = deserialize(value);
      if (element === null || element === undefined) throw new Error(`The deserialization schema returned ${element === null ? 'null' : 'undefined'}.`);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      output.reportError(split, `${recordLocation(topic, partition, record.offset)}: ${reason}; value: ${describeValue(value)}`, next);
      continue;
    }
    const timestamp = record.timestampNumber ?? Number(record.timestamp);
    output.collect(element, split, Number.isNaN(timestamp) ? Number(record.timestamp) : timestamp, value.length, next);
  }
}

export function recordLocation(topic: string, partition: number, offset: string | number): string {
  return `topic ${topic}, partition ${partition}, offset ${offset}`;
}

/** The value's size and its first MAX_LOGGED_VALUE_BYTES bytes as JSON-escaped text (invalid UTF-8 shows as U+FFFD). */
export function describeValue(value: Buffer | null): string {
  if (value === null) return 'null';
  const head = value.subarray(0, MAX_LOGGED_VALUE_BYTES).toString('utf8');
  return `${JSON.stringify(head)}${value.length > MAX_LOGGED_VALUE_BYTES ? '…' : ''} (${value.length} bytes)`;
}
