/** Upper-case hex without separators: how certificate fingerprints (SHA-1 or SHA-256) are compared. */
export function normalizeFingerprint(value: string): string {
  return value.replace(/[:\s-]/g, '').toUpperCase();
}

/** Whether a certificate's SHA-1 or SHA-256 fingerprint is among `pinned` (normalized); true when nothing is pinned. */
export function matchesFingerprint(pinned: readonly string[], certificate: { fingerprint?: string; fingerprint256?: string } | undefined): boolean {
  if (pinned.length === 0) return true;
  if (!certificate) return false;
  return [certificate.fingerprint, certificate.fingerprint256].some((f) => f !== undefined && f !== '' && pinned.includes(normalizeFingerprint(f)));
}
