/**
 * Keys → key groups → subtasks, as Flink's KeyGroupRangeAssignment: keyGroup = murmur(hash(key)) mod maxParallelism,
 * and subtask = keyGroup × parallelism ÷ maxParallelism, so each subtask owns one contiguous key-group range and a
 * rescaled job reads exactly the ranges it now owns.
 */

/** A stable 32-bit hash of a key (Java's String.hashCode for strings, so keys spread as in Flink). */
export function keyHash(key: string | number): number {
  if (typeof key === 'number') {
    if (Number.isInteger(key) && key >= -2147483648 && key <= 2147483647) return key | 0;
    key = String(key);
  }
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (Math.imul(31, h) + key.charCodeAt(i)) | 0;
  return h;
}

/** Flink's MathUtils.murmurHash (one round of murmur3's mixing on an int), non-negative. */
export function murmurHash(code: number): number {
  let h = Math.imul(code, 0xcc9e2d51);
  h = (h << 15) | (h >>> 17);
  h = Math.imul(h, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  h ^= 4;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  if (h >= 0) return h;
  return h === -2147483648 ? 0 : -h;
}

export function assignToKeyGroup(key: string | number, maxParallelism: number): number {
  return murmurHash(keyHash(key)) % maxParallelism;
}

export function computeOperatorIndexForKeyGroup(maxParallelism: number, parallelism: number, keyGroup: number): number {
  return Math.floor((keyGroup * parallelism) / maxParallelism);
}

/** The key groups [start, end] (inclusive) owned by one subtask. */
export interface KeyGroupRange {
  startKeyGroup: number;
  endKeyGroup: number;
}

export function computeKeyGroupRangeForOperatorIndex(maxParallelism: number, parallelism: number, operatorIndex: number): KeyGroupRange {
  return {
    startKeyGroup: Math.floor((operatorIndex * maxParallelism + parallelism - 1) / parallelism),
    endKeyGroup: Math.floor(((operatorIndex + 1) * maxParallelism - 1) / parallelism),
  };
}
