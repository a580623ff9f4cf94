// What the Kafka source does with each fetched record: collect it with the position after it, or send it to the error
// path with its topic, partition, offset, the schema's message and the start of its value, and the position after it.
import t from 'tap';
import { emitRecords, MAX_LOGGED_VALUE_BYTES, type FetchedRecord } from '../../../../src/connectors/kafka/KafkaRecordEmitter.js';
import type { ReaderOutput, SplitPosition } from '../../../../src/job/connectors.js';

function recordingOutput() {
  const collected: Array<{ record: unknown; split: string; timestamp: number | undefined; size: number; position: SplitPosition }> = [];
  const errors: Array<{ split: string; message: string; position: SplitPosition | undefined }> = [];
  const output: ReaderOutput<unknown> = {
    addSplit() {},
    collect: (record, split, timestamp, size, position) => collected.push({ record, split, timestamp, size, position }),
    reportError: (split, message, position) => errors.push({ split, message, position }),
    fail: (error) => {
      throw error;
    },
  };
  return { output, collected, errors };
}

const records = (values: Array<Buffer | null>, firstOffset = 100): FetchedRecord[] =>
  values.map((value, i) => ({ offset: String(firstOffset + i), timestamp: String(5000 + i), value }));

const json = (value: Buffer) => JSON.parse(value.toString('utf8')) as unknown;

t.test('good records are collected with their timestamp, size and the next offset (a number)', async (t) => {
  const { output, collected, errors } = recordingOutput();
  emitRecords('input', 1, records([Buffer.from('{"a":1}'), Buffer.from('"x"')]), json, output);
  t.same(collected, [
    { record: { a: 1 }, split: 'input-1', timestamp: 5000, size: 7, position: 101 },
    { record: 'x', split: 'input-1', timestamp: 5001, size: 3, position: 102 },
  ]);
  t.same(errors, []);
});

t.test('a record the schema cannot read goes to the error path, in order, with the position after it', async (t) => {
  const { output, collected, errors } = recordingOutput();
  const huge = Buffer.alloc(1024 * 1024, 'z');
  emitRecords(
    'input',
    0,
    records([Buffer.from('{"a":1}'), Buffer.from('{"a":'), null, huge, Buffer.from('{"a":2}'), Buffer.from('{}')]),
    (value) => {
      const parsed = json(value) as { a?: number } | undefined;
      return parsed && 'a' in parsed ? parsed : undefined;
    },
    output,
  );
  t.same(collected.map((c) => [c.record, c.position]), [[{ a: 1 }, 101], [{ a: 2 }, 105]], 'the good records around the bad ones');
  t.same(errors.map((e) => [e.split, e.position]), [['input-0', 102], ['input-0', 103], ['input-0', 104], ['input-0', 106]]);
  t.match(errors[0]!.message, /^topic input, partition 0, offset 101: .*JSON.*; value: "\{\\"a\\":" \(5 bytes\)$/);
  t.equal(errors[1]!.message, 'topic input, partition 0, offset 102: The record has a null value (a tombstone).; value: null');
  t.match(errors[2]!.message, /^topic input, partition 0, offset 103: .*JSON.*; value: "z+"… \(1048576 bytes\)$/, 'a 1 MiB value is cut');
  t.ok(errors[2]!.message.length < MAX_LOGGED_VALUE_BYTES + 200, 'to a few hundred characters');
  t.equal(errors[3]!.message, 'topic input, partition 0, offset 105: The deserialization schema returned undefined.; value: "{}" (2 bytes)');
});

t.test('invalid UTF-8 in a logged value shows as U+FFFD; a value that is not an Error is described too', async (t) => {
  const { output, errors } = recordingOutput();
  emitRecords(
    't',
    3,
    records([Buffer.from([0x61, 0xff])], 7),
    () => {
      throw 'plain string';
    },
    output,
  );
  t.strictSame(errors, [{ split: 't-3', message: 'topic t, partition 3, offset 7: plain string; value: "a\ufffd" (2 bytes)', position: 8 }]);
});

t.test('numbers from tsflink’s record decoder are used as they are; beyond 2^53 the position is the offset’s text', async (t) => {
  const { output, collected } = recordingOutput();
  emitRecords('input', 0, [{ offset: '7', timestamp: '8', offsetNumber: 7, timestampNumber: 8, value: Buffer.from('1') }], json, output);
  emitRecords('input', 0, [{ offset: '9007199254740993', timestamp: '9', offsetNumber: Number.NaN, timestampNumber: Number.NaN, value: Buffer.from('2') }], json, output);
  t.same(collected.map((c) => [c.record, c.timestamp, c.position]), [[1, 8, 8], [2, 9, '9007199254740994']]);
});
