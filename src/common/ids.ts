import { randomBytes } from 'node:crypto';

/** Lower-case hex of `bytes` random bytes: 16 bytes give Flink's 32-character JobID / AllocationID form. */
export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}
