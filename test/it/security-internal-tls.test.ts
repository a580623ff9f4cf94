// Flink's own internal SSL keys on real processes: with security.ssl.internal.enabled, a PKCS#12 keystore and a PEM
// truststore, the JobManager and a TaskManager authenticate each other (host names checked, as Flink does by default)
// and the TaskManager registers; a TaskManager whose keystore the truststore does not hold never gets in; and a
// configured-but-unsupported option stops a process at start-up with a clear message.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { TestingCluster } from '../testing/TestingCluster.js';
import { testDir } from '../testing/testRun.js';
import { getJson, waitFor } from '../testing/waitFor.js';

t.setTimeout(120_000);

/** A key and a self-signed certificate for localhost and 127.0.0.1 (the names the processes dial), made by openssl. */
function keystore(dir: string, name: string): { p12: string; cert: string } {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${name}`, '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  const p12 = join(dir, `${name}.p12`);
  execFileSync('openssl', ['pkcs12', '-export', '-inkey', key, '-in', cert, '-out', p12, '-passout', 'pass:changeit'], { stdio: 'ignore' });
  return { p12, cert };
}

const sslArgs = (store: { p12: string }, truststore: string) => [
  '-D', 'security.ssl.internal.enabled=true',
  '-D', `security.ssl.internal.keystore=${store.p12}`,
  '-D', 'security.ssl.internal.keystore-password=changeit',
  '-D', 'security.ssl.internal.key-password=changeit',
  '-D', `security.ssl.internal.truststore=${truststore}`,
  '-D', 'security.ssl.internal.truststore-type=PEM',
];

t.test('security.ssl.internal.* keys: members authenticate, an outsider with its own keystore does not', async (t) => {
  const dir = testDir('internal-tls');
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const member = keystore(dir, 'cluster');
  const outsider = keystore(dir, 'outsider');
  const jm = await cluster.startJobManager(sslArgs(member, member.cert));
  const tm = await cluster.startTaskManager(jm.rpcPort, sslArgs(member, member.cert));
  await waitFor('the TaskManager registered over mutual TLS', async () => (await getJson(`${jm.restUrl}/overview`)).body.taskmanagers === 1);
  const jmLog = cluster.logFiles().filter((f) => f.includes('standalonesession')).map((f) => cluster.readLog(f)).join('\n');
  t.match(jmLog, `Internal connections use mutual TLS with keystore ${member.p12} and truststore ${member.cert}`);

  // Trusts the cluster's certificate, but presents its own: the JobManager refuses it in the handshake.
  const intruder = await cluster.startTaskManager(jm.rpcPort, sslArgs(outsider, member.cert));
  await waitFor(
    'the outsider to fail its registration in the handshake',
    () => cluster.logFiles().some((f) => f.includes('taskexecutor') && /Could not reach the ResourceManager .*\(attempt \d+\)/.test(cluster.readLog(f))),
    { timeoutMs: 60_000 },
  );
  const { body } = await getJson(`${jm.restUrl}/taskmanagers`);
  t.same(body.taskmanagers.map((x: { id: string }) => x.id), [tm.resourceId], 'only the member is registered');
  t.not(intruder.resourceId, tm.resourceId);
});

t.test('configured but unsupported security options stop a process at start-up, saying which key', async (t) => {
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  for (const [args, message] of [
    [['-D', 'security.kerberos.login.keytab=/etc/krb5.keytab'], /security\.kerberos\.login\.keytab is set, but tsflink does not support Kerberos/],
    [['-D', 'security.ssl.internal.enabled=true', '-D', 'security.ssl.internal.keystore=/x.jks', '-D', 'security.ssl.internal.keystore-type=JKS', '-D', 'security.ssl.internal.truststore=/x.jks'], /JKS stores cannot be read by tsflink/],
  ] as const) {
    const process = cluster.start('standalonesession', ['-D', 'jobmanager.rpc.port=0', '-D', 'rest.port=0', ...args]);
    t.equal(await process.exited, 1, `exit code 1 for ${args.join(' ')}`);
    t.match(process.output, message);
  }
});
