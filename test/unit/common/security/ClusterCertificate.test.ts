// The cluster certificate: generated once per cluster, shared through the file, race-free when processes start at once.
import { X509Certificate } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import t, { type Test } from 'tap';
import { CLUSTER_CERTIFICATE_NAME, loadOrCreateClusterCertificate } from '../../../../src/common/security/ClusterCertificate.js';
import { generateSelfSignedCertificate, keyMatchesCertificate } from '../../../../src/common/security/SelfSignedCertificate.js';

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsflink-cluster-cert-'));
  t.teardown(() => import('node:fs').then(({ rmSync }) => rmSync(dir, { recursive: true, force: true })));
  return dir;
}

t.test('a generated certificate is a valid self-signed P-256 certificate for both TLS ends', async (t) => {
  const now = new Date('2026-12-02T12:00:00Z');
  const { keyPem, certPem } = generateSelfSignedCertificate({ commonName: 'tsflink cluster', dnsNames: ['tsflink-cluster', 'x.example'], validityDays: 10, now });
  const certificate = new X509Certificate(certPem);
  t.equal(certificate.subject, 'CN=tsflink cluster');
  t.equal(certificate.issuer, certificate.subject, 'self-signed');
  t.ok(certificate.verify(certificate.publicKey), 'its own key verifies its signature');
  t.equal(certificate.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  t.equal(certificate.subjectAltName, 'DNS:tsflink-cluster, DNS:x.example');
  t.ok(certificate.ca, 'it is its own trust anchor');
  t.same(certificate.keyUsage?.sort(), ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'], 'server and client authentication');
  t.equal(new Date(certificate.validFrom).getTime(), now.getTime() - 3_600_000, 'valid from an hour before, for skewed clocks');
  t.equal(new Date(certificate.validTo).getTime(), now.getTime() + 10 * 86_400_000);
  t.ok(keyMatchesCertificate(keyPem, certPem));
  const other = generateSelfSignedCertificate({ commonName: 'other', dnsNames: ['other'], validityDays: 1 });
  t.notOk(keyMatchesCertificate(other.keyPem, certPem));
  t.not(other.certPem, certPem, 'every generation has its own key and serial');
});

t.test('the first start generates the certificate into a private file; later starts read the same one', async (t) => {
  const dir = join(tempDir(t), 'cluster-certificate');
  const first = loadOrCreateClusterCertificate(dir);
  t.ok(first.created);
  t.equal(first.file, join(dir, 'cluster.pem'));
  t.equal(statSync(dir).mode & 0o777, 0o700, 'the directory is private');
  t.equal(statSync(first.file).mode & 0o777, 0o600, 'the file is private');
  t.match(new X509Certificate(first.certPem).subjectAltName, CLUSTER_CERTIFICATE_NAME);
  const second = loadOrCreateClusterCertificate(dir);
  t.notOk(second.created);
  t.equal(second.certPem, first.certPem);
  t.equal(second.keyPem, first.keyPem);
  t.same(readdirSync(dir), ['cluster.pem'], 'no candidate file is left behind');
});

t.test('processes starting at once all end up with one certificate', async (t) => {
  const dir = join(tempDir(t), 'cluster-certificate');
  const moduleUrl = new URL('../../../../src/common/security/ClusterCertificate.ts', import.meta.url).href;
  const source = `
    const { workerData, parentPort } = await import('node:worker_threads');
    const { loadOrCreateClusterCertificate } = await import(workerData.moduleUrl);
    parentPort.postMessage(loadOrCreateClusterCertificate(workerData.dir).certPem);`;
  const results = await Promise.all(
    Array.from({ length: 6 }, () => new Promise<string>((resolve, reject) => {
      const worker = new Worker(source, { eval: true, workerData: { moduleUrl, dir }, execArgv: process.execArgv });
      worker.once('message', resolve);
      worker.once('error', reject);
    })),
  );
  t.equal(new Set(results).size, 1, 'every starter reads the winner');
  t.same(readdirSync(dir), ['cluster.pem']);
});

t.test('a damaged or foreign cluster certificate file fails the start with its path', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'cluster.pem'), 'not a certificate');
  t.throws(() => loadOrCreateClusterCertificate(dir), /cluster\.pem must hold a PEM private key and a PEM certificate/);
  const a = generateSelfSignedCertificate({ commonName: 'a', dnsNames: ['a'], validityDays: 1 });
  const b = generateSelfSignedCertificate({ commonName: 'b', dnsNames: ['b'], validityDays: 1 });
  writeFileSync(join(dir, 'cluster.pem'), a.keyPem + b.certPem);
  t.throws(() => loadOrCreateClusterCertificate(dir), /does not belong to its certificate/);

  const linked = tempDir(t);
  writeFileSync(join(linked, 'elsewhere.pem'), a.keyPem + a.certPem);
  symlinkSync(join(linked, 'elsewhere.pem'), join(linked, 'cluster.pem'));
  t.throws(() => loadOrCreateClusterCertificate(linked), /is not a regular file/, 'a symlink is not followed');
});

t.test('a readable-by-others file is made private again', async (t) => {
  const dir = tempDir(t);
  const { file } = loadOrCreateClusterCertificate(dir);
  chmodSync(file, 0o644);
  loadOrCreateClusterCertificate(dir);
  t.equal(statSync(file).mode & 0o777, 0o600);
  t.match(readFileSync(file, 'utf8'), /BEGIN PRIVATE KEY/);
});
