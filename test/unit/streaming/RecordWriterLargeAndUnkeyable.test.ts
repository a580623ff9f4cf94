// The RecordWriter with records that are large (a batch over MAX_BATCH_BYTES is split, so no shuffle message nears the
// RPC limit) or that cannot be keyed (a KeyExtractionException, with nothing emitted).
import t from 'tap';
import { decodeBatch } from '../../../src/streaming/BatchCodec.js';
import { KeyExtractionException } from '../../../src/streaming/RecordErrors.js';
import { MAX_BATCH_BYTES, RecordWriter } from '../../../src/streaming/RecordWriter.js';
import type { FromTaskThread } from '../../../src/taskmanager/task/thread-protocol.js';

function writer(strategy: string, keySelector: (v: any) => any = (v: { key: string }) => v.key, channels = ['c0', 'c1']) {
  const sent: FromTaskThread[] = [];
  const metrics = { recordsOut: 0, bytesOut: 0, buffersOut: 0 };
  const w = new RecordWriter(channels, strategy, 0, keySelector, 128, (m) => sent.push(m), metrics);
  for (const c of channels) w.addCredit(c, 1000);
  return { w, sent, metrics };
}

const data = (sent: FromTaskThread[]) => sent.filter((m): m is Extract<FromTaskThread, { type: 'data' }> => m.type === 'data');

t.test('keys of 1 MiB hash to a channel and travel in a batch', async (t) => {
  const { w, sent } = writer('HASH');
  const key = 'k'.repeat(1024 * 1024);
  w.emit({ key }, 1);
  w.flush();
  t.same(data(sent).flatMap((m) => decodeBatch(m.bytes).values), [{ key }]);
});

t.test('a batch over MAX_BATCH_BYTES is sent as several, each within the bound, in order', async (t) => {
  const { w, sent, metrics } = writer('FORWARD', undefined, ['only']);
  const big = 'x'.repeat(3 * 1024 * 1024);
  const values = Array.from({ length: 12 }, (_, i) => ({ i, big }));
  for (const v of values) w.emit(v, v.i);
  w.flush();
  const batches = data(sent);
  t.ok(batches.length > 1, `${batches.length} batches`);
  for (const b of batches) t.ok(b.bytes.length <= MAX_BATCH_BYTES, `${b.bytes.length} bytes`);
  t.same(batches.flatMap((b) => decodeBatch(b.bytes).values.map((v) => (v as { i: number }).i)), values.map((v) => v.i), 'every record once, in order');
  t.same(batches.flatMap((b) => decodeBatch(b.bytes).timestamps), values.map((v) => v.i));
  t.same(batches.map((b) => b.records).reduce((a, b) => a + b, 0), values.length);
  t.equal(metrics.buffersOut, batches.length);
  t.equal(metrics.recordsOut, values.length);
});

t.test('one record over MAX_BATCH_BYTES goes alone', async (t) => {
  const { w, sent } = writer('FORWARD', undefined, ['only']);
  w.emit('a', 0);
  w.emit('y'.repeat(MAX_BATCH_BYTES + 1), 0);
  w.emit('b', 0);
  w.flush();
  t.same(data(sent).map((b) => decodeBatch(b.bytes).values.map((v) => (v as string).length)), [[1], [MAX_BATCH_BYTES + 1], [1]]);
});

t.test('a key selector that throws or gives no string or number: KeyExtractionException, nothing emitted', async (t) => {
  const cases: Array<[string, (v: any) => any, RegExp]> = [
    ['throws', () => {
      throw new Error('boom');
    }, /Could not extract a key from the record: boom/],
    ['undefined', () => undefined, /returned undefined/],
    ['null', () => null, /returned null/],
    ['an object', () => ({}), /returned object/],
    ['a boolean', () => true, /returned boolean/],
  ];
  for (const [name, selector, message] of cases) {
    const { w, sent, metrics } = writer('HASH', selector);
    const record = { page: name };
    const error = t.throws(() => w.emit(record, 0), message, name) as unknown as KeyExtractionException;
    t.ok(error instanceof KeyExtractionException, `${name}: a KeyExtractionException`);
    t.equal(error.record, record, `${name}: with the record`);
    w.flush();
    t.same(data(sent), [], `${name}: nothing sent`);
    t.equal(metrics.recordsOut, 0, `${name}: nothing counted`);
  }
});
