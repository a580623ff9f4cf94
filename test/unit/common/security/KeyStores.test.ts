// Flink's key and trust stores as Node's TLS reads them: PKCS#12 and PEM, with clear errors for the rest.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { loadKeyStore, loadTrustStore } from '../../../../src/common/security/KeyStores.js';
import { generateSelfSignedCertificate } from '../../../../src/common/security/SelfSignedCertificate.js';

const dir = mkdtempSync(join(tmpdir(), 'tsflink-keystores-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const a = generateSelfSignedCertificate({ commonName: 'a', dnsNames: ['a'], validityDays: 1 });
const b = generateSelfSignedCertificate({ commonName: 'b', dnsNames: ['b'], validityDays: 1 });
const file = (name: string, content: string) => {
  writeFileSync(join(dir, name), content);
  return join(dir, name);
};

t.test('PEM stores: key and chain in one file; any number of trusted certificates', async (t) => {
  const identity = loadKeyStore({ path: file('both.pem', a.keyPem + a.certPem), type: 'pem' });
  t.ok(identity.key && identity.cert && !identity.pfx);
  t.throws(() => loadKeyStore({ path: file('cert-only.pem', a.certPem), type: 'PEM' }), /holds no private key/);
  t.throws(() => loadKeyStore({ path: file('key-only.pem', a.keyPem), type: 'PEM' }), /holds no certificate/);
  const { ca } = loadTrustStore({ path: file('trust.pem', a.certPem + b.certPem), type: 'PEM' });
  t.equal(ca.length, 2);
  t.throws(() => loadTrustStore({ path: file('empty.pem', 'nothing'), type: 'PEM' }), /holds no certificate/);
});

t.test('PKCS#12 stores, with their passwords', { skip: !hasOpenssl() && 'needs openssl' }, async (t) => {
  const p12 = join(dir, 'key.p12');
  execFileSync('openssl', ['pkcs12', '-export', '-inkey', file('a.key', a.keyPem), '-in', file('a.crt', a.certPem), '-out', p12, '-passout', 'pass:pw']);
  t.ok(loadKeyStore({ path: p12, type: 'PKCS12', storePassword: 'pw' }).pfx);
  t.throws(() => loadKeyStore({ path: p12, type: 'PKCS12', storePassword: 'wrong' }), /Could not read the keystore .*key\.p12 \(PKCS12\)/);
  t.throws(() => loadKeyStore({ path: p12, type: 'PKCS12', storePassword: 'pw', keyPassword: 'other' }), /one password/);

  const trust = join(dir, 'trust.p12');
  execFileSync('openssl', ['pkcs12', '-export', '-nokeys', '-in', join(dir, 'a.crt'), '-out', trust, '-passout', 'pass:tp']);
  const { ca } = loadTrustStore({ path: trust, type: 'PKCS12', password: 'tp' });
  t.equal(ca.length, 1);
  t.equal(ca[0]!.toString().trim(), a.certPem.trim(), 'the certificate comes out as it went in');
  t.throws(() => loadTrustStore({ path: trust, type: 'PKCS12', password: 'wrong' }), /Could not read the PKCS#12 truststore/);
});

t.test('unreadable and unsupported stores name the file and what to do', async (t) => {
  t.throws(() => loadKeyStore({ path: join(dir, 'missing.p12'), type: 'PKCS12' }), /Could not read the keystore .*missing\.p12: ENOENT/);
  t.throws(() => loadTrustStore({ path: join(dir, 'trust.pem'), type: 'JKS' }), /JKS stores cannot be read by tsflink .*-deststoretype PKCS12/);
  t.throws(() => loadTrustStore({ path: join(dir, 'trust.pem'), type: 'BKS' }), /unsupported store type 'BKS'/);
});

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
