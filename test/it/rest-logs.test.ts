// The log-file endpoints of the JobManager and of a TaskManager (fetched from its TaskExecutor over gRPC): list, own
// log, stdout, by name, and that no file name reaches outside the log directory (CVE-2020-17519).
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import t from 'tap';
import { TestingCluster } from '../testing/TestingCluster.js';
import { getJson, waitFor } from '../testing/waitFor.js';

interface RawResponse {
  status: number;
  contentType: string;
  body: string;
}

/** GET with the path sent as it is: fetch and URL would resolve its dot segments before sending. */
function rawGet(port: number, path: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode!, contentType: String(res.headers['content-type']), body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

const TEXT_TYPE = 'text/plain; charset=UTF-8';

t.test('log files of the JobManager and a TaskManager, and nothing outside their log directory', async (t) => {
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const jm = await cluster.startJobManager();
  const tm = await cluster.startTaskManager(jm.rpcPort);
  await waitFor('the TaskManager registered', async () => (await getJson(`${jm.restUrl}/overview`)).body.taskmanagers === 1);
  const get = (path: string) => rawGet(jm.restPort, path);

  const jmLogName = cluster.logFiles().find((f) => /^flink-.+-standalonesession-0-.+\.log$/.test(f))!;
  const tmLogName = cluster.logFiles().find((f) => /^flink-.+-taskexecutor-0-.+\.log$/.test(f))!;
  t.ok(jmLogName && tmLogName, 'both processes log into the cluster log directory');

  // Files a traversal would aim at: a secret next to the log directory, and /etc/passwd.
  const secretMarker = `secret-${process.pid}-${Date.now()}`;
  const secretFile = join(cluster.dir, 'secret.txt');
  writeFileSync(secretFile, `${secretMarker}\n`);
  mkdirSync(join(cluster.logDir, 'sub'));
  writeFileSync(join(cluster.logDir, 'sub', 'nested.txt'), `${secretMarker}\n`);
  symlinkSync(secretFile, join(cluster.logDir, 'link-out.log'));
  symlinkSync('/etc/passwd', join(cluster.logDir, 'passwd.log'));
  const passwdLine = existsSync('/etc/passwd') ? readFileSync('/etc/passwd', 'utf8').split('\n')[0]! : secretMarker;
  // More than one 1 MiB chunk of the TaskExecutor's upload stream.
  const big = Array.from({ length: 40_000 }, (_, i) => `line ${i} ${'x'.repeat(60)}\n`).join('');
  writeFileSync(join(cluster.logDir, 'big.log'), big);

  await t.test('JobManager', async (t) => {
    const { status, body } = await getJson(`${jm.restUrl}/jobmanager/logs`);
    t.equal(status, 200);
    for (const log of body.logs) {
      t.type(log.name, 'string');
      t.type(log.size, 'number');
      t.type(log.mtime, 'number');
    }
    const names: string[] = body.logs.map((l: any) => l.name);
    t.ok(names.includes(jmLogName), 'lists the JobManager log');
    t.same(names, [...names].sort(), 'sorted by name');
    t.notOk(names.some((n) => n === 'sub' || n === 'link-out.log' || n === 'passwd.log'), 'lists neither directories nor symlinks');
    t.equal((await getJson(`${jm.restUrl}/v1/jobmanager/logs`)).status, 200, 'also under /v1');

    const log = await get('/jobmanager/log');
    t.equal(log.status, 200);
    t.equal(log.contentType, TEXT_TYPE);
    t.match(log.body, 'Rest endpoint listening');
    const byName = await get(`/v1/jobmanager/logs/${encodeURIComponent(jmLogName)}`);
    t.equal(byName.status, 200);
    t.equal(byName.contentType, TEXT_TYPE);
    t.ok(byName.body.startsWith(log.body), 'the log by name is the same file (grown by what was logged since)');
    t.equal((await get('/jobmanager/logs/big.log')).body, big);

    // Flink's answer when there is no .out file (start-foreground writes none), then one as bin/flink-daemon.sh names it.
    const stdout = await get('/jobmanager/stdout');
    t.equal(stdout.status, 404);
    t.same(JSON.parse(stdout.body), { errors: ['This file does not exist in JobManager log dir.'] });
    writeFileSync(join(cluster.logDir, jmLogName.replace(/\.log$/, '.out')), 'jobmanager stdout\n');
    const written = await get('/jobmanager/stdout');
    t.equal(written.status, 200);
    t.equal(written.contentType, TEXT_TYPE);
    t.equal(written.body, 'jobmanager stdout\n');

    const missing = await get('/jobmanager/logs/no-such-file.log');
    t.equal(missing.status, 404);
    t.same(JSON.parse(missing.body), { errors: ['This file does not exist in JobManager log dir.'] });
  });

  const { body: taskManagers } = await getJson(`${jm.restUrl}/taskmanagers`);
  const tmId: string = taskManagers.taskmanagers[0].id;
  t.equal(tmId, tm.resourceId);
  const tmPath = `/taskmanagers/${encodeURIComponent(tmId)}`;

  await t.test('TaskManager', async (t) => {
    const { status, body } = await getJson(`${jm.restUrl}${tmPath}/logs`);
    t.equal(status, 200);
    for (const log of body.logs) {
      t.type(log.name, 'string');
      t.type(log.size, 'number');
      t.type(log.mtime, 'number');
    }
    const names: string[] = body.logs.map((l: any) => l.name);
    t.ok(names.includes(tmLogName), 'lists the TaskManager log');
    t.same(names, [...names].sort(), 'sorted by name');
    t.notOk(names.some((n) => n === 'sub' || n === 'link-out.log' || n === 'passwd.log'), 'lists neither directories nor symlinks');

    const log = await get(`/v1${tmPath}/log`);
    t.equal(log.status, 200);
    t.equal(log.contentType, TEXT_TYPE);
    t.match(log.body, 'Started the TaskManager RPC server');
    const byName = await get(`${tmPath}/logs/${encodeURIComponent(tmLogName)}`);
    t.equal(byName.status, 200);
    t.ok(byName.body.startsWith(log.body), 'the log by name is the same file (grown by what was logged since)');
    t.equal((await get(`${tmPath}/logs/big.log`)).body, big, 'a file of several chunks arrives whole');

    const stdout = await get(`${tmPath}/stdout`);
    t.equal(stdout.status, 200, "Flink's TaskManagerStdoutFileHandler answers a missing stdout file with 200 and a hint");
    t.match(stdout.body, /^The file STDOUT does not exist on the TaskExecutor\./);
    writeFileSync(join(cluster.logDir, tmLogName.replace(/\.log$/, '.out')), 'taskmanager stdout\n');
    t.equal((await get(`${tmPath}/stdout`)).body, 'taskmanager stdout\n');

    const missing = await get(`${tmPath}/logs/no-such-file.log`);
    t.equal(missing.status, 404);
    t.same(JSON.parse(missing.body), { errors: ['The file no-such-file.log does not exist on the TaskExecutor.'] });

    const unknownList = await get('/taskmanagers/no-such-taskmanager/logs');
    t.equal(unknownList.status, 404);
    t.same(JSON.parse(unknownList.body), { errors: ['Could not find TaskExecutor no-such-taskmanager.'] });
    for (const file of ['log', 'stdout', 'logs/x.log']) {
      const unknown = await get(`/taskmanagers/no-such-taskmanager/${file}`);
      t.equal(unknown.status, 404, file);
      t.same(JSON.parse(unknown.body), { errors: ['Failed to transfer file from TaskExecutor no-such-taskmanager because it was unknown.'] });
    }
  });

  await t.test('no file name leads out of the log directory', async (t) => {
    const traversals = [
      '../../../../../../../../etc/passwd',
      '..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd',
      '%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      '%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      '..%252f..%252f..%252f..%252f..%252f..%252f..%252f..%252fetc%252fpasswd',
      '%252e%252e%252f%252e%252e%252f%252e%252e%252f%252e%252e%252f%252e%252e%252fetc%252fpasswd',
      '%2fetc%2fpasswd',
      '/etc/passwd',
      '..\\..\\..\\..\\..\\..\\..\\..\\etc\\passwd',
      '..%5c..%5c..%5c..%5c..%5c..%5c..%5c..%5cetc%5cpasswd',
      'passwd%00',
      '..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd%00.log',
      '%00',
      'a%2f..',
      'a%5c..',
      '..%2f',
      '..%2fsecret.txt',
      `${encodeURIComponent(secretFile)}`,
      'sub%2fnested.txt',
      'sub',
      'link-out.log',
      'passwd.log',
    ];
    for (const prefix of ['/jobmanager/logs/', `${tmPath}/logs/`, `/v1${tmPath}/logs/`]) {
      for (const traversal of traversals) {
        const response = await get(`${prefix}${traversal}`);
        t.ok(response.status === 404 || response.status === 400, `${prefix}${traversal} refused (${response.status}: ${response.body})`);
        t.ok(Array.isArray(JSON.parse(response.body).errors), 'with an error body');
        t.notOk(response.body.includes(passwdLine) || response.body.includes(secretMarker), 'reveals nothing of the file');
      }
    }
    // CVE-2020-17518's class: an upload's file name never chooses where it is written, and a jar id never leaves the
    // upload directory.
    const program = 'export async function main() {}\n';
    for (const name of ['../../../../../../tmp/tsflink-evil.ts', '/tmp/tsflink-evil.ts', '..%2F..%2Ftsflink-evil.ts', '..\\..\\tsflink-evil.ts']) {
      const form = new FormData();
      form.append('jarfile', new Blob([program]), name);
      const response = await fetch(`${jm.restUrl}/jars/upload`, { method: 'POST', body: form });
      const body = (await response.json()) as { filename?: string; errors?: string[] };
      if (response.status === 200) {
        t.match(body.filename, /\/flink-web-upload\/[0-9a-f-]{36}_[^/]*tsflink-evil\.ts$/, `${name}: stored under the upload directory by its last path segment`);
      } else {
        t.equal(response.status, 400, `${name}: refused`);
      }
    }
    t.notOk(existsSync('/tmp/tsflink-evil.ts'), 'nothing was written outside the upload directory');
    for (const jarId of ['..%2F..%2Fetc%2Fpasswd', '%2Fetc%2Fpasswd', '..']) {
      const run = await fetch(`${jm.restUrl}/jars/${jarId}/run`, { method: 'POST', body: '{}' });
      t.equal(run.status, 404, `jar id ${jarId} names no upload`);
    }
    const overview = await getJson(`${jm.restUrl}/overview`);
    t.equal(overview.status, 200, 'the JobManager still answers');
    t.equal(overview.body.taskmanagers, 1, 'and the TaskManager is still there');
  });
});
