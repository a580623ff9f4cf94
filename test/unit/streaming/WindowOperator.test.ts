import t from 'tap';
import { TumblingEventTimeWindows } from '../../../src/job/windowing.js';
import { HeapKeyedStateBackend } from '../../../src/state/KeyedStateBackend.js';
import { WindowOperator } from '../../../src/streaming/operators/WindowOperator.js';
import type { OperatorContext } from '../../../src/streaming/operators/StreamOperator.js';

function harness() {
  const out: Array<{ value: unknown; timestamp: number | undefined }> = [];
  const watermarks: number[] = [];
  let watermark = Number.MIN_SAFE_INTEGER;
  let late = 0;
  const context: OperatorContext = {
    subtaskIndex: 0,
    parallelism: 1,
    maxParallelism: 128,
    currentWatermark: () => watermark,
    registerProcessingTimer: () => undefined,
    countLateRecord: () => late++,
  };
  const operator = new WindowOperator(
    'Counter',
    { collect: (value, timestamp) => out.push({ value, timestamp }), emitWatermark: (w) => watermarks.push(w) },
    context,
    (e: { page: string }) => e.page,
    TumblingEventTimeWindows.of(1000),
    { createAccumulator: () => 0, add: (_e: unknown, n: number) => n + 1, getResult: (n: number) => n, merge: (a: number, b: number) => a + b },
    (key, ctx, counts, collector) => {
      for (const count of counts) collector.collect({ key, start: ctx.window.start, end: ctx.window.end, count });
    },
    new HeapKeyedStateBackend({ startKeyGroup: 0, endKeyGroup: 127 }),
  );
  return {
    operator,
    out,
    watermarks,
    get late() {
      return late;
    },
    advance(w: number) {
      watermark = w;
      operator.processWatermark(w);
    },
  };
}

t.test('windows fire once the watermark passes their last timestamp, per key, and state is cleared', async (t) => {
  const h = harness();
  for (let ts = 0; ts < 2000; ts += 100) {
    h.operator.processElement({ page: 'a' }, ts);
    if (ts % 200 === 0) h.operator.processElement({ page: 'b' }, ts);
  }
  h.advance(998);
  t.same(h.out, [], 'window [0, 1000) still open at 998');
  h.advance(999);
  t.same(h.out.map((o) => o.value), [
    { key: 'a', start: 0, end: 1000, count: 10 },
    { key: 'b', start: 0, end: 1000, count: 5 },
  ]);
  t.equal(h.out[0]!.timestamp, 999, 'output carries the window max timestamp');
  h.advance(5000);
  t.equal(h.out.length, 4);
  t.same(h.watermarks, [998, 999, 5000], 'watermarks are forwarded');
  h.advance(6000);
  t.equal(h.out.length, 4, 'nothing fires twice');
});

t.test('late elements are dropped and counted; elements without timestamps are refused', async (t) => {
  const h = harness();
  h.advance(1500);
  h.operator.processElement({ page: 'a' }, 999);
  h.operator.processElement({ page: 'a' }, 1600);
  t.equal(h.late, 1);
  h.advance(1999);
  t.same(h.out.map((o) => o.value), [{ key: 'a', start: 1000, end: 2000, count: 1 }]);
  t.throws(() => h.operator.processElement({ page: 'a' }, undefined), { message: /Record has no timestamp/ });
});
