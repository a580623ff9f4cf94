import { createPrivateKey, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';

/**
 * A self-signed X.509 certificate with an EC P-256 key, built with Node's crypto alone (Node can sign but has no
 * certificate builder): the DER is written here, the signature is Node's. tsflink generates one per cluster, used as
 * each process's identity and as the only trusted certificate, so only holders of its key can connect (Flink's docs
 * recommend the same for internal SSL, with keytool).
 */
export interface GeneratedCertificate {
  /** PKCS#8 PEM. */
  keyPem: string;
  certPem: string;
}

export interface CertificateRequest {
  commonName: string;
  /** DNS names of the subjectAltName extension. */
  dnsNames: readonly string[];
  /** From now; the certificate is valid from one hour ago to cope with clock skew. */
  validityDays: number;
  /** Defaults to the system clock. */
  now?: Date;
}

export function generateSelfSignedCertificate(request: CertificateRequest): GeneratedCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const certDer = selfSign(request, privateKey, publicKey);
  const certPem = toPem('CERTIFICATE', certDer);
  // Parsing it back is the check that the DER is well formed and the signature verifies.
  const parsed = new X509Certificate(certPem);
  if (!parsed.verify(publicKey)) throw new Error('The generated certificate does not verify with its own key.');
  return { keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, certPem };
}

/** Whether a PEM key and certificate belong together (the certificate's public key is the key's). */
export function keyMatchesCertificate(keyPem: string, certPem: string): boolean {
  const certificate = new X509Certificate(certPem);
  return certificate.checkPrivateKey(createPrivateKey(keyPem));
}

const OID = {
  commonName: '2.5.4.3',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

function selfSign(request: CertificateRequest, privateKey: KeyObject, publicKey: KeyObject): Buffer {
  const now = request.now ?? new Date();
  const notBefore = new Date(now.getTime() - 3_600_000);
  const notAfter = new Date(now.getTime() + request.validityDays * 86_400_000);
  const name = sequence(set(sequence(oid(OID.commonName), utf8String(request.commonName))));
  const algorithm = sequence(oid(OID.ecdsaWithSha256));
  // A positive 16-byte serial: the top bit cleared so that the INTEGER needs no sign byte.
  const serial = randomBytes(16);
  serial[0]! &= 0x7f;
  serial[0]! |= 0x01;
  const extensions = sequence(
    // CA:TRUE, critical: the certificate is its own (and the cluster's only) trust anchor.
    extension(OID.basicConstraints, true, sequence(tlv(0x01, Buffer.from([0xff])))),
    // digitalSignature (bit 0) and keyCertSign (bit 5), critical.
    extension(OID.keyUsage, true, tlv(0x03, Buffer.from([0x02, 0x84]))),
    extension(OID.extKeyUsage, false, sequence(oid(OID.serverAuth), oid(OID.clientAuth))),
    extension(OID.subjectAltName, false, sequence(...request.dnsNames.map((dns) => tlv(0x82, Buffer.from(dns, 'ascii'))))),
  );
  const tbs = sequence(
    tlv(0xa0, integer(Buffer.from([2]))), // version v3
    integer(serial),
    algorithm,
    name,
    sequence(time(notBefore), time(notAfter)),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    tlv(0xa3, extensions),
  );
  const signature = sign('sha256', tbs, privateKey); // DER-encoded ECDSA-Sig-Value, as X.509 wants
  return sequence(tbs, algorithm, bitString(signature));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? sequence(oid(id), tlv(0x01, Buffer.from([0xff])), octetString(value)) : sequence(oid(id), octetString(value));
}

function tlv(tag: number, content: Buffer): Buffer {
  const length = content.length;
  let header: Buffer;
  if (length < 0x80) header = Buffer.from([tag, length]);
  else {
    const bytes: number[] = [];
    for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
    header = Buffer.from([tag, 0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([header, content]);
}

function sequence(...items: Buffer[]): Buffer {
  return tlv(0x30, Buffer.concat(items));
}

function set(...items: Buffer[]): Buffer {
  return tlv(0x31, Buffer.concat(items));
}

function integer(value: Buffer): Buffer {
  return tlv(0x02, value[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), value]) : value);
}

function octetString(value: Buffer): Buffer {
  return tlv(0x04, value);
}

function bitString(value: Buffer): Buffer {
  return tlv(0x03, Buffer.concat([Buffer.from([0]), value]));
}

function utf8String(text: string): Buffer {
  return tlv(0x0c, Buffer.from(text, 'utf8'));
}

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const bytes = [parts[0]! * 40 + parts[1]!];
  for (const part of parts.slice(2)) {
    const base128: number[] = [];
    let n = part;
    do {
      base128.unshift(n & 0x7f);
      n = Math.floor(n / 128);
    } while (n > 0);
    for (let i = 0; i < base128.length - 1; i++) base128[i]! |= 0x80;
    bytes.push(...base128);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** UTCTime until 2049, GeneralizedTime from 2050 on (RFC 5280 4.1.2.5). */
function time(date: Date): Buffer {
  const iso = date.toISOString(); // 2026-12-02T22:28:49.123Z
  const digits = iso.slice(0, 19).replace(/[-:T]/g, '') + 'Z'; // 20261202222849Z
  return date.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(digits.slice(2), 'ascii')) : tlv(0x18, Buffer.from(digits, 'ascii'));
}

function toPem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
