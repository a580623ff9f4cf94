import type { SecureVersion } from 'node:tls';
import type { ConfigOption } from '../config/ConfigOption.js';
import type { Configuration } from '../config/Configuration.js';
import { SecurityOptions } from '../config/options.js';
import { IllegalConfigurationError } from '../errors.js';

/** What internal and REST TLS read alike: the lowest protocol version, the cipher suites, and pinned fingerprints. */

/** `security.ssl.protocol`: TLSv1.2 (Flink's default) or TLSv1.3. */
export function tlsProtocol(config: Configuration): SecureVersion {
  const value = config.get(SecurityOptions.SSL_PROTOCOL).trim();
  if (value === 'TLSv1.2' || value === 'TLSv1.3') return value;
  throw new IllegalConfigurationError(`${SecurityOptions.SSL_PROTOCOL.key}: unsupported protocol '${value}' (TLSv1.2 or TLSv1.3).`);
}

/** `security.ssl.algorithms`: Flink lists suites comma-separated, OpenSSL takes them colon-separated; undefined: Node's. */
export function cipherSuites(config: Configuration): string | undefined {
  const value = config.get(SecurityOptions.SSL_ALGORITHMS);
  if (value === undefined || value.trim() === '') return undefined;
  return value
    .split(',')
    .map((suite) => suite.trim())
    .filter((suite) => suite !== '')
    .join(':');
}

/** A `*.cert.fingerprint` key: comma-separated SHA-1 or SHA-256 fingerprints (hex, colons allowed), normalized. */
export function pinnedFingerprints(config: Configuration, option: ConfigOption<string | undefined>): string[] {
  const value = config.get(option);
  if (value === undefined || value.trim() === '') return [];
  return value.split(',').map((raw) => {
    const fingerprint = normalizeFingerprint(raw);
    if (!/^[0-9A-F]{40}$|^[0-9A-F]{64}$/.test(fingerprint)) {
      throw new IllegalConfigurationError(`${option.key}: '${raw.trim()}' is not a SHA-1 or SHA-256 fingerprint (hex, colons allowed).`);
    }
    return fingerprint;
  });
}

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
