// tsflink's record decoder for kafkajs decodes every record exactly as kafkajs 2.2.4's own (compiled here from its
// source for the comparison), on records kafkajs's encoder wrote: keys, values, headers, negative and huge deltas,
// offsets beyond 2^53, log-append time.
import { readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname } from 'node:path';
import t from 'tap';
import '../../../../src/connectors/kafka/kafkajs.js';
import { decodeRecord } from '../../../../src/connectors/kafka/record-decoder.js';

const require = createRequire(import.meta.url);
const path = (p: string) => require.resolve(`kafkajs/src/${p}`);
type Decoder = { readVarIntBytes(): Buffer };
const Decoder = require(path('protocol/decoder.js')) as new (buffer: Buffer) => Decoder;
const Record = require(path('protocol/recordBatch/record/v0/index.js')) as (record: object) => { buffer: Buffer };
const TimestampTypes = require(path('protocol/timestampTypes.js')) as { CREATE_TIME: number; LOG_APPEND_TIME: number };

/** kafkajs's own record decoder, compiled from its file (the module cache holds tsflink's). */
function kafkajsRecordDecoder(): (decoder: Decoder, context: object) => unknown {
  const file = path('protocol/recordBatch/record/v0/decoder.js');
  const original = new Module(file) as Module & { _compile(source: string, filename: string): void; paths: string[] };
  original.filename = file;
  original.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(file));
  original._compile(readFileSync(file, 'utf8'), file);
  return original.exports as (decoder: Decoder, context: object) => unknown;
}

const original = kafkajsRecordDecoder();
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
    t.strictSame(decodeRecord(new Decoder(body(record)) as never, batchContext as never), original(new Decoder(body(record)), batchContext));
  });
}

t.test('kafkajs’s record batches are decoded with it', async (t) => {
  t.equal(require(path('protocol/recordBatch/record/v0/decoder.js')), decodeRecord);
});
