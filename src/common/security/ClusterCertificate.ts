import { chmodSync, closeSync, linkSync, lstatSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { IllegalConfigurationError } from '../errors.js';
import { randomHex } from '../ids.js';
import { generateSelfSignedCertificate, keyMatchesCertificate } from './SelfSignedCertificate.js';

/** The DNS name in the generated certificate; clients ask for it (TLS server name) whatever address they dial. */
export const CLUSTER_CERTIFICATE_NAME = 'tsflink-cluster';
/** The file in `security.internal.cluster-certificate.dir`: the PKCS#8 key, then the certificate, both PEM. */
export const CLUSTER_CERTIFICATE_FILE = 'cluster.pem';

const VALIDITY_DAYS = 3650;

export interface ClusterCertificate {
  file: string;
  keyPem: string;
  certPem: string;
  /** Whether this process created it. */
  created: boolean;
}

/**
 * The cluster's own certificate: read from `directory`, or generated there when the first process of the cluster
 * starts. Several processes may start at once: each writes its candidate to a private file and links it into place;
 * linking fails for all but the first, and those read the winner's. The directory is private to the user (0700), the
 * file is 0600: whoever can read it is a member of the cluster.
 */
export function loadOrCreateClusterCertificate(directory: string): ClusterCertificate {
  const file = join(directory, CLUSTER_CERTIFICATE_FILE);
  let created = false;
  if (!exists(file)) {
    try {
      mkdirSync(directory, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw new IllegalConfigurationError(
        `Could not create the cluster certificate directory ${directory} (security.internal.cluster-certificate.dir): ${(error as Error).message}`,
        { cause: error },
      );
    }
    const generated = generateSelfSignedCertificate({ commonName: 'tsflink cluster', dnsNames: [CLUSTER_CERTIFICATE_NAME], validityDays: VALIDITY_DAYS });
    const candidate = join(directory, `.${CLUSTER_CERTIFICATE_FILE}.${process.pid}.${randomHex(4)}`);
    const fd = openSync(candidate, 'wx', 0o600);
    try {
      writeSync(fd, generated.keyPem + generated.certPem);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(candidate, file);
      created = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      unlinkSync(candidate);
    }
  }
  return { file, created, ...readClusterCertificate(file) };
}

function readClusterCertificate(file: string): { keyPem: string; certPem: string } {
  const stat = lstatSync(file);
  if (!stat.isFile()) throw new IllegalConfigurationError(`The cluster certificate ${file} is not a regular file.`);
  if ((stat.mode & 0o077) !== 0) chmodSync(file, 0o600);
  const text = readFileSync(file, 'utf8');
  const keyPem = text.match(/-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----\n?/)?.[0];
  const certPem = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/)?.[0];
  if (!keyPem || !certPem) throw new IllegalConfigurationError(`The cluster certificate ${file} must hold a PEM private key and a PEM certificate.`);
  if (!keyMatchesCertificate(keyPem, certPem)) throw new IllegalConfigurationError(`The key in ${file} does not belong to its certificate.`);
  return { keyPem, certPem };
}

function exists(file: string): boolean {
  try {
    lstatSync(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
