import { timingSafeEqual } from 'node:crypto';

/**
 * Whether a presented secret (a registration id, a subscription secret) is the expected one, compared in constant time
 * so that its bytes cannot be guessed one by one from response times. An empty expected secret matches nothing.
 */
export function secretsEqual(expected: string, presented: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(String(presented));
  return a.length === b.length && a.length > 0 && timingSafeEqual(a, b);
}
