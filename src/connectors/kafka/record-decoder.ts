/**
 * Record batches and their records, decoded as kafkajs 2.2.4's `protocol/recordBatch/v0/decoder` and
 * `protocol/recordBatch/record/v0/decoder` decode them — the same objects, field for field — with less work per record:
 * - plain numbers where kafkajs computes with its BigInt-backed `Long`: the timestamp and offset deltas are read as
 *   varints into numbers and added to the batch's first timestamp and offset (parsed once per batch). That `Long`
 *   arithmetic was about a quarter of kafkajs's decode (kafkajs-costs.md). Where numbers would not be exact (a first
 *   offset or timestamp beyond 2^53, a delta of more than 7 varint bytes) it computes as kafkajs does;
 * - one decoder walks all records of a batch, where kafkajs makes a buffer view and a decoder for each record.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const kafkajs = (path: string) => require(require.resolve(`kafkajs/src/${path}`)) as unknown;

interface KafkajsDecoder {
  buffer: Buffer;
  offset: number;
  readInt16(): number;
  readInt32(): number;
  readInt64(): LongLike;
  readVarInt(): number;
  slice(length: number): KafkajsDecoder;
  forward(length: number): void;
  readAll(): Buffer;
  readInt8(): number;
  readVarLong(): LongLike;
  readVarIntBytes(): Buffer | null;
  readVarIntArray<T>(reader: (decoder: KafkajsDecoder) => T): T[];
}
interface LongLike {
  add(other: unknown): LongLike;
  toString(): string;
}
interface LongClass {
  fromValue(value: unknown): LongLike;
}
interface BatchContext {
  partitionLeaderEpoch?: number;
  inTransaction?: boolean;
  lastOffsetDelta?: number;
  producerId?: string;
  producerEpoch?: number;
  firstSequence?: number;
  firstOffset: string;
  firstTimestamp: string;
  magicByte?: number;
  isControlBatch?: boolean;
  timestampType: number;
  maxTimestamp: string;
}

const Long = kafkajs('utils/long') as LongClass;
const HeaderDecoder = kafkajs('protocol/recordBatch/header/v0/decoder') as (decoder: KafkajsDecoder) => { key: string; value: Buffer };
const TimestampTypes = kafkajs('protocol/timestampTypes') as { LOG_APPEND_TIME: number; CREATE_TIME: number };
const Decoder = kafkajs('protocol/decoder') as new (buffer: Buffer) => KafkajsDecoder;
const { KafkaJSPartialMessageError } = kafkajs('errors') as { KafkaJSPartialMessageError: new (message: string) => Error };
const { lookupCodecByAttributes } = kafkajs('protocol/message/compression') as {
  lookupCodecByAttributes(attributes: number): { decompress(buffer: Buffer): Promise<Buffer> } | null;
};

const TIMESTAMP_TYPE_FLAG = 0x08;
const TRANSACTIONAL_FLAG = 0x10;
const CONTROL_FLAG = 0x20;

/** A batch's first offset and timestamp as numbers; null where a number would not be exact. */
type Bases = { offset: number; timestamp: number } | null;

function basesOf(context: BatchContext): Bases {
  const offset = Number(context.firstOffset);
  const timestamp = Number(context.firstTimestamp);
  return Number.isSafeInteger(offset) && Number.isSafeInteger(timestamp) ? { offset, timestamp } : null;
}

/** A zigzag varint as a number; undefined (nothing consumed) if it is longer than 7 bytes (beyond 2^49). */
function readZigZag(decoder: KafkajsDecoder): number | undefined {
  const { buffer } = decoder;
  let offset = decoder.offset;
  let result = 0;
  let multiplier = 1;
  for (let i = 0; i < 7; i++) {
    const byte = buffer[offset++]!;
    result += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) {
      decoder.offset = offset;
      return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
    }
    multiplier *= 128;
  }
  return undefined;
}

type Headers = Record<string, Buffer | Buffer[]>;

/** Headers of a record that has some (a record without headers reads none: see KafkaRecord.headers). */
function readHeaders(decoder: KafkajsDecoder): Headers {
  // kafkajs's way: a repeated key collects its values in an array.
  return decoder.readVarIntArray(HeaderDecoder).reduce<Headers>((headers, { key, value }) => {
    const seen = headers[key];
    return { ...headers, [key]: seen === undefined ? value : Array.isArray(seen) ? seen.concat([value]) : [seen, value] };
  }, {});
}

/**
 * A fetched record with the fields of kafkajs's message objects. Its offset and timestamp are kept as numbers where
 * they are exact and turned into kafkajs's decimal strings only when read as `offset` and `timestamp`; tsflink's reader
 * reads the numbers (`offsetNumber`, `timestampNumber`), so a record costs two objects (itself and its value's buffer
 * view) instead of kafkajs's five. A record without headers has its `{}` made when `headers` is first read.
 */
export class KafkaRecord {
  private headersValue: Headers | undefined;

  constructor(
    readonly magicByte: number | undefined,
    readonly attributes: number,
    private readonly timestampValue: number | string,
    private readonly offsetValue: number | string,
    readonly key: Buffer | null,
    readonly value: Buffer | null,
    headers: Headers | undefined,
    readonly isControlRecord: boolean,
    readonly batchContext: BatchContext,
  ) {
    this.headersValue = headers;
  }

  get offset(): string {
    return String(this.offsetValue);
  }

  get timestamp(): string {
    return String(this.timestampValue);
  }

  /** The offset as a number; NaN beyond 2^53 (read `offset` then). */
  get offsetNumber(): number {
    return typeof this.offsetValue === 'number' ? this.offsetValue : Number.NaN;
  }

  /** The timestamp (epoch milliseconds) as a number; NaN beyond 2^53 (read `timestamp` then). */
  get timestampNumber(): number {
    return typeof this.timestampValue === 'number' ? this.timestampValue : Number.NaN;
  }

  get headers(): Headers {
    return (this.headersValue ??= {});
  }

  /** kafkajs's plain message object (for comparisons and logs). */
  toJSON(): Record<string, unknown> {
    const { magicByte, attributes, timestamp, offset, key, value, headers, isControlRecord, batchContext } = this;
    return { magicByte, attributes, timestamp, offset, key, value, headers, isControlRecord, batchContext };
  }
}

/** One record at the decoder's position (kafkajs's `record/v0/decoder`). */
export function decodeRecord(decoder: KafkajsDecoder, batchContext: BatchContext = {} as BatchContext): KafkaRecord {
  return readRecord(decoder, batchContext, basesOf(batchContext));
}

/** A record of a batch whose bases were parsed once for all its records. */
function readRecord(decoder: KafkajsDecoder, batchContext: BatchContext, base: Bases): KafkaRecord {
  const { firstOffset, firstTimestamp, magicByte, isControlBatch = false, timestampType, maxTimestamp } = batchContext;
  const attributes = decoder.readInt8();
  const timestampDelta: number | LongLike = readZigZag(decoder) ?? decoder.readVarLong();
  let timestamp: number | string;
  if (timestampType === TimestampTypes.LOG_APPEND_TIME && maxTimestamp) timestamp = exactNumber(maxTimestamp);
  else if (base && typeof timestampDelta === 'number') timestamp = base.timestamp + timestampDelta;
  else timestamp = exactNumber(Long.fromValue(firstTimestamp).add(timestampDelta).toString());
  const offsetDelta = readZigZag(decoder) ?? Number(decoder.readVarLong().toString());
  const offset = base ? base.offset + offsetDelta : exactNumber(Long.fromValue(firstOffset).add(offsetDelta).toString());
  const key = decoder.readVarIntBytes();
  const value = decoder.readVarIntBytes();
  let headers: Headers | undefined;
  if (decoder.buffer[decoder.offset] === 0) decoder.offset++;
  else headers = readHeaders(decoder);
  return new KafkaRecord(magicByte, attributes, timestamp, offset, key, value, headers, isControlBatch, batchContext);
}

/** A decimal integer as a number where that is exact, else its text. */
function exactNumber(text: string): number | string {
  const value = Number(text);
  return Number.isSafeInteger(value) && String(value) === text ? value : text;
}

/**
 * One record batch at the decoder's position (kafkajs's `recordBatch/v0/decoder`): moves the decoder past it and
 * resolves with the batch's fields and its records. A batch that is cut off (the end of a fetch) throws kafkajs's
 * KafkaJSPartialMessageError, which kafkajs's fetch decoding expects; a record that claims more bytes than its batch
 * has throws.
 */
export async function decodeRecordBatch(fetchDecoder: KafkajsDecoder) {
  const firstOffset = fetchDecoder.readInt64().toString();
  const length = fetchDecoder.readInt32();
  const decoder = fetchDecoder.slice(length);
  fetchDecoder.forward(length);
  if (decoder.buffer.length < length) {
    throw new KafkaJSPartialMessageError(`Tried to decode a partial record batch: remainingBytes(${decoder.buffer.length}) < recordBatchLength(${length})`);
  }
  const partitionLeaderEpoch = decoder.readInt32();
  const magicByte = decoder.readInt8();
  decoder.readInt32(); // the CRC, which kafkajs does not check either
  const attributes = decoder.readInt16();
  const lastOffsetDelta = decoder.readInt32();
  const firstTimestamp = decoder.readInt64().toString();
  const maxTimestamp = decoder.readInt64().toString();
  const producerId = decoder.readInt64().toString();
  const producerEpoch = decoder.readInt16();
  const firstSequence = decoder.readInt32();
  const recordContext = {
    firstOffset,
    firstTimestamp,
    partitionLeaderEpoch,
    inTransaction: (attributes & TRANSACTIONAL_FLAG) !== 0,
    isControlBatch: (attributes & CONTROL_FLAG) !== 0,
    lastOffsetDelta,
    producerId,
    producerEpoch,
    firstSequence,
    maxTimestamp,
    timestampType: (attributes & TIMESTAMP_TYPE_FLAG) !== 0 ? TimestampTypes.LOG_APPEND_TIME : TimestampTypes.CREATE_TIME,
  };
  const count = decoder.readInt32();
  const codec = lookupCodecByAttributes(attributes);
  let records: KafkaRecord[] = [];
  if (codec === null) {
    records = decodeRecords(decoder, count, { ...recordContext, magicByte });
  } else if (count > 0) {
    records = decodeRecords(new Decoder(await codec.decompress(decoder.readAll())), count, { ...recordContext, magicByte });
  }
  return { ...recordContext, records };
}

/** `count` length-prefixed records from the decoder's position, each decoded in place. */
function decodeRecords(decoder: KafkajsDecoder, count: number, batchContext: BatchContext): KafkaRecord[] {
  const records = new Array<KafkaRecord>(Math.max(0, count));
  const end = decoder.buffer.length;
  const base = basesOf(batchContext);
  for (let i = 0; i < count; i++) {
    const length = decoder.readVarInt();
    const recordEnd = decoder.offset + length;
    if (length < 0 || recordEnd > end) throw new Error(`Corrupt record batch: record ${i} of ${count} claims ${length} bytes, ${end - decoder.offset} are left.`);
    records[i] = readRecord(decoder, batchContext, base);
    if (decoder.offset > recordEnd) throw new Error(`Corrupt record batch: record ${i} of ${count} reads past its ${length} bytes.`);
    decoder.offset = recordEnd;
  }
  return records;
}
