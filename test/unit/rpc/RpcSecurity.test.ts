// Internal mutual TLS over real gRPC on loopback: members of the cluster talk, strangers fail the handshake, Flink's
// key/trust store keys work, and options tsflink cannot honour fail the start.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { credentials, makeGenericClientConstructor, Metadata, status, type ChannelCredentials, type ChannelOptions, type Server, type ServiceError, type ServiceDefinition } from '@grpc/grpc-js';
import t, { type Test } from 'tap';
import { Configuration } from '../../../src/common/config/Configuration.js';
import { SecurityOptions } from '../../../src/common/config/options.js';
import { checkSupportedSecurityOptions, internalTlsSettings } from '../../../src/common/security/InternalTlsSettings.js';
import { generateSelfSignedCertificate } from '../../../src/common/security/SelfSignedCertificate.js';
import { RpcSecurity } from '../../../src/rpc/RpcSecurity.js';
import { bindServer, shutdownServer } from '../../../src/rpc/RpcService.js';

t.setTimeout(20_000);

/** A one-method service, enough to see whether a call gets through. */
const ECHO: ServiceDefinition = {
  echo: {
    path: '/test.Echo/Echo',
    requestStream: false,
    responseStream: false,
    requestSerialize: (value: Buffer) => value,
    requestDeserialize: (bytes: Buffer) => bytes,
    responseSerialize: (value: Buffer) => value,
    responseDeserialize: (bytes: Buffer) => bytes,
  },
};
const EchoClient = makeGenericClientConstructor(ECHO, 'Echo');

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsflink-rpc-security-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function serve(t: Test, security: RpcSecurity): Promise<{ address: string; calls: () => number }> {
  let calls = 0;
  const server: Server = security.createServer();
  server.addService(ECHO, {
    echo: (call: { request: Buffer }, callback: (error: null, value: Buffer) => void) => {
      calls++;
      callback(null, call.request);
    },
  });
  const port = await bindServer(server, '127.0.0.1', 0, security.serverCredentials());
  t.teardown(() => shutdownServer(server, 100));
  return { address: `127.0.0.1:${port}`, calls: () => calls };
}

function echo(address: string, channelCredentials: ChannelCredentials, options: ChannelOptions = {}): Promise<string> {
  const client = new EchoClient(address, channelCredentials, options);
  return new Promise<string>((resolve, reject) => {
    client.makeUnaryRequest('/test.Echo/Echo', (v: Buffer) => v, (b: Buffer) => b, Buffer.from('ping'), new Metadata(), { deadline: Date.now() + 5000 }, (error: ServiceError | null, value?: Buffer) => {
      client.close();
      if (error) reject(error);
      else resolve(value!.toString());
    });
  });
}

function clusterSecurity(directory: string, extra: Record<string, string> = {}): RpcSecurity {
  const config = new Configuration(Object.entries(extra)).set(SecurityOptions.CLUSTER_CERTIFICATE_DIR, directory);
  return new RpcSecurity(internalTlsSettings(config, '/nonexistent-conf'));
}

t.test('members of the cluster (holders of the cluster certificate) call each other, whatever address they dial', async (t) => {
  const dir = tempDir(t);
  const server = await serve(t, clusterSecurity(dir));
  const member = clusterSecurity(dir);
  t.equal(await echo(server.address, member.channelCredentials(), member.channelOptions()), 'ping');
  const byName = server.address.replace('127.0.0.1', 'localhost');
  t.equal(await echo(byName, member.channelCredentials(), member.channelOptions()), 'ping', 'no host name check against the dialled address');
  t.equal(server.calls(), 2);
});

t.test('strangers fail the handshake before any call is read', async (t) => {
  const dir = tempDir(t);
  const server = await serve(t, clusterSecurity(dir));
  const plaintext = await echo(server.address, credentials.createInsecure()).catch((e: ServiceError) => e);
  t.equal((plaintext as ServiceError).code, status.UNAVAILABLE, 'plaintext HTTP/2 gets nowhere');

  const member = clusterSecurity(dir);
  const noClientCertificate = credentials.createSsl(Buffer.from(member.settings.ca[0]!));
  const anonymous = await echo(server.address, noClientCertificate, member.channelOptions()).catch((e: ServiceError) => e);
  t.equal((anonymous as ServiceError).code, status.UNAVAILABLE, 'TLS without a client certificate is refused');

  const foreign = clusterSecurity(tempDir(t)); // another cluster: its own generated certificate
  const other = await echo(server.address, foreign.channelCredentials(), foreign.channelOptions()).catch((e: ServiceError) => e);
  t.equal((other as ServiceError).code, status.UNAVAILABLE, "another cluster's certificate is refused");
  t.equal(server.calls(), 0, 'no call reached the service');
});

t.test("Flink's keys: a PKCS#12 keystore and a PEM truststore, pinned fingerprints", { skip: !hasOpenssl() && 'needs openssl' }, async (t) => {
  const dir = tempDir(t);
  const { keyPem, certPem } = generateSelfSignedCertificate({ commonName: 'flink', dnsNames: ['localhost'], validityDays: 2 });
  writeFileSync(join(dir, 'key.pem'), keyPem);
  writeFileSync(join(dir, 'cert.pem'), certPem);
  execFileSync('openssl', ['pkcs12', '-export', '-inkey', join(dir, 'key.pem'), '-in', join(dir, 'cert.pem'), '-out', join(dir, 'internal.p12'), '-passout', 'pass:secret']);
  const fingerprint = new X509Certificate(certPem).fingerprint256;
  const keys = {
    'security.ssl.internal.enabled': 'true',
    'security.ssl.internal.keystore': join(dir, 'internal.p12'),
    'security.ssl.internal.keystore-password': 'secret',
    'security.ssl.internal.key-password': 'secret',
    'security.ssl.internal.truststore': join(dir, 'cert.pem'),
    'security.ssl.internal.truststore-type': 'PEM',
  };
  const configured = (extra: Record<string, string> = {}) => new RpcSecurity(internalTlsSettings(new Configuration(Object.entries({ ...keys, ...extra })), dir));
  const server = await serve(t, configured({ 'security.ssl.internal.cert.fingerprint': fingerprint }));
  const client = configured();
  t.equal(await echo(server.address.replace('127.0.0.1', 'localhost'), client.channelCredentials(), client.channelOptions()), 'ping');
  const wrongHost = await echo(server.address, client.channelCredentials(), client.channelOptions()).catch((e: ServiceError) => e);
  t.equal((wrongHost as ServiceError).code, status.UNAVAILABLE, 'security.ssl.verify-hostname (default true): 127.0.0.1 is not in the certificate');
  const noVerify = configured({ 'security.ssl.verify-hostname': 'false' });
  t.equal(await echo(server.address, noVerify.channelCredentials(), noVerify.channelOptions()), 'ping');

  const pinnedElsewhere = configured({ 'security.ssl.internal.cert.fingerprint': 'AA'.repeat(32) });
  const refused = await echo(server.address.replace('127.0.0.1', 'localhost'), pinnedElsewhere.channelCredentials(), pinnedElsewhere.channelOptions()).catch((e: ServiceError) => e);
  t.equal((refused as ServiceError).code, status.UNAVAILABLE, 'a client pinning another fingerprint does not talk to this server');
  const pinningServer = await serve(t, configured({ 'security.ssl.internal.cert.fingerprint': 'BB'.repeat(20) }));
  const denied = await echo(pinningServer.address.replace('127.0.0.1', 'localhost'), client.channelCredentials(), client.channelOptions()).catch((e: ServiceError) => e);
  t.equal((denied as ServiceError).code, status.PERMISSION_DENIED, 'a server pinning another fingerprint refuses the call');
  t.equal(pinningServer.calls(), 0);
});

t.test('configured but unusable security options fail at start-up with a clear message', async (t) => {
  const dir = tempDir(t);
  const settings = (entries: Record<string, string>) => () => internalTlsSettings(new Configuration(Object.entries(entries)), dir);
  t.throws(settings({ 'security.ssl.internal.enabled': 'true' }), /security\.ssl\.internal\.enabled is true but security\.ssl\.internal\.keystore is not set/);
  writeFileSync(join(dir, 'store.jks'), 'x');
  t.throws(
    settings({ 'security.ssl.internal.enabled': 'true', 'security.ssl.internal.keystore': join(dir, 'store.jks'), 'security.ssl.internal.keystore-type': 'JKS', 'security.ssl.internal.truststore': join(dir, 'store.jks') }),
    /JKS stores cannot be read by tsflink .* keytool -importkeystore/,
  );
  t.throws(
    settings({ 'security.ssl.enabled': 'true', 'security.ssl.internal.keystore': join(dir, 'missing.p12'), 'security.ssl.internal.truststore': join(dir, 'missing.pem') }),
    /Could not read the keystore .*missing\.p12: ENOENT/,
    'the deprecated umbrella key turns internal SSL on too',
  );
  t.throws(settings({ 'security.ssl.internal.cert.fingerprint': 'nope' }), /'nope' is not a SHA-1 or SHA-256 fingerprint/);
  t.throws(() => checkSupportedSecurityOptions(new Configuration([['security.kerberos.login.keytab', '/k']])), /security\.kerberos\.login\.keytab is set, but tsflink does not support Kerberos/);
  t.throws(() => checkSupportedSecurityOptions(new Configuration([['security.ssl.provider', 'BOUNCY']])), /unsupported provider 'BOUNCY'/);
  t.throws(() => checkSupportedSecurityOptions(new Configuration([['security.ssl.protocol', 'SSLv3']])), /unsupported protocol 'SSLv3'/);
  t.doesNotThrow(() => checkSupportedSecurityOptions(new Configuration([['security.ssl.provider', 'OPENSSL'], ['security.ssl.protocol', 'TLSv1.3']])));
});

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
