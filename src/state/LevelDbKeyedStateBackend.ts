import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { Packr } from 'msgpackr';
import type { KeyGroupRange } from './KeyGroupRangeAssignment.js';
import type { KeyedStateBackend, StateKey } from './KeyedStateBackend.js';
import { rangesIntersect, type KeyGroupsStateHandle } from './StateHandles.js';

/** Cached entries (clean and dirty) before the cache is written through and emptied. */
const MAX_CACHED_ENTRIES = 200_000;
/** Dirty entries that trigger a write-through even when the cache has room (bounds what a crash-free flush costs). */
const MAX_DIRTY_ENTRIES = 50_000;
const WRITE_CHUNK_BYTES = 1024 * 1024;

const ABSENT = Symbol('absent');
type Cached = unknown | typeof ABSENT;

const values = new Packr({ useRecords: true, mapsAsObjects: false, moreTypes: true });

/**
 * Keyed state on LevelDB (classic-level), one database per stateful subtask (Flink's RocksDBKeyedStateBackend in
 * spirit). Keys are laid out as `[key group u16][key][state name][namespace]` (keys of any length: see encodeKey), so
 * a key-group range is one iterator range. Hot state is served from a cache in front of the database: reads that miss
 * use LevelDB's synchronous get, writes are collected and written through in one batch when the operator flushes past
 * a bound, and always before a snapshot — LevelDB is the state of record at every checkpoint.
 *
 * A snapshot writes the key groups of the subtask's range from a LevelDB snapshot into one file of the checkpoint
 * directory, with the offset of every key group, so a restore with another parallelism reads just the groups it owns.
 */
export class LevelDbKeyedStateBackend implements KeyedStateBackend {
  private readonly db: ClassicLevel<Buffer, Buffer>;
  /** state → namespace → key → value; a key group is derived from the key when writing through. */
  private readonly cache = new Map<string, Map<number, Map<StateKey, Cached>>>();
  private cached = 0;
  /** Entries changed since the last write-through, with their key groups. */
  private dirty = new Map<string, Map<number, Map<StateKey, number>>>();
  private dirtyCount = 0;

  private constructor(
    readonly keyGroupRange: KeyGroupRange,
    private readonly directory: string,
  ) {
    this.db = new ClassicLevel<Buffer, Buffer>(directory, { keyEncoding: 'buffer', valueEncoding: 'buffer', createIfMissing: true, errorIfExists: true });
  }

  /** Opens a fresh database in `directory` (which must not exist yet: every execution attempt has its own). */
  static async create(directory: string, keyGroupRange: KeyGroupRange): Promise<LevelDbKeyedStateBackend> {
    await mkdir(join(directory, '..'), { recursive: true });
    const backend = new LevelDbKeyedStateBackend(keyGroupRange, directory);
    await backend.db.open();
    return backend;
  }

  get<V>(state: string, keyGroup: number, key: StateKey, namespace: number): V | undefined {
    const byKey = this.cache.get(state)?.get(namespace);
    if (byKey !== undefined) {
      const value = byKey.get(key);
      if (value !== undefined) return value === ABSENT ? undefined : (value as V);
    }
    const stored = this.db.getSync(encodeKey(keyGroup, key, state, namespace));
    const value = stored === undefined ? undefined : (values.unpack(stored) as V);
    this.remember(state, namespace, key, value === undefined ? ABSENT : value);
    return value;
  }

  put<V>(state: string, keyGroup: number, key: StateKey, namespace: number, value: V): void {
    this.checkKeyGroup(keyGroup);
    this.remember(state, namespace, key, value);
    this.markDirty(state, keyGroup, key, namespace);
  }

  /** Written through as a delete (harmless for a key LevelDB does not have). */
  remove(state: string, keyGroup: number, key: StateKey, namespace: number): void {
    this.remember(state, namespace, key, ABSENT);
    this.markDirty(state, keyGroup, key, namespace);
  }

  /** Every entry of one state (e.g. to rebuild timers after a restore), read from the database. */
  async forEach<V>(state: string, action: (keyGroup: number, key: StateKey, namespace: number, value: V) => void): Promise<void> {
    await this.writeThrough();
    for await (const [k, v] of this.db.iterator()) {
      const decoded = decodeKey(k);
      if (decoded.state === state) action(decoded.keyGroup, decoded.key, decoded.namespace, values.unpack(v) as V);
    }
  }

  /** After a unit of work: writes the cache through when it has grown past its bounds. */
  async flush(): Promise<void> {
    if (this.dirtyCount >= MAX_DIRTY_ENTRIES || this.cached >= MAX_CACHED_ENTRIES) {
      await this.writeThrough();
      if (this.cached >= MAX_CACHED_ENTRIES) {
        this.cache.clear();
        this.cached = 0;
      }
    }
  }

  /**
   * The synchronous part of a snapshot: writes the cache through and takes a LevelDB snapshot. The returned function
   * is the asynchronous part — it writes the key groups into `<directory>/<fileName>` while processing goes on.
   */
  async snapshot(directory: string, fileName: string): Promise<() => Promise<KeyGroupsStateHandle>> {
    await this.writeThrough();
    const snapshot = this.db.snapshot();
    const range = this.keyGroupRange;
    return async () => {
      try {
        return await writeKeyGroups(this.db, snapshot, range, directory, fileName);
      } finally {
        await snapshot.close();
      }
    };
  }

  /** Loads the key groups of this backend's range from checkpoint files (before processing starts). */
  async restore(checkpointDirectory: string, handles: readonly KeyGroupsStateHandle[]): Promise<void> {
    for (const handle of handles) {
      if (!rangesIntersect(handle.keyGroupRange, this.keyGroupRange)) continue;
      const path = join(checkpointDirectory, handle.fileName);
      const bytes = await readFile(path);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      if (bytes.length !== handle.size || sha256 !== handle.sha256) {
        throw new Error(`State file ${path} does not match its checkpoint metadata (size ${bytes.length}, expected ${handle.size}; sha256 ${sha256}, expected ${handle.sha256}).`);
      }
      const first = Math.max(handle.keyGroupRange.startKeyGroup, this.keyGroupRange.startKeyGroup);
      const last = Math.min(handle.keyGroupRange.endKeyGroup, this.keyGroupRange.endKeyGroup);
      const from = handle.offsets[first - handle.keyGroupRange.startKeyGroup]!;
      const to = last === handle.keyGroupRange.endKeyGroup ? bytes.length : handle.offsets[last + 1 - handle.keyGroupRange.startKeyGroup]!;
      let batch = this.db.batch();
      let pending = 0;
      for (let at = from; at < to; ) {
        const keyLength = bytes.readUInt32BE(at);
        const key = bytes.subarray(at + 4, at + 4 + keyLength);
        at += 4 + keyLength;
        const valueLength = bytes.readUInt32BE(at);
        const value = bytes.subarray(at + 4, at + 4 + valueLength);
        at += 4 + valueLength;
        batch.put(Buffer.from(key), Buffer.from(value));
        if (++pending >= 10_000) {
          await batch.write();
          batch = this.db.batch();
          pending = 0;
        }
      }
      await batch.write();
    }
  }

  /** Closes the database and deletes it: the state of record is in the checkpoints. */
  async dispose(): Promise<void> {
    try {
      await this.db.close();
    } finally {
      await rm(this.directory, { recursive: true, force: true });
    }
  }

  private remember(state: string, namespace: number, key: StateKey, value: Cached): void {
    let byNamespace = this.cache.get(state);
    if (!byNamespace) this.cache.set(state, (byNamespace = new Map()));
    let byKey = byNamespace.get(namespace);
    if (!byKey) byNamespace.set(namespace, (byKey = new Map()));
    if (!byKey.has(key)) this.cached++;
    byKey.set(key, value);
  }

  private markDirty(state: string, keyGroup: number, key: StateKey, namespace: number): void {
    let byNamespace = this.dirty.get(state);
    if (!byNamespace) this.dirty.set(state, (byNamespace = new Map()));
    let byKey = byNamespace.get(namespace);
    if (!byKey) byNamespace.set(namespace, (byKey = new Map()));
    if (!byKey.has(key)) this.dirtyCount++;
    byKey.set(key, keyGroup);
  }

  private async writeThrough(): Promise<void> {
    if (this.dirtyCount === 0) return;
    const dirty = this.dirty;
    this.dirty = new Map();
    this.dirtyCount = 0;
    const batch = this.db.batch();
    for (const [state, byNamespace] of dirty) {
      const cachedNamespaces = this.cache.get(state);
      for (const [namespace, byKey] of byNamespace) {
        const cachedKeys = cachedNamespaces?.get(namespace);
        for (const [key, keyGroup] of byKey) {
          const value = cachedKeys?.get(key);
          const encoded = encodeKey(keyGroup, key, state, namespace);
          if (value === undefined || value === ABSENT) batch.del(encoded);
          else batch.put(encoded, values.pack(value));
        }
      }
    }
    await batch.write();
  }

  private checkKeyGroup(keyGroup: number): void {
    if (keyGroup < this.keyGroupRange.startKeyGroup || keyGroup > this.keyGroupRange.endKeyGroup) {
      throw new Error(
        `Key group ${keyGroup} is not in this subtask's range [${this.keyGroupRange.startKeyGroup}, ${this.keyGroupRange.endKeyGroup}]: records were partitioned for another parallelism.`,
      );
    }
  }
}

/**
 * `[key group u16][key][state length u8][state][namespace f64]`, all big-endian, where `[key]` is one of
 *
 * - tag 1: `[1][8 u16][f64]` — a number;
 * - tag 2: `[2][length u16][UTF-8]` — a string of at most 65 535 UTF-8 bytes (the only string form of 0.1.0: its
 *   savepoints' keys decode, and today's code encodes the same key to the same bytes, so restored state is found);
 * - tag 3: `[3][length u32][UTF-8]` — a longer string (the escape for keys a 16-bit length cannot hold);
 * - tag 4: `[4][length u32][UTF-16BE code units]` — a string that is not well-formed UTF-16 (lone surrogates), which
 *   UTF-8 cannot hold: encoding it as UTF-8 would turn every lone surrogate into U+FFFD, and distinct keys into one.
 *
 * Every form starts with the key group, so a key-group range is still one contiguous iterator range; within a key
 * group, entries sort by tag, then length, then bytes (nothing depends on that order).
 */
export function encodeKey(keyGroup: number, key: StateKey, state: string, namespace: number): Buffer {
  let tag: number;
  let keyBytes: Buffer;
  if (typeof key === 'number') {
    tag = KEY_NUMBER;
    keyBytes = numberBytes(key);
  } else if (isWellFormed(key)) {
    keyBytes = Buffer.from(key, 'utf8');
    tag = keyBytes.length <= MAX_SHORT_KEY_BYTES ? KEY_STRING : KEY_LONG_STRING;
  } else {
    tag = KEY_UTF16_STRING;
    keyBytes = Buffer.from(key, 'utf16le').swap16();
  }
  const stateBytes = Buffer.from(state, 'utf8');
  if (stateBytes.length > 0xff) throw new Error(`State name '${state.slice(0, 64)}…' is longer than 255 UTF-8 bytes.`);
  const lengthBytes = tag === KEY_NUMBER || tag === KEY_STRING ? 2 : 4;
  const out = Buffer.allocUnsafe(2 + 1 + lengthBytes + keyBytes.length + 1 + stateBytes.length + 8);
  let at = out.writeUInt16BE(keyGroup, 0);
  at = out.writeUInt8(tag, at);
  at = lengthBytes === 2 ? out.writeUInt16BE(keyBytes.length, at) : out.writeUInt32BE(keyBytes.length, at);
  at += keyBytes.copy(out, at);
  at = out.writeUInt8(stateBytes.length, at);
  at += stateBytes.copy(out, at);
  out.writeDoubleBE(namespace, at);
  return out;
}

export function decodeKey(bytes: Buffer): { keyGroup: number; key: StateKey; state: string; namespace: number } {
  const keyGroup = bytes.readUInt16BE(0);
  const tag = bytes.readUInt8(2);
  let keyLength: number;
  let at: number;
  if (tag === KEY_NUMBER || tag === KEY_STRING) {
    keyLength = bytes.readUInt16BE(3);
    at = 5;
  } else if (tag === KEY_LONG_STRING || tag === KEY_UTF16_STRING) {
    keyLength = bytes.readUInt32BE(3);
    at = 7;
  } else {
    throw new Error(`Unknown key tag ${tag} in a keyed state entry of key group ${keyGroup}.`);
  }
  const keyBytes = bytes.subarray(at, at + keyLength);
  let key: StateKey;
  if (tag === KEY_NUMBER) key = keyBytes.readDoubleBE(0);
  else if (tag === KEY_UTF16_STRING) key = Buffer.from(keyBytes).swap16().toString('utf16le');
  else key = keyBytes.toString('utf8');
  at += keyLength;
  const stateLength = bytes.readUInt8(at);
  const state = bytes.toString('utf8', at + 1, at + 1 + stateLength);
  const namespace = bytes.readDoubleBE(at + 1 + stateLength);
  return { keyGroup, key, state, namespace };
}

const KEY_NUMBER = 1;
const KEY_STRING = 2;
const KEY_LONG_STRING = 3;
const KEY_UTF16_STRING = 4;
/** The longest key (in UTF-8 bytes) of the 16-bit-length form. */
export const MAX_SHORT_KEY_BYTES = 0xffff;

/** String.prototype.isWellFormed (Node 20; not in the ES2023 typings): no lone surrogates. */
function isWellFormed(s: string): boolean {
  return (s as unknown as { isWellFormed(): boolean }).isWellFormed();
}

function numberBytes(n: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeDoubleBE(n, 0);
  return b;
}

function keyGroupPrefix(keyGroup: number): Buffer {
  const b = Buffer.allocUnsafe(2);
  b.writeUInt16BE(keyGroup, 0);
  return b;
}

async function writeKeyGroups(
  db: ClassicLevel<Buffer, Buffer>,
  snapshot: ReturnType<ClassicLevel<Buffer, Buffer>['snapshot']>,
  range: KeyGroupRange,
  directory: string,
  fileName: string,
): Promise<KeyGroupsStateHandle> {
  await mkdir(directory, { recursive: true });
  const file = await open(join(directory, fileName), 'wx');
  const hash = createHash('sha256');
  const offsets: number[] = [];
  let size = 0;
  let chunks: Buffer[] = [];
  let chunkBytes = 0;
  const writeChunks = async () => {
    if (chunkBytes === 0) return;
    const data = Buffer.concat(chunks, chunkBytes);
    hash.update(data);
    await file.write(data);
    chunks = [];
    chunkBytes = 0;
  };
  try {
    let nextGroup = range.startKeyGroup;
    const lt = range.endKeyGroup + 1 > 0xffff ? Buffer.from([0xff, 0xff, 0xff]) : keyGroupPrefix(range.endKeyGroup + 1);
    for await (const [key, value] of db.iterator({ gte: keyGroupPrefix(range.startKeyGroup), lt, snapshot })) {
      const group = key.readUInt16BE(0);
      while (nextGroup <= group) {
        offsets.push(size);
        nextGroup++;
      }
      const header = Buffer.allocUnsafe(4);
      header.writeUInt32BE(key.length, 0);
      const valueHeader = Buffer.allocUnsafe(4);
      valueHeader.writeUInt32BE(value.length, 0);
      chunks.push(header, key, valueHeader, value);
      const bytes = 8 + key.length + value.length;
      chunkBytes += bytes;
      size += bytes;
      if (chunkBytes >= WRITE_CHUNK_BYTES) await writeChunks();
    }
    while (nextGroup <= range.endKeyGroup) {
      offsets.push(size);
      nextGroup++;
    }
    await writeChunks();
    await file.sync();
  } finally {
    await file.close();
  }
  return { fileName, keyGroupRange: range, offsets, size, sha256: hash.digest('hex') };
}
