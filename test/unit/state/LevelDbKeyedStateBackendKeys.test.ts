// Keys of any size (and any string) in the LevelDB keyed state backend: the 16-bit key length of 0.1.0 stays for keys
// up to 65 535 UTF-8 bytes (so 0.1.0 savepoints restore and their keys encode to the same bytes), longer keys and
// strings with lone surrogates take escape tags. Every form keeps the key-group prefix, so snapshots by key-group
// range and rescaled restores still work.
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCheckpoint } from '../../../src/master/checkpoint/CheckpointMetadata.js';
import { assignToKeyGroup, type KeyGroupRange } from '../../../src/state/KeyGroupRangeAssignment.js';
import { decodeKey, encodeKey, LevelDbKeyedStateBackend, MAX_SHORT_KEY_BYTES } from '../../../src/state/LevelDbKeyedStateBackend.js';

const MAX_PARALLELISM = 128;
const MiB = 1024 * 1024;

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsflink-keys-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Keys of 0, 65 535, 65 536 and 1 MiB UTF-8 bytes, multi-byte text across the boundary, lone surrogates, numbers. */
const KEYS: Array<[string, string | number]> = [
  ['empty', ''],
  ['65 535 bytes', 'a'.repeat(MAX_SHORT_KEY_BYTES)],
  ['65 536 bytes', 'b'.repeat(MAX_SHORT_KEY_BYTES + 1)],
  ['1 MiB', 'c'.repeat(MiB)],
  // 'é' is 2 UTF-8 bytes: 32 767 of them + 'x' = 65 535 bytes; 32 768 of them = 65 536 bytes (32 768 characters).
  ['multi-byte, 65 535 bytes', 'é'.repeat(32_767) + 'x'],
  ['multi-byte, 65 536 bytes', 'é'.repeat(32_768)],
  ['4-byte characters, over 1 MiB', '😀'.repeat(MiB / 4 + 1)],
  ['short multi-byte', 'Grüße, 世界'],
  ['a lone surrogate', 'page\ud800'],
  ['U+FFFD (what a lone surrogate became in UTF-8)', 'page\ufffd'],
  ['a long string with a lone surrogate', 'd'.repeat(70_000) + '\udc00'],
  ['a number', 42],
  ['a negative fraction', -0.5],
];

t.test('encodeKey/decodeKey round-trip keys of any size', async (t) => {
  for (const [name, key] of KEYS) {
    const keyGroup = assignToKeyGroup(key, MAX_PARALLELISM);
    const bytes = encodeKey(keyGroup, key, 'state', 15_000);
    t.same(decodeKey(bytes), { keyGroup, key, state: 'state', namespace: 15_000 }, name);
    t.equal(bytes.readUInt16BE(0), keyGroup, `${name}: the entry starts with its key group`);
  }
});

t.test('keys of at most 65 535 UTF-8 bytes keep the 0.1.0 layout byte for byte; longer ones take tag 3', async (t) => {
  const legacy = (keyGroup: number, key: string, state: string, namespace: number) => {
    const k = Buffer.from(key, 'utf8');
    const s = Buffer.from(state, 'utf8');
    const out = Buffer.alloc(2 + 1 + 2 + k.length + 1 + s.length + 8);
    let at = out.writeUInt16BE(keyGroup, 0);
    at = out.writeUInt8(2, at);
    at = out.writeUInt16BE(k.length, at);
    at += k.copy(out, at);
    at = out.writeUInt8(s.length, at);
    at += s.copy(out, at);
    out.writeDoubleBE(namespace, at);
    return out;
  };
  for (const key of ['', '/help', 'Grüße', 'a'.repeat(MAX_SHORT_KEY_BYTES), 'é'.repeat(32_767) + 'x']) {
    t.ok(encodeKey(7, key, '_window-contents', 45_000).equals(legacy(7, key, '_window-contents', 45_000)), `${Buffer.byteLength(key)} bytes`);
  }
  const long = encodeKey(7, 'b'.repeat(MAX_SHORT_KEY_BYTES + 1), 's', 0);
  t.equal(long.readUInt8(2), 3, 'tag 3');
  t.equal(long.readUInt32BE(3), MAX_SHORT_KEY_BYTES + 1, 'a 32-bit length');
  t.not(encodeKey(7, 'page\ud800', 's', 0).toString('hex'), encodeKey(7, 'page\ufffd', 's', 0).toString('hex'), 'a lone surrogate is not U+FFFD');
  t.throws(() => decodeKey(Buffer.from([0, 7, 9, 0, 0])), /Unknown key tag 9/);
  t.throws(() => encodeKey(0, 'k', 's'.repeat(256), 0), /longer than 255 UTF-8 bytes/);
});

async function backend(t: Test, range: KeyGroupRange = { startKeyGroup: 0, endKeyGroup: MAX_PARALLELISM - 1 }) {
  const dir = tempDir(t);
  const b = await LevelDbKeyedStateBackend.create(join(dir, 'db'), range);
  t.teardown(() => b.dispose().catch(() => undefined));
  return { dir, backend: b };
}

t.test('the LevelDB backend stores, finds, iterates, snapshots and restores keys of any size', async (t) => {
  const { dir, backend: b } = await backend(t);
  for (const [name, key] of KEYS) b.put('count', assignToKeyGroup(key, MAX_PARALLELISM), key, 0, name);
  // Two windows of one key: the namespace after a long key is read back too.
  const long = 'c'.repeat(MiB);
  b.put('count', assignToKeyGroup(long, MAX_PARALLELISM), long, 15_000, 'second window');

  const seen: Array<[number, string | number, number, string]> = [];
  await b.forEach<string>('count', (keyGroup, key, namespace, value) => seen.push([keyGroup, key, namespace, value]));
  t.equal(seen.length, KEYS.length + 1, 'every entry, written through to LevelDB, is iterated');
  const groups = seen.map(([g]) => g);
  t.same(groups, [...groups].sort((a, b) => a - b), 'in key-group order');
  for (const [name, key] of KEYS) {
    t.ok(
      seen.some(([g, k, n, v]) => g === assignToKeyGroup(key, MAX_PARALLELISM) && k === key && n === 0 && v === name),
      `${name}: its key, key group and value`,
    );
  }
  t.ok(seen.some(([, k, n, v]) => k === long && n === 15_000 && v === 'second window'), 'the second window of the 1 MiB key');

  const snapshot = await b.snapshot(join(dir, 'chk-1'), 'keyed-0');
  const handle = await snapshot();
  t.equal(handle.offsets.length, MAX_PARALLELISM, 'one offset per key group');

  // Restored in two halves (a rescale to parallelism 2): each finds exactly the keys of its key groups, by `get`
  // from LevelDB (a fresh backend has nothing cached).
  for (const range of [
    { startKeyGroup: 0, endKeyGroup: 63 },
    { startKeyGroup: 64, endKeyGroup: 127 },
  ]) {
    const { backend: restored } = await backend(t, range);
    await restored.restore(join(dir, 'chk-1'), [handle]);
    let inRange = 0;
    for (const [name, key] of KEYS) {
      const keyGroup = assignToKeyGroup(key, MAX_PARALLELISM);
      if (keyGroup < range.startKeyGroup || keyGroup > range.endKeyGroup) continue;
      inRange++;
      t.equal(restored.get<string>('count', keyGroup, key, 0), name, `${name} restored into [${range.startKeyGroup}, ${range.endKeyGroup}]`);
    }
    let entries = 0;
    await restored.forEach('count', () => entries++);
    const longGroup = assignToKeyGroup(long, MAX_PARALLELISM);
    t.equal(entries, inRange + (longGroup >= range.startKeyGroup && longGroup <= range.endKeyGroup ? 1 : 0), 'and nothing else');
  }
});

t.test("a long key's removed window is deleted from LevelDB, its other window stays", async (t) => {
  const { backend: b } = await backend(t);
  const key = 'e'.repeat(MAX_SHORT_KEY_BYTES + 1);
  const keyGroup = assignToKeyGroup(key, MAX_PARALLELISM);
  b.put('s', keyGroup, key, 1, 1);
  b.put('s', keyGroup, key, 2, 2);
  b.remove('s', keyGroup, key, 1);
  const found: number[] = [];
  await b.forEach<number>('s', (_g, k, namespace, value) => {
    t.equal(k, key);
    found.push(namespace, value);
  });
  t.same(found, [2, 2], 'the removed window is gone from LevelDB, the other one is there');
});

t.test(`0.1.0 savepoints restore, and today's encoding of their keys finds their state`, async (t) => {
  const directory = join(import.meta.dirname, '..', '..', 'fixtures', 'savepoints', '0.1.0-cae3dfc', 'cec');
  const metadata = await readCheckpoint(directory);
  const handles = Object.values(metadata.operators).flatMap((o) => Object.values(o.subtasks).flatMap((s) => s.keyed ?? []));
  t.ok(handles.length > 0, 'the savepoint has keyed state');
  const { backend: b } = await backend(t);
  await b.restore(directory, handles);
  const contents: Array<[number, string | number, number, unknown]> = [];
  await b.forEach('_window-contents', (keyGroup, key, namespace, value) => contents.push([keyGroup, key, namespace, value]));
  t.equal(contents.length, 6, 'one pending window per page');
  const { backend: fresh } = await backend(t);
  await fresh.restore(directory, handles);
  for (const [keyGroup, key, namespace, value] of contents) {
    t.equal(typeof key, 'string');
    t.equal(keyGroup, assignToKeyGroup(key, MAX_PARALLELISM), `${key}: its key group`);
    t.equal(fresh.get('_window-contents', keyGroup, key, namespace), value, `${key}: get finds the restored count`);
  }
});
