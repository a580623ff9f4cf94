import t, { type Test } from 'tap';
import { TumblingEventTimeWindows } from '../../../src/job/windowing.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LevelDbKeyedStateBackend } from '../../../src/state/LevelDbKeyedStateBackend.js';
import { WindowOperator } from '../../../src/streaming/operators/WindowOperator.js';
import type { OperatorContext } from '../../../src/streaming/operators/StreamOperator.js';

async function harness(t: Test, backend?: LevelDbKeyedStateBackend) {
  if (!backend) {
    const dir = mkdtempSync(join(tmpdir(), 'window-test-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    backend = await LevelDbKeyedStateBackend.create(join(dir, 'db'), { startKeyGroup: 0, endKeyGroup: 127 });
    t.teardown(() => backend!.dispose());
  }
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
    attemptNumber: 0,
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
    backend,
  );
  await operator.open();
  return {
    backend,
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
  const h = await harness(t);
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
  const h = await harness(t);
  h.advance(1500);
  h.operator.processElement({ page: 'a' }, 999);
  h.operator.processElement({ page: 'a' }, 1600);
  t.equal(h.late, 1);
  h.advance(1999);
  t.same(h.out.map((o) => o.value), [{ key: 'a', start: 1000, end: 2000, count: 1 }]);
  t.throws(() => h.operator.processElement({ page: 'a' }, undefined), { message: /Record has no timestamp/ });
});

t.test('window contents and timers survive a snapshot and restore into a new backend, also split by key group', async (t) => {
  const h = await harness(t);
  for (let ts = 0; ts < 1000; ts += 100) {
    h.operator.processElement({ page: 'a' }, ts);
    h.operator.processElement({ page: 'b' }, ts);
  }
  const checkpointDir = mkdtempSync(join(tmpdir(), 'window-chk-'));
  t.teardown(() => rmSync(checkpointDir, { recursive: true, force: true }));
  const write = await h.backend.snapshot(checkpointDir, 'state');
  h.operator.processElement({ page: 'a' }, 500); // after the snapshot: not in it
  const handle = await write();
  t.equal(handle.offsets.length, 128);

  // Two subtasks of a rescaled job, each restoring its half of the key groups.
  const outputs: unknown[] = [];
  for (const range of [{ startKeyGroup: 0, endKeyGroup: 63 }, { startKeyGroup: 64, endKeyGroup: 127 }]) {
    const dir = mkdtempSync(join(tmpdir(), 'window-restore-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const backend = await LevelDbKeyedStateBackend.create(join(dir, 'db'), range);
    t.teardown(() => backend.dispose());
    await backend.restore(checkpointDir, [handle]);
    const restored = await harness(t, backend);
    restored.advance(999);
    outputs.push(...restored.out.map((o) => o.value));
  }
  t.same(
    (outputs as Array<{ key: string }>).sort((x, y) => x.key.localeCompare(y.key)),
    [
      { key: 'a', start: 0, end: 1000, count: 10 },
      { key: 'b', start: 0, end: 1000, count: 10 },
    ],
    'each window fires once, from the subtask that owns its key, with the count at the snapshot',
  );
});

t.test('a state file that changed after the snapshot is refused', async (t) => {
  const h = await harness(t);
  h.operator.processElement({ page: 'a' }, 1);
  const checkpointDir = mkdtempSync(join(tmpdir(), 'window-chk-'));
  t.teardown(() => rmSync(checkpointDir, { recursive: true, force: true }));
  const handle = await (await h.backend.snapshot(checkpointDir, 'state'))();
  const { appendFileSync } = await import('node:fs');
  appendFileSync(join(checkpointDir, 'state'), 'x');
  const dir = mkdtempSync(join(tmpdir(), 'window-restore-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const backend = await LevelDbKeyedStateBackend.create(join(dir, 'db'), { startKeyGroup: 0, endKeyGroup: 127 });
  t.teardown(() => backend.dispose());
  await t.rejects(backend.restore(checkpointDir, [handle]), { message: /does not match its checkpoint metadata/ });
});
