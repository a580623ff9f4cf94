// tsflink's record and record-batch decoders for kafkajs decode every record exactly as kafkajs 2.2.4's own (compiled
// here from its source for the comparison), on records and batches kafkajs's encoder wrote: keys, values, headers,
// negative and huge deltas, offsets beyond 2^53, log-append time, compressed, transactional and control batches, a batch
// cut off at the end of a fetch; and a corrupt record fails the batch instead of reading into its neighbour.
import { readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname } from 'node:path';
import t from 'tap';
import '../../../../src/connectors/kafka/kafkajs.js';
import { decodeRecord, decodeRecordBatch } from '../../../../src/connectors/kafka/record-decoder.js';

const require = createRequire(import.meta.url);
const path = (p: string) => require.resolve(`kafkajs/src/${p}`);
type Decoder = { readVarIntBytes(): Buffer; offset: number };
const Decoder = require(path('protocol/decoder.js')) as new (buffer: Buffer) => Decoder;
const { RecordBatch } = require(path('protocol/recordBatch/v0/index.js')) as { RecordBatch(batch: object): Promise<{ buffer: Buffer }> };
const { Types: Compression } = require(path('protocol/message/compression/index.js')) as { Types: { None: number; GZIP: number } };
const Long = require(path('utils/long.js')) as { fromValue(value: unknown): unknown };
const Record = require(path('protocol/recordBatch/record/v0/index.js')) as (record: object) => { buffer: Buffer };
const TimestampTypes = require(path('protocol/timestampTypes.js')) as { CREATE_TIME: number; LOG_APPEND_TIME: number };

/**
 * One of kafkajs's own modules, compiled from its file (the module cache holds tsflink's replacements); `requires`
 * gives it kafkajs's originals of modules it requires.
 */
function kafkajsOriginal<T>(relativePath: string, requires: Record<string, unknown> = {}): T {
  const file = path(relativePath);
  type CompilableModule = Module & { _compile(source: string, filename: string): void; paths: string[]; require(id: string): unknown };
  const original = new Module(file) as CompilableModule;
  original.filename = file;
  original.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(file));
  original.require = (id: string) => (id in requires ? requires[id] : (Module.prototype as CompilableModule).require.call(original, id));
  original._compile(readFileSync(file, 'utf8'), file);
  return original.exports as T;
}

const original = kafkajsOriginal<(decoder: Decoder, context: object) => unknown>('protocol/recordBatch/record/v0/decoder.js');
const originalBatchDecoder = kafkajsOriginal<(decoder: Decoder) => Promise<unknown>>('protocol/recordBatch/v0/decoder.js', { '../record/v0/decoder': original });
/** A record's body as the batch decoder hands it to the record decoder. */
const body = (record: object) => new Decoder(Record(record).buffer).readVarIntBytes();
const context = (overrides: object = {}) => ({
  firstOffset: '4711',
  firstTimestamp: '1764700000000',
  maxTimestamp: '1764700009999',
  timestampType: TimestampTypes.CREATE_TIME,
  magicByte: 2,
  isControlBatch: false,
  inTransaction: false,
  producerId: '-1',
  ...overrides,
});

const cases: Array<[string, object, object?]> = [
  ['a click event', { offsetDelta: 5, timestampDelta: 3, key: null, value: '{"timestamp":"01-01-1970 00:00:00:015","page":"/help"}' }],
  ['a key, no value, headers (a repeated key)', { offsetDelta: 0, timestampDelta: 0, key: Buffer.from('k'), value: null, headers: { a: 'x', b: ['y', 'z'] } }],
  ['a negative timestamp delta', { offsetDelta: 127, timestampDelta: -1234, key: null, value: 'v' }],
  ['a timestamp delta beyond 2^49 (computed as kafkajs does)', { offsetDelta: 128, timestampDelta: 2 ** 52, key: null, value: 'v' }],
  ['a first offset beyond 2^53', { offsetDelta: 3, timestampDelta: 1, key: null, value: 'v' }, { firstOffset: '9007199254740993' }],
  ['log-append time', { offsetDelta: 3, timestampDelta: 1, key: null, value: 'v' }, { timestampType: TimestampTypes.LOG_APPEND_TIME }],
  ['a control record', { offsetDelta: 9, timestampDelta: 2, key: Buffer.from([0, 0, 0, 0]), value: Buffer.from([0, 0, 0, 0, 0, 0]) }, { isControlBatch: true, inTransaction: true, producerId: '7' }],
];

for (const [what, record, overrides] of cases) {
  t.test(`${what}: the same record as kafkajs decodes`, async (t) => {
    const batchContext = context(overrides);
    t.strictSame(decodeRecord(new Decoder(body(record)) as never, batchContext as never).toJSON(), original(new Decoder(body(record)), batchContext));
  });
}

t.test('kafkajs’s record batches are decoded with it', async (t) => {
  t.equal(require(path('protocol/recordBatch/record/v0/decoder.js')), decodeRecord);
});

/** A record batch as kafkajs's producer writes it (offset deltas 0.., timestamps 1764700000000 + 2.5 ms steps). */
async function batchBytes(values: Array<string | null>, options: { firstOffset?: string; compression?: number; transactional?: boolean; headers?: boolean } = {}): Promise<Buffer> {
  const records = values.map((value, i) => Record({ offsetDelta: i, timestampDelta: Math.floor(i * 2.5), key: i % 3 === 0 ? Buffer.from(`k${i}`) : null, value, headers: options.headers && i % 2 === 0 ? { h: `v${i}` } : {} }));
  const batch = await RecordBatch({
    compression: options.compression ?? Compression.None,
    firstOffset: Long.fromValue(options.firstOffset ?? '4711'),
    firstTimestamp: 1764700000000,
    maxTimestamp: 1764700009999,
    lastOffsetDelta: values.length - 1,
    transactional: options.transactional ?? false,
    producerId: Long.fromValue(options.transactional ? 7 : -1),
    records,
  });
  return batch.buffer;
}

/** A decoded batch with kafkajs's plain message objects. */
const plain = (batch: Awaited<ReturnType<typeof decodeRecordBatch>>) => ({ ...batch, records: batch.records.map((record) => record.toJSON()) });

const values = Array.from({ length: 50 }, (_, i) => (i === 7 ? null : `{"timestamp":"01-01-1970 00:00:00:${String(i).padStart(3, '0')}","page":"/p${i % 6}"}`));
const batchCases: Array<[string, () => Promise<Buffer>]> = [
  ['click events', () => batchBytes(values)],
  ['keys, headers and a null value', () => batchBytes(values, { headers: true })],
  ['a first offset beyond 2^53', () => batchBytes(values, { firstOffset: '9007199254740993' })],
  ['a gzip batch', () => batchBytes(values, { compression: Compression.GZIP, headers: true })],
  ['a transactional batch', () => batchBytes(values, { transactional: true })],
  ['an empty batch', () => batchBytes([])],
];

for (const [what, bytes] of batchCases) {
  t.test(`record batch, ${what}: the same batch as kafkajs decodes, and the decoder moved past it`, async (t) => {
    const buffer = Buffer.concat([await bytes(), await batchBytes(['next'])]);
    const ours = new Decoder(buffer);
    const theirs = new Decoder(buffer);
    t.strictSame(plain(await decodeRecordBatch(ours as never)), await originalBatchDecoder(theirs));
    t.equal(ours.offset, theirs.offset);
    t.strictSame(plain(await decodeRecordBatch(ours as never)), await originalBatchDecoder(theirs), 'the next batch');
  });
}

t.test('a batch cut off by the end of a fetch throws kafkajs’s partial-message error, as kafkajs does', async (t) => {
  const buffer = (await batchBytes(values)).subarray(0, 1000);
  await t.rejects(decodeRecordBatch(new Decoder(buffer) as never), { name: 'KafkaJSPartialMessageError' });
  await t.rejects(originalBatchDecoder(new Decoder(buffer)), { name: 'KafkaJSPartialMessageError' });
});

t.test('a record claiming more bytes than its batch has fails the batch', async (t) => {
  const buffer = Buffer.from(await batchBytes(['a', 'b']));
  // The records start after the 61-byte batch header (offset, length, epoch, magic, crc, attributes, …, count).
  buffer[61] = 0x7e; // the first record's length varint: 63 bytes, more than the two records have
  await t.rejects(decodeRecordBatch(new Decoder(buffer) as never), /Corrupt record batch: record 0 of 2 claims 63 bytes/);
});

t.test('kafkajs’s fetches are decoded with tsflink’s batch decoder', async (t) => {
  t.equal(require(path('protocol/recordBatch/v0/decoder.js')), decodeRecordBatch);
});

t.test('offsets and timestamps as numbers where they are exact, as kafkajs’s strings otherwise', async (t) => {
  const click = { offsetDelta: 5, timestampDelta: 3, key: null, value: 'v' };
  const exact = decodeRecord(new Decoder(body(click)) as never, context() as never);
  t.equal(exact.offsetNumber, 4716);
  t.equal(exact.timestampNumber, 1764700000003);
  const huge = decodeRecord(new Decoder(body(click)) as never, context({ firstOffset: '9007199254740993' }) as never);
  t.ok(Number.isNaN(huge.offsetNumber));
  t.equal(huge.offset, '9007199254740998');
  t.not(exact.headers, undefined);
  t.equal(exact.headers, exact.headers, 'a record’s headers object is made once');
});
