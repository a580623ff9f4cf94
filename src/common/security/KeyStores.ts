import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { IllegalConfigurationError } from '../errors.js';

/**
 * Reads Flink's key and trust stores into what Node's TLS takes. Node reads PKCS#12 key stores natively (`pfx`) and
 * PEM files; Java's JKS it cannot read (convert with `keytool -importkeystore -deststoretype PKCS12`). A PKCS#12
 * trust store holds certificates without a key, which Node's `pfx` refuses: those are converted with the `openssl`
 * command.
 */
export interface KeyStoreSpec {
  path: string;
  /** PKCS12 or PEM (case-insensitive). */
  type: string;
  storePassword?: string;
  keyPassword?: string;
}

export interface TrustStoreSpec {
  path: string;
  type: string;
  password?: string;
}

/** A process's TLS identity as Node's secure context options. */
export interface TlsIdentity {
  pfx?: Buffer;
  key?: Buffer;
  cert?: Buffer;
  passphrase?: string;
}

export function loadKeyStore(spec: KeyStoreSpec): TlsIdentity {
  const type = storeType(spec.type, spec.path);
  const content = readStore(spec.path, 'keystore');
  let identity: TlsIdentity;
  if (type === 'PKCS12') {
    if (spec.keyPassword !== undefined && spec.storePassword !== undefined && spec.keyPassword !== spec.storePassword) {
      throw new IllegalConfigurationError(
        `The PKCS#12 keystore ${spec.path} has a key password other than its store password; Node reads PKCS#12 with one password. Use the same password for both.`,
      );
    }
    identity = { pfx: content, passphrase: spec.storePassword ?? spec.keyPassword };
  } else {
    const text = content.toString('utf8');
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) throw new IllegalConfigurationError(`The PEM keystore ${spec.path} holds no private key.`);
    if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new IllegalConfigurationError(`The PEM keystore ${spec.path} holds no certificate.`);
    identity = { key: content, cert: content, passphrase: spec.keyPassword ?? spec.storePassword };
  }
  try {
    createSecureContext(identity);
  } catch (error) {
    throw new IllegalConfigurationError(`Could not read the keystore ${spec.path} (${type}): ${(error as Error).message}`, { cause: error });
  }
  return identity;
}

/** The certificates of a trust store, as PEM. */
export function loadTrustStore(spec: TrustStoreSpec): { ca: Buffer[] } {
  const type = storeType(spec.type, spec.path);
  const content = readStore(spec.path, 'truststore');
  const pem = type === 'PKCS12' ? pkcs12Certificates(spec) : content.toString('utf8');
  const certificates = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (certificates.length === 0) throw new IllegalConfigurationError(`The truststore ${spec.path} holds no certificate.`);
  const ca = certificates.map((c) => Buffer.from(`${c}\n`));
  try {
    createSecureContext({ ca });
  } catch (error) {
    throw new IllegalConfigurationError(`Could not read the truststore ${spec.path}: ${(error as Error).message}`, { cause: error });
  }
  return { ca };
}

function storeType(type: string, path: string): 'PKCS12' | 'PEM' {
  const normalized = type.trim().toUpperCase();
  if (normalized === 'PKCS12' || normalized === 'P12' || normalized === 'PFX') return 'PKCS12';
  if (normalized === 'PEM') return 'PEM';
  if (normalized === 'JKS') {
    throw new IllegalConfigurationError(
      `${path}: JKS stores cannot be read by tsflink (Node's TLS reads PKCS12 and PEM). Convert it: keytool -importkeystore -srckeystore ${path} -destkeystore store.p12 -deststoretype PKCS12, and set the store type to PKCS12.`,
    );
  }
  throw new IllegalConfigurationError(`${path}: unsupported store type '${type}' (tsflink reads PKCS12 and PEM).`);
}

function readStore(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new IllegalConfigurationError(`Could not read the ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
  }
}

function pkcs12Certificates(spec: TrustStoreSpec): string {
  try {
    // The password travels in the environment, not on a command line other users can read.
    return execFileSync('openssl', ['pkcs12', '-in', spec.path, '-nokeys', '-passin', 'env:TSFLINK_STORE_PASSWORD'], {
      env: { ...process.env, TSFLINK_STORE_PASSWORD: spec.password ?? '' },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    const reason = e.code === 'ENOENT' ? 'the openssl command is not installed' : (e.stderr?.trim().split('\n')[0] ?? e.message);
    throw new IllegalConfigurationError(
      `Could not read the PKCS#12 truststore ${spec.path}: ${reason}. A PEM truststore (type PEM) needs no openssl.`,
      { cause: error },
    );
  }
}
