import type { SecureVersion } from 'node:tls';
import type { Configuration } from '../config/Configuration.js';
import { SecurityOptions } from '../config/options.js';
import { IllegalConfigurationError } from '../errors.js';
import { loadKeyStore, loadTrustStore, type TlsIdentity } from '../security/KeyStores.js';
import { cipherSuites, pinnedFingerprints, tlsProtocol } from '../security/tlsConfiguration.js';
import type { TlsClientOptions } from './HttpClient.js';

/**
 * TLS of the REST endpoint (Flink's `security.ssl.rest.*`): whether it is on, what the server presents and asks for,
 * and what a REST client (the CLI) trusts and presents. Key and trust stores are PKCS12 or PEM.
 */

/** REST SSL is on with `security.ssl.rest.enabled` or the deprecated umbrella `security.ssl.enabled` (as in Flink). */
export function isRestSslEnabled(config: Configuration): boolean {
  return config.get(SecurityOptions.SSL_REST_ENABLED) || config.get(SecurityOptions.SSL_ENABLED);
}

/** Whether REST clients must present a certificate of the truststore (mutual TLS). */
export function isRestSslAuthenticationEnabled(config: Configuration): boolean {
  return isRestSslEnabled(config) && config.get(SecurityOptions.SSL_REST_AUTHENTICATION_ENABLED);
}

export interface RestServerTls extends TlsIdentity {
  ca?: Buffer[];
  requestCert: boolean;
  rejectUnauthorized: boolean;
  minVersion: SecureVersion;
  ciphers?: string;
  /** Client certificates must match one of these (normalized) fingerprints, when any; only with mutual TLS. */
  pinnedFingerprints: string[];
}

/** What the REST server needs for HTTPS: its keystore, and with mutual TLS the truststore clients must chain to. */
export function restServerTls(config: Configuration): RestServerTls {
  const keystore = required(config, SecurityOptions.SSL_REST_KEYSTORE.key, config.get(SecurityOptions.SSL_REST_KEYSTORE), 'the REST server needs its keystore');
  const identity = loadKeyStore({
    path: keystore,
    type: config.get(SecurityOptions.SSL_REST_KEYSTORE_TYPE),
    storePassword: config.get(SecurityOptions.SSL_REST_KEYSTORE_PASSWORD),
    keyPassword: config.get(SecurityOptions.SSL_REST_KEY_PASSWORD),
  });
  const authentication = isRestSslAuthenticationEnabled(config);
  let ca: Buffer[] | undefined;
  if (authentication) {
    const truststore = required(config, SecurityOptions.SSL_REST_TRUSTSTORE.key, config.get(SecurityOptions.SSL_REST_TRUSTSTORE), 'mutual TLS needs the certificates clients must present');
    ca = loadTrustStore({ path: truststore, type: config.get(SecurityOptions.SSL_REST_TRUSTSTORE_TYPE), password: config.get(SecurityOptions.SSL_REST_TRUSTSTORE_PASSWORD) }).ca;
  }
  return {
    ...identity,
    ...(ca ? { ca } : {}),
    requestCert: authentication,
    rejectUnauthorized: authentication,
    minVersion: tlsProtocol(config),
    ...(cipherSuites(config) ? { ciphers: cipherSuites(config) } : {}),
    pinnedFingerprints: authentication ? pinnedFingerprints(config, SecurityOptions.SSL_REST_CERT_FINGERPRINT) : [],
  };
}

/**
 * What a REST client uses against an HTTPS endpoint, or undefined when REST SSL is off: the truststore's certificates to
 * verify the server (Node's default CAs without one), the keystore with mutual TLS, `security.ssl.verify-hostname`
 * and `security.ssl.rest.cert.fingerprint` pinning (with pinning and no truststore, the fingerprint alone decides).
 */
export function restClientTls(config: Configuration): TlsClientOptions | undefined {
  if (!isRestSslEnabled(config)) return undefined;
  const fingerprints = pinnedFingerprints(config, SecurityOptions.SSL_REST_CERT_FINGERPRINT);
  const truststore = config.get(SecurityOptions.SSL_REST_TRUSTSTORE);
  const ca = truststore
    ? loadTrustStore({ path: truststore, type: config.get(SecurityOptions.SSL_REST_TRUSTSTORE_TYPE), password: config.get(SecurityOptions.SSL_REST_TRUSTSTORE_PASSWORD) }).ca
    : undefined;
  let identity: TlsIdentity = {};
  if (isRestSslAuthenticationEnabled(config)) {
    const keystore = required(config, SecurityOptions.SSL_REST_KEYSTORE.key, config.get(SecurityOptions.SSL_REST_KEYSTORE), 'mutual TLS needs the certificate the client presents');
    identity = loadKeyStore({
      path: keystore,
      type: config.get(SecurityOptions.SSL_REST_KEYSTORE_TYPE),
      storePassword: config.get(SecurityOptions.SSL_REST_KEYSTORE_PASSWORD),
      keyPassword: config.get(SecurityOptions.SSL_REST_KEY_PASSWORD),
    });
  }
  return {
    ...identity,
    ...(ca ? { ca } : {}),
    verifyHostname: config.get(SecurityOptions.SSL_VERIFY_HOSTNAME),
    fingerprints,
    trustFingerprintsOnly: fingerprints.length > 0 && ca === undefined,
    minVersion: tlsProtocol(config),
    ...(cipherSuites(config) ? { ciphers: cipherSuites(config) } : {}),
  };
}

function required(config: Configuration, key: string, value: string | undefined, why: string): string {
  if (value === undefined || value.trim() === '') {
    const cause = config.get(SecurityOptions.SSL_REST_ENABLED) ? SecurityOptions.SSL_REST_ENABLED.key : SecurityOptions.SSL_ENABLED.key;
    throw new IllegalConfigurationError(`${cause} is true but ${key} is not set (${why}).`);
  }
  return value;
}
