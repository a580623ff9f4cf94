import t from 'tap';
import { decodeBatch } from '../../../src/streaming/BatchCodec.js';
import { InputGate } from '../../../src/streaming/InputGate.js';
import { BATCH_SIZE, RecordWriter } from '../../../src/streaming/RecordWriter.js';
import type { FromTaskThread } from '../../../src/taskmanager/task/thread-protocol.js';
import { assignToKeyGroup, computeOperatorIndexForKeyGroup } from '../../../src/state/KeyGroupRangeAssignment.js';

function writer(strategy: string, channels = ['c0', 'c1']) {
  const sent: FromTaskThread[] = [];
  const metrics = { recordsOut: 0, bytesOut: 0, buffersOut: 0 };
  const w = new RecordWriter(channels, strategy, 0, (v: { key: string }) => v.key, 128, (m) => sent.push(m), metrics);
  return { w, sent, metrics };
}

t.test('a batch leaves only against a credit; watermarks follow the data in order', async (t) => {
  const { w, sent } = writer('REBALANCE');
  for (let i = 0; i < 4; i++) w.emit({ key: String(i) }, i);
  w.flush();
  t.same(sent, [], 'no credit, nothing sent');
  w.broadcastWatermark(10);
  t.same(sent, [], 'the watermark waits behind the data');
  t.ok(w.addCredit('c0', 1));
  t.same(sent.map((m) => m.type), ['data', 'watermark']);
  t.same(decodeBatch((sent[0] as { bytes: Uint8Array }).bytes), { values: [{ key: '0' }, { key: '2' }], timestamps: [0, 2] });
  t.notOk(w.addCredit('unknown', 1));
});

t.test('the writer is unavailable while a channel holds more than two batches without credit', async (t) => {
  const { w, sent } = writer('FORWARD', ['only']);
  for (let batch = 0; batch < 2; batch++) {
    for (let i = 0; i < BATCH_SIZE; i++) w.emit({ key: 'k' }, 0);
  }
  t.ok(w.isAvailable(), 'two full batches pending: at the bound');
  w.emit({ key: 'k' }, 0);
  w.flush();
  t.notOk(w.isAvailable(), 'three: backpressured');
  let released = false;
  const waiting = w.available().then(() => (released = true));
  await new Promise((r) => setImmediate(r));
  t.notOk(released);
  w.addCredit('only', 2);
  await waiting;
  t.ok(released, 'credit releases the task');
  t.equal(sent.length, 2);
});

t.test('HASH sends each key to the subtask that owns its key group', async (t) => {
  const { w, sent } = writer('HASH', ['c0', 'c1', 'c2']);
  const keys = ['/help', '/index', '/shop', '/jobs', '/about', '/news'];
  for (const key of keys) w.emit({ key }, 0);
  for (const c of ['c0', 'c1', 'c2']) w.addCredit(c, 1);
  w.flush();
  for (const message of sent) {
    const channel = Number(message.type === 'data' ? message.channel.slice(1) : -1);
    for (const value of decodeBatch((message as { bytes: Uint8Array }).bytes).values as Array<{ key: string }>) {
      t.equal(channel, computeOperatorIndexForKeyGroup(128, 3, assignToKeyGroup(value.key, 128)), value.key);
    }
  }
});

t.test('input gate: minimum over active channels, idle channels excluded, never backwards', async (t) => {
  const gate = new InputGate(['a', 'b']);
  t.equal(gate.onWatermark('a', 100), undefined, 'b has no watermark yet');
  t.equal(gate.onWatermark('b', 50), 50);
  t.same(gate.onIdle('b', true), { watermark: 100 }, 'b idle: a alone decides');
  t.same(gate.onIdle('a', true), { idle: true }, 'all idle');
  t.same(gate.onIdle('b', false), { idle: false }, 'b active again with an older watermark: no regression');
  t.equal(gate.currentWatermark, 100);
  t.equal(gate.onWatermark('b', 200), 200);
  t.same(gate.onEnd('a'), { allEnded: false });
  t.equal(gate.onEnd('b').allEnded, true);
});
