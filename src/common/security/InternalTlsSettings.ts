import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import type { SecureVersion } from 'node:tls';
import type { Configuration } from '../config/Configuration.js';
import { SecurityOptions } from '../config/options.js';
import { IllegalConfigurationError } from '../errors.js';
import { CLUSTER_CERTIFICATE_NAME, loadOrCreateClusterCertificate } from './ClusterCertificate.js';
import { loadKeyStore, loadTrustStore, type TlsIdentity } from './KeyStores.js';
import { cipherSuites, pinnedFingerprints, tlsProtocol } from './tlsConfiguration.js';

/**
 * How this process authenticates the cluster's internal connections (RPC and the data plane) and is authenticated by
 * them: always mutual TLS. With `security.ssl.internal.enabled` the configured key and trust stores are used (Flink's
 * keys); without it, the cluster's generated certificate is both identity and sole trusted certificate.
 */
export interface InternalTlsSettings {
  identity: TlsIdentity;
  /** The certificates a peer's certificate must chain to. */
  ca: Buffer[];
  /** Upper-case hex fingerprints (SHA-1 or SHA-256, no separators) a peer must present one of; empty: no pinning. */
  pinnedFingerprints: string[];
  /**
   * The TLS server name clients ask for and check: the generated certificate's name (any address may be dialled, the
   * key proves membership); undefined: the address dialled, checked against the certificate when `verifyHostname`.
   */
  serverName: string | undefined;
  verifyHostname: boolean;
  minVersion: SecureVersion;
  ciphers: string | undefined;
  handshakeTimeoutMs: number;
  sessionTimeoutMs: number;
  /** What to log at start-up: where the material came from. */
  description: string;
}

export function internalTlsSettings(config: Configuration, configDirectory: string): InternalTlsSettings {
  checkSupportedSecurityOptions(config);
  const common = {
    pinnedFingerprints: pinnedFingerprints(config, SecurityOptions.SSL_INTERNAL_CERT_FINGERPRINT),
    minVersion: tlsProtocol(config),
    ciphers: cipherSuites(config),
    handshakeTimeoutMs: config.get(SecurityOptions.SSL_INTERNAL_HANDSHAKE_TIMEOUT),
    sessionTimeoutMs: config.get(SecurityOptions.SSL_INTERNAL_SESSION_TIMEOUT),
  };
  if (internalSslEnabled(config)) {
    const keystore = required(SecurityOptions.SSL_INTERNAL_KEYSTORE.key, config.get(SecurityOptions.SSL_INTERNAL_KEYSTORE));
    const truststore = required(SecurityOptions.SSL_INTERNAL_TRUSTSTORE.key, config.get(SecurityOptions.SSL_INTERNAL_TRUSTSTORE));
    const identity = loadKeyStore({
      path: keystore,
      type: config.get(SecurityOptions.SSL_INTERNAL_KEYSTORE_TYPE),
      storePassword: config.get(SecurityOptions.SSL_INTERNAL_KEYSTORE_PASSWORD),
      keyPassword: config.get(SecurityOptions.SSL_INTERNAL_KEY_PASSWORD),
    });
    const { ca } = loadTrustStore({
      path: truststore,
      type: config.get(SecurityOptions.SSL_INTERNAL_TRUSTSTORE_TYPE),
      password: config.get(SecurityOptions.SSL_INTERNAL_TRUSTSTORE_PASSWORD),
    });
    return {
      ...common,
      identity,
      ca,
      serverName: undefined,
      verifyHostname: config.get(SecurityOptions.SSL_VERIFY_HOSTNAME),
      description: `mutual TLS with keystore ${keystore} and truststore ${truststore}`,
    };
  }
  const directory = config.get(SecurityOptions.CLUSTER_CERTIFICATE_DIR) ?? join(configDirectory, 'cluster-certificate');
  const certificate = loadOrCreateClusterCertificate(directory);
  return {
    ...common,
    identity: { key: Buffer.from(certificate.keyPem), cert: Buffer.from(certificate.certPem) },
    ca: [Buffer.from(certificate.certPem)],
    serverName: CLUSTER_CERTIFICATE_NAME,
    verifyHostname: false,
    description: `mutual TLS with the cluster certificate ${certificate.file}${certificate.created ? ' (generated now)' : ''}, SHA-256 fingerprint ${new X509Certificate(certificate.certPem).fingerprint256}`,
  };
}

export function internalSslEnabled(config: Configuration): boolean {
  return config.get(SecurityOptions.SSL_INTERNAL_ENABLED) || config.get(SecurityOptions.SSL_ENABLED);
}

/**
 * Security options tsflink cannot honour fail the start instead of being ignored: Kerberos, other SSL providers,
 * protocols Node's TLS will not speak.
 */
export function checkSupportedSecurityOptions(config: Configuration): void {
  for (const [key] of config.toMap()) {
    if (key.startsWith('security.kerberos.') || key.startsWith('zookeeper.sasl.') || key === 'security.module.factory.classes') {
      throw new IllegalConfigurationError(`${key} is set, but tsflink does not support Kerberos/SASL security modules; remove the key (docs/security.md lists what is supported).`);
    }
  }
  const provider = config.get(SecurityOptions.SSL_PROVIDER).trim().toUpperCase();
  if (provider !== 'JDK' && provider !== 'OPENSSL') {
    throw new IllegalConfigurationError(`${SecurityOptions.SSL_PROVIDER.key}: unsupported provider '${provider}' (JDK or OPENSSL; tsflink always uses Node's OpenSSL).`);
  }
  tlsProtocol(config);
}

function required(key: string, value: string | undefined): string {
  if (value === undefined || value.trim() === '') {
    throw new IllegalConfigurationError(`security.ssl.internal.enabled is true but ${key} is not set.`);
  }
  return value;
}
