// Savepoints written by earlier tsflink versions (test/fixtures/savepoints/) must stay readable: their _metadata, their
// state files, the key layout of their keyed state, and the operator ids they are keyed by. The job graphs of today's
// programs are compared with the golden plans in test/it/savepoint-compatibility.test.ts (that needs the built
// package); that test also restores these savepoints into running jobs.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCheckpoint, resolveSavepoint, type CheckpointMetadata } from '../../../src/master/checkpoint/CheckpointMetadata.js';
import { taskRestoreFor } from '../../../src/master/checkpoint/StateAssignmentOperation.js';
import type { JobVertex } from '../../../src/graph/JobGraph.js';
import { computeKeyGroupRangeForOperatorIndex } from '../../../src/state/KeyGroupRangeAssignment.js';
import { LevelDbKeyedStateBackend } from '../../../src/state/LevelDbKeyedStateBackend.js';

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures');
const VERSION = '0.1.0-cae3dfc';

interface GoldenPlan {
  program: string;
  args: string[];
  parallelism: number;
  planHash: string;
  vertices: Array<{ id: string; name: string; parallelism: number; maxParallelism: number; operators: Array<{ operatorId: string; name: string; kind: string }> }>;
}

const plans = JSON.parse(readFileSync(join(FIXTURES, 'plans', `${VERSION}.json`), 'utf8')) as GoldenPlan[];
const planOf = (program: string, args: string[]) => plans.find((p) => p.program.endsWith(program) && JSON.stringify(p.args) === JSON.stringify(args))!;

/** Every keyed entry of the savepoint's operator, restored into today's LevelDB backend. */
async function restoredEntries(directory: string, metadata: CheckpointMetadata, operatorId: string, states: string[]): Promise<Map<string, unknown[]>> {
  const handles = Object.values(metadata.operators[operatorId]!.subtasks).flatMap((s) => s.keyed ?? []);
  const local = mkdtempSync(join(tmpdir(), 'tsflink-golden-'));
  const backend = await LevelDbKeyedStateBackend.create(local, { startKeyGroup: 0, endKeyGroup: 127 });
  try {
    await backend.restore(directory, handles);
    const entries = new Map<string, unknown[]>();
    for (const state of states) {
      const found: unknown[] = [];
      await backend.forEach(state, (keyGroup, key, namespace, value) => found.push([keyGroup, key, namespace, value]));
      entries.set(state, found);
    }
    return entries;
  } finally {
    await backend.dispose();
    rmSync(local, { recursive: true, force: true });
  }
}

t.test(`ClickEventCount's savepoint of ${VERSION} reads and restores with today's code`, async (t) => {
  const directory = join(FIXTURES, 'savepoints', VERSION, 'cec');
  const { metadata } = await resolveSavepoint(`file://${directory}`);
  t.equal(metadata.isSavepoint, true);
  const plan = planOf('ClickEventCount.ts', ['--checkpointing', '--event-time']);
  const [source, counter] = plan.vertices;
  t.same(Object.keys(metadata.operators).sort(), [source!.id, counter!.id].sort(), 'state of the source and the window operator, by their operator ids');
  t.same(
    Object.values(metadata.operators[source!.id]!.subtasks).flatMap((s) => s.splits),
    [
      { splitId: 'golden-cec-input-0', position: '12000' },
      { splitId: 'golden-cec-input-1', position: '12000' },
    ],
    'the source read all 24 000 events of the 4 windows',
  );
  const entries = await restoredEntries(directory, metadata, counter!.id, ['_window-contents', '_window-timers']);
  const contents = entries.get('_window-contents')!;
  t.equal(contents.length, 6, 'one pending window per page');
  for (const [, page, windowStart, count] of contents as Array<[number, string, number, number]>) {
    t.equal(windowStart, 45_000, `${page}: the fourth window (45–60 s) waits for the watermark`);
    t.equal(count, 1000, `${page}: all 1000 events of it counted before the savepoint`);
  }
  t.equal(entries.get('_window-timers')!.length, 6, 'its event-time timers are in the savepoint');
});

t.test(`StatefulCounter's savepoint of ${VERSION}: every kind of keyed state`, async (t) => {
  const directory = join(FIXTURES, 'savepoints', VERSION, 'counter');
  const metadata = await readCheckpoint(directory);
  const plan = planOf('StatefulCounter.ts', []);
  const process = plan.vertices.find((v) => v.operators.some((o) => o.kind === 'keyedProcess'))!;
  const entries = await restoredEntries(directory, metadata, process.id, ['count', 'last-three', 'parity', 'sum', 'average', '_event-timers']);
  const byKey = (state: string) => Object.fromEntries((entries.get(state) as Array<[number, string, number, unknown]>).map(([, key, , value]) => [key, value]));
  t.same(byKey('count'), { a: 3, b: 2, c: 1 });
  t.same(byKey('last-three'), { a: [1, 2, 5], b: [3, 6], c: [4] });
  t.same(byKey('sum'), { a: 8, b: 9, c: 4 });
  t.same(byKey('average'), { a: { total: 8, n: 3 }, b: { total: 9, n: 2 }, c: { total: 4, n: 1 } });
  const parity = byKey('parity') as Record<string, Map<string, number>>;
  t.same(Object.fromEntries(Object.entries(parity).map(([key, map]) => [key, Object.fromEntries(map)])), { a: { odd: 2, even: 1 }, b: { odd: 1, even: 1 }, c: { even: 1 } });
  t.equal(entries.get('_event-timers')!.length, 3, 'one pending event-time timer per key');
});

t.test('the state of a golden savepoint is assigned to any parallelism, every key group exactly once', async (t) => {
  const directory = join(FIXTURES, 'savepoints', VERSION, 'cec');
  const metadata = await readCheckpoint(directory);
  const counter = planOf('ClickEventCount.ts', ['--checkpointing', '--event-time']).vertices[1]!;
  for (const parallelism of [1, 2, 3, 4]) {
    const vertex = { ...counter, parallelism, operators: counter.operators.map((o) => ({ operatorId: o.operatorId, name: o.name })) } as unknown as JobVertex;
    const covered = new Set<number>();
    for (let i = 0; i < parallelism; i++) {
      const restore = taskRestoreFor(metadata, directory, vertex, i)!;
      const range = computeKeyGroupRangeForOperatorIndex(128, parallelism, i);
      for (const handle of restore.operators[counter.id]!.keyed) {
        t.ok(handle.keyGroupRange.startKeyGroup <= range.endKeyGroup && range.startKeyGroup <= handle.keyGroupRange.endKeyGroup, 'only overlapping state files');
      }
      for (let g = range.startKeyGroup; g <= range.endKeyGroup; g++) covered.add(g);
    }
    t.equal(covered.size, 128, `parallelism ${parallelism}: all key groups owned`);
  }
});
