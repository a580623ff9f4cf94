import { randomBytes } from 'node:crypto';

/** Lower-case hex of `bytes` random bytes: 16 bytes give Flink's 32-character JobID / AllocationID form. */
export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/** The form of every id tsflink generates (job, vertex, attempt, allocation ids): 32 lower-case hex digits. */
export const ID_PATTERN = /^[0-9a-f]{32}$/;
