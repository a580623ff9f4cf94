// REST over TLS (security.ssl.rest.*) with certificates made by openssl here: the endpoint serves HTTPS, the CLI's
// client trusts it through the truststore or a pinned fingerprint, mutual TLS needs the client's keystore, and the
// CLI sends the REST token and submits through POST /jobs.
import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliFrontend } from '../../../src/client/cli/CliFrontend.js';
import { RestClusterClient } from '../../../src/client/RestClusterClient.js';
import { Configuration } from '../../../src/common/config/Configuration.js';
import { RestOptions, SecurityOptions } from '../../../src/common/config/options.js';
import { TlsHandshakeError } from '../../../src/common/http/errors.js';
import { restClientTls } from '../../../src/common/http/RestSsl.js';
import { LogSink, Logger } from '../../../src/common/Logger.js';
import { restEndpointOptions, RestServerEndpoint } from '../../../src/master/rest/RestServerEndpoint.js';
import { Router } from '../../../src/master/rest/Router.js';
import { answerJson, failureOf, serveForTest } from '../../testing/testHttpServer.js';

const dir = mkdtempSync(join(tmpdir(), 'tsflink-rest-tls-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** A self-signed certificate for localhost/127.0.0.1: key, cert, key+cert PEM, and a PKCS#12 with password changeit. */
function certificate(name: string, altNames = 'DNS:localhost,IP:127.0.0.1') {
  const key = join(dir, `${name}-key.pem`);
  const cert = join(dir, `${name}-cert.pem`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${name}`, '-addext', `subjectAltName=${altNames}`], { stdio: 'ignore' });
  const pem = join(dir, `${name}.pem`);
  writeFileSync(pem, readFileSync(key, 'utf8') + readFileSync(cert, 'utf8'));
  const p12 = join(dir, `${name}.p12`);
  execFileSync('openssl', ['pkcs12', '-export', '-in', cert, '-inkey', key, '-out', p12, '-passout', 'pass:changeit'], { stdio: 'ignore' });
  return { cert, pem, p12, sha256: new X509Certificate(readFileSync(cert)).fingerprint256 };
}

const server = certificate('server');
const client = certificate('client');
const other = certificate('other');
const elsewhere = certificate('elsewhere', 'DNS:elsewhere.example');
const log = new Logger(new LogSink(undefined, false), 'test');

async function httpsEndpoint(t: Test, settings: Record<string, string>) {
  const config = new Configuration(Object.entries(settings));
  let calls = 0;
  const router = new Router().add('GET', '/jobs/overview', () => {
    calls++;
    return { status: 200, body: { jobs: [] } };
  });
  const endpoint = new RestServerEndpoint(router, log, undefined, restEndpointOptions(config));
  const port = await endpoint.start('127.0.0.1', 0);
  t.teardown(() => endpoint.close());
  t.equal(endpoint.scheme, 'https');
  return { port, calls: () => calls };
}

function cliClient(port: number, settings: Record<string, string>): RestClusterClient {
  const config = new Configuration(Object.entries({ ...settings, 'security.ssl.rest.enabled': 'true' }));
  return new RestClusterClient({ host: 'localhost', port, retryMaxAttempts: 0, retryDelayMs: 10, connectionTimeoutMs: 2000, tls: restClientTls(config) });
}

const serverSettings = { 'security.ssl.rest.enabled': 'true', 'security.ssl.rest.keystore': server.pem, 'security.ssl.rest.keystore-type': 'PEM' };

t.test('HTTPS: a client trusting the certificate gets through; one that does not fails at once, with a clear reason', async (t) => {
  const { port, calls } = await httpsEndpoint(t, serverSettings);
  const trusting = cliClient(port, { 'security.ssl.rest.truststore': server.cert, 'security.ssl.rest.truststore-type': 'PEM' });
  t.same(await trusting.listJobs(), []);
  t.equal(trusting.webInterfaceUrl, `https://localhost:${port}`);

  const untrusting = await failureOf(cliClient(port, {}).listJobs());
  t.ok(untrusting instanceof TlsHandshakeError, `not retried: ${String(untrusting)}`);
  t.match((untrusting as Error).message, /The TLS handshake with localhost:\d+ failed: .*self-signed certificate/);

  t.equal(calls(), 1);
});

t.test('security.ssl.verify-hostname: the certificate must name the host dialled, unless turned off', async (t) => {
  const { port, calls } = await httpsEndpoint(t, { ...serverSettings, 'security.ssl.rest.keystore': elsewhere.p12, 'security.ssl.rest.keystore-type': 'PKCS12', 'security.ssl.rest.keystore-password': 'changeit' });
  const trust = { 'security.ssl.enabled': 'true', 'security.ssl.rest.truststore': elsewhere.cert, 'security.ssl.rest.truststore-type': 'PEM' };
  const wrongName = await failureOf(cliClient(port, trust).listJobs());
  t.ok(wrongName instanceof TlsHandshakeError, String(wrongName));
  t.match((wrongName as Error).message, 'ERR_TLS_CERT_ALTNAME_INVALID');
  t.same(await cliClient(port, { ...trust, 'security.ssl.verify-hostname': 'false' }).listJobs(), []);
  t.equal(calls(), 1);
});

t.test('security.ssl.rest.cert.fingerprint pins the server certificate; nothing is sent to another', async (t) => {
  const { port, calls } = await httpsEndpoint(t, serverSettings);
  t.same(await cliClient(port, { 'security.ssl.rest.cert.fingerprint': server.sha256 }).listJobs(), [], 'the pin alone, without a truststore');
  const wrong = await failureOf(cliClient(port, { 'security.ssl.rest.cert.fingerprint': other.sha256 }).listJobs());
  t.ok(wrong instanceof TlsHandshakeError);
  t.match((wrong as Error).message, 'matches no pinned fingerprint (security.ssl.rest.cert.fingerprint)');
  t.equal(calls(), 1, 'the request never reached the handler');
  t.throws(() => restClientTls(new Configuration([['security.ssl.rest.enabled', 'true'], ['security.ssl.rest.cert.fingerprint', 'abc']])), {
    name: 'IllegalConfigurationError',
    message: /'abc' is not a SHA-1 or SHA-256 fingerprint/,
  });
});

t.test('security.ssl.rest.authentication-enabled: clients must present a certificate of the truststore', async (t) => {
  const { port, calls } = await httpsEndpoint(t, {
    ...serverSettings,
    'security.ssl.rest.authentication-enabled': 'true',
    'security.ssl.rest.truststore': client.cert,
    'security.ssl.rest.truststore-type': 'PEM',
  });
  const trust = { 'security.ssl.rest.truststore': server.cert, 'security.ssl.rest.truststore-type': 'PEM', 'security.ssl.rest.authentication-enabled': 'true' };
  const withKey = cliClient(port, { ...trust, 'security.ssl.rest.keystore': client.p12, 'security.ssl.rest.keystore-password': 'changeit' });
  t.same(await withKey.listJobs(), [], 'PKCS#12 client keystore');
  const otherKey = cliClient(port, { ...trust, 'security.ssl.rest.keystore': other.p12, 'security.ssl.rest.keystore-password': 'changeit' });
  await t.rejects(otherKey.listJobs(), 'a certificate the server does not trust');
  const noKey = new RestClusterClient({ host: 'localhost', port, retryMaxAttempts: 0, retryDelayMs: 10, connectionTimeoutMs: 2000, tls: { ca: [readFileSync(server.cert)] } });
  await t.rejects(noKey.listJobs(), 'no client certificate');
  t.equal(calls(), 1);
  t.throws(() => restClientTls(new Configuration(Object.entries(trust).concat([['security.ssl.rest.enabled', 'true']]))), {
    name: 'IllegalConfigurationError',
    message: 'security.ssl.rest.enabled is true but security.ssl.rest.keystore is not set (mutual TLS needs the certificate the client presents).',
  });
});

t.test('a REST server with SSL but no keystore does not start', async (t) => {
  t.throws(() => restEndpointOptions(new Configuration([['security.ssl.enabled', 'true']])), {
    name: 'IllegalConfigurationError',
    message: 'security.ssl.enabled is true but security.ssl.rest.keystore is not set (the REST server needs its keystore).',
  });
});

t.test('flink list and run over HTTPS with the REST token from the configuration; run submits through POST /jobs', async (t) => {
  const token = 'cli-token-123';
  const config = new Configuration(Object.entries({ ...serverSettings, [RestOptions.AUTHENTICATION_TOKEN.key]: token }));
  const router = new Router().add('GET', '/jobs/overview', () => ({ status: 200, body: { jobs: [] } }));
  const endpoint = new RestServerEndpoint(router, log, undefined, restEndpointOptions(config));
  const port = await endpoint.start('127.0.0.1', 0);
  t.teardown(() => endpoint.close());

  const confDir = mkdtempSync(join(dir, 'conf-'));
  const lines = [
    'rest.retry.max-attempts: 0',
    `${SecurityOptions.SSL_REST_ENABLED.key}: true`,
    `${SecurityOptions.SSL_REST_TRUSTSTORE.key}: ${server.cert}`,
    `${SecurityOptions.SSL_REST_TRUSTSTORE_TYPE.key}: PEM`,
  ];
  writeFileSync(join(confDir, 'config.yaml'), `${lines.join('\n')}\n`);
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
  t.equal(await new CliFrontend(io, { FLINK_CONF_DIR: confDir }).parseAndRun(['list', '-m', `localhost:${port}`]), 1, 'without the token');
  t.match(err.join('\n'), 'Authentication required');
  writeFileSync(join(confDir, 'config.yaml'), `${lines.join('\n')}\nrest.authentication.token: ${token}\n`);
  out.length = 0;
  err.length = 0;
  t.equal(await new CliFrontend(io, { FLINK_CONF_DIR: confDir }).parseAndRun(['list', '-m', `localhost:${port}`]), 0, err.join('\n'));
  t.same(out, ['Waiting for response...', 'No running jobs.', 'No scheduled jobs.']);

  // run: a plain endpoint that records the submission.
  const jobId = 'c'.repeat(32);
  const { port: plainPort, requests } = await serveForTest(t, (_req, res) => answerJson(res, 202, { jobUrl: `/jobs/${jobId}` }));
  const job = join(dir, 'job.ts');
  writeFileSync(job, 'export const answer: number = 42;\n');
  writeFileSync(join(confDir, 'config.yaml'), `rest.retry.max-attempts: 0\nrest.authentication.token: ${token}\n`);
  out.length = 0;
  err.length = 0;
  t.equal(await new CliFrontend(io, { FLINK_CONF_DIR: confDir }).parseAndRun(['run', '-d', '-m', `127.0.0.1:${plainPort}`, '-p', '3', '-s', '/tmp/sp', job, '--x', 'a b']), 0, err.join('\n'));
  t.same(out, [`Job has been submitted with JobID ${jobId}`]);
  t.equal(requests.length, 1);
  const submission = requests[0]!;
  t.match(submission, { method: 'POST', url: '/v1/jobs', headers: { authorization: `Bearer ${token}`, 'content-type': /^multipart\/form-data; boundary=/ } });
  t.match(submission.body, /Content-Disposition: form-data; name="request"\r\nContent-Type: application\/json\r\n\r\n\{"programArgsList":\["--x","a b"\],"parallelism":3,"savepointPath":"\/tmp\/sp","allowNonRestoredState":false\}\r\n/);
  t.match(submission.body, /Content-Disposition: form-data; name="file_0"; filename="job.js"/);
  t.match(submission.body, 'answer = 42', 'the bundled program');
});
