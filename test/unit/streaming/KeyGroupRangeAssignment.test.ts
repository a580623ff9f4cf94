import t from 'tap';
import {
  assignToKeyGroup,
  computeKeyGroupRangeForOperatorIndex,
  computeOperatorIndexForKeyGroup,
  keyHash,
  murmurHash,
} from '../../../src/state/KeyGroupRangeAssignment.js';

t.test('hashes match Java: String.hashCode and Flink MathUtils.murmurHash', async (t) => {
  t.equal(keyHash('/help'), 46_604_272, "'/help'.hashCode()");
  t.equal(keyHash(''), 0);
  t.equal(keyHash(7), 7, 'ints hash to themselves, as Integer.hashCode');
  t.ok(murmurHash(-2147483648) >= 0);
  for (let i = -1000; i < 1000; i += 7) t.ok(murmurHash(i) >= 0, 'never negative');
});

t.test('every key group belongs to exactly one subtask, in contiguous ranges', async (t) => {
  for (const [max, p] of [[128, 2], [128, 3], [128, 7], [4, 4]] as const) {
    let next = 0;
    for (let i = 0; i < p; i++) {
      const range = computeKeyGroupRangeForOperatorIndex(max, p, i);
      t.equal(range.startKeyGroup, next, `max ${max} p ${p} subtask ${i} starts where the previous ended`);
      for (let kg = range.startKeyGroup; kg <= range.endKeyGroup; kg++) t.equal(computeOperatorIndexForKeyGroup(max, p, kg), i);
      next = range.endKeyGroup + 1;
    }
    t.equal(next, max);
  }
  const groups = new Set(['/help', '/index', '/shop', '/jobs', '/about', '/news'].map((p) => assignToKeyGroup(p, 128)));
  t.ok([...groups].every((g) => g >= 0 && g < 128));
});
