// The REST API against web pages and hostile local processes, on real clusters running Click Event Count: drive-by
// uploads and plans from a foreign Origin are refused (the program's main never runs), a rebinding Host is refused,
// eight concurrent 100 MiB bodies stay within the buffered-bytes cap, deep JSON is a 400; `flink run` works with
// web.submit.enable false, over HTTPS and with the REST token. The job's windows stay exactly 1000 throughout.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { runGenerator } from '../../src/client/generator/ClickEventGenerator.js';
import { TestingCluster } from '../testing/TestingCluster.js';
import { createTopics, expectExactWindows, flinkCli, PAGES, parseWindows, readTopicUntil, uploadJob, waitForRunning } from '../testing/jobs.js';
import { REPO_ROOT, testDir, testRun } from '../testing/testRun.js';
import { getJson, waitFor } from '../testing/waitFor.js';

const JOB = join(REPO_ROOT, 'examples', 'streaming', 'ClickEventCount.ts');
const WINDOWS = 10;
const MIB = 1024 * 1024;
const BUFFERED_CAP = 200 * MIB;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** One HTTP(S) request with exactly these headers (Host and Origin included); `bodyBytes` streams that many zeros. */
function send(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer; bodyBytes?: number; tls?: { ca: Buffer } },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const headers: Record<string, string | number> = { Host: target.host, ...options.headers };
    if (options.body !== undefined) headers['Content-Length'] = Buffer.byteLength(options.body);
    if (options.bodyBytes !== undefined) headers['Content-Length'] = options.bodyBytes;
    const req = (target.protocol === 'https:' ? httpsRequest : httpRequest)(
      { host: target.hostname, port: target.port, method: options.method ?? 'GET', path: `${target.pathname}${target.search}`, headers, agent: false, ...(options.tls ?? {}) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    // A server that answers before the body is sent (413, 503) may close the connection while the body is still being
    // written: the answer, if it came, is what counts; without one the request ends as status 0 (closed).
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error);
    });
    req.on('close', () => resolve({ status: 0, headers: {}, text: '' }));
    if (options.bodyBytes === undefined) {
      req.end(options.body);
      return;
    }
    const chunk = Buffer.alloc(MIB);
    let left = options.bodyBytes;
    const pump = () => {
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        left -= n;
        if (!req.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    pump();
  });
}

function rssBytes(pid: number): number {
  // A process that has exited (a zombie until reaped) has no VmRSS line: that is a failure the test reports.
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  if (!line) throw new Error(`The JobManager (pid ${pid}) is gone.`);
  return Number(/(\d+)/.exec(line)![1]) * 1024;
}

/** The JobManager's node process: the pid its ports file names. */
async function jobManagerPid(cluster: TestingCluster): Promise<number> {
  const ports = await cluster.processes.find((p) => p.component === 'standalonesession')!.ports();
  return ports.pid as number;
}

t.test('drive-by requests, rebinding, memory and deep JSON against a cluster running Click Event Count', async (t) => {
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const topics = await createTopics('security-rest');
  const jm = await cluster.startJobManager();
  await cluster.startTaskManager(jm.rpcPort, ['-D', 'taskmanager.numberOfTaskSlots=2']);
  await waitFor('TaskManager registered', async () => (await getJson(`${jm.restUrl}/overview`)).body.taskmanagers === 1);

  const args = ['--bootstrap.servers', testRun().kafka.bootstrapServers, '--input-topic', topics.input, '--output-topic', topics.output, '--event-time'];
  const run = await flinkCli(cluster, jm.restUrl, ['run', '-d', '-p', '2', JOB, ...args]);
  t.equal(run.code, 0, run.stderr);
  const jobId = /Job has been submitted with JobID ([0-9a-f]{32})/.exec(run.stdout)![1]!;
  await waitForRunning(jm.restUrl, jobId, 6);

  // A job file whose main leaves a marker: whether it ran is visible from outside.
  const dir = testDir('security-rest');
  const marker = join(dir, 'main-ran');
  const markerJob = join(dir, 'MarkerJob.ts');
  writeFileSync(markerJob, `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'main ran');\n`);
  const evil = 'http://attacker.example';

  await t.test('a foreign-Origin multipart upload is refused and nothing is stored', async (t) => {
    const boundary = '----drive-by';
    const form = `--${boundary}\r\nContent-Disposition: form-data; name="jarfile"; filename="MarkerJob.ts"\r\nContent-Type: application/octet-stream\r\n\r\n${readFileSync(markerJob, 'utf8')}\r\n--${boundary}--\r\n`;
    const upload = await send(`${jm.restUrl}/jars/upload`, { method: 'POST', headers: { Origin: evil, 'Content-Type': `multipart/form-data; boundary=${boundary}` }, body: form });
    t.equal(upload.status, 403);
    t.match(JSON.parse(upload.text), { errors: [/Refused a cross-origin request from origin 'http:\/\/attacker.example'/] });
    t.equal(upload.headers['access-control-allow-origin'], undefined, 'no Access-Control-Allow-Origin: *');
    t.same((await getJson(`${jm.restUrl}/jars`)).body.files, [], 'no jar stored');
  });

  await t.test('a foreign-Origin text/plain plan is refused and main does not run', async (t) => {
    const jarId = await uploadJob(jm.restUrl, markerJob);
    const attempts: Array<Record<string, string>> = [
      { Origin: evil, 'Content-Type': 'text/plain' },
      { Origin: 'null', 'Content-Type': 'text/plain' },
      { 'Sec-Fetch-Site': 'cross-site', 'Content-Type': 'text/plain' },
    ];
    for (const headers of attempts) {
      for (const action of ['plan', 'run']) {
        const reply = await send(`${jm.restUrl}/jars/${jarId}/${action}`, { method: 'POST', headers, body: '{}' });
        t.equal(reply.status, 403, `${action} ${JSON.stringify(headers)}`);
      }
    }
    t.notOk(existsSync(marker), "the program's main did not run");
    t.equal((await getJson(`${jm.restUrl}/jobs`)).body.jobs.length, 1, 'no job was started');
    // The same plan without an Origin (the CLI, curl) runs main: the marker would have shown a drive-by.
    await send(`${jm.restUrl}/jars/${jarId}/plan`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: '{}' });
    t.ok(existsSync(marker), 'main runs for a same-origin caller');
    t.equal((await send(`${jm.restUrl}/jars/${jarId}`, { method: 'DELETE' })).status, 200);
  });

  await t.test('a rebinding Host is refused, API and dashboard alike', async (t) => {
    const port = new URL(jm.restUrl).port;
    for (const path of ['/overview', '/', `/jobs/${jobId}/yarn-cancel`]) {
      const reply = await send(`${jm.restUrl}${path}`, { headers: { Host: `rebind.attacker.example:${port}` } });
      t.equal(reply.status, 403, path);
      t.match(JSON.parse(reply.text).errors[0], 'is not a name of this REST endpoint');
    }
    t.equal((await send(`${jm.restUrl}/overview`, { headers: { Host: `localhost:${port}` } })).status, 200);
    t.equal((await getJson(`${jm.restUrl}/jobs/${jobId}/status`)).body.status, 'RUNNING');
  });

  await t.test('eight concurrent 100 MiB bodies stay within the buffered-bytes cap', async (t) => {
    const pid = await jobManagerPid(cluster);
    const before = rssBytes(pid);
    let peak = before;
    let gone: unknown;
    const sampler = setInterval(() => {
      try {
        peak = Math.max(peak, rssBytes(pid));
      } catch (error) {
        gone = error;
      }
    }, 20);
    const boundary = '----big';
    const replies = await Promise.all(
      Array.from({ length: 8 }, () =>
        send(`${jm.restUrl}/jars/upload`, { method: 'POST', headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` }, bodyBytes: 100 * MIB }),
      ),
    ).finally(() => clearInterval(sampler));
    t.notOk(gone, 'the JobManager stayed up');
    const statuses = replies.map((r) => r.status).sort();
    t.comment(`statuses ${statuses.join(',')}; RSS ${Math.round(before / MIB)} MiB → peak ${Math.round(peak / MIB)} MiB`);
    t.ok(statuses.filter((s) => s === 503 || s === 0).length >= 6, 'at most two bodies (200 MiB) are held at once; the others are refused (503, or the connection closed under them)');
    t.ok(statuses.includes(503), 'a refusal says why');
    for (const reply of replies.filter((r) => r.status === 503)) t.match(JSON.parse(reply.text).errors[0], 'rest.server.max-buffered-content-length');
    t.ok(peak - before < BUFFERED_CAP + 150 * MIB, `the JobManager grew by ${Math.round((peak - before) / MIB)} MiB, within the cap and some slack`);
    t.equal((await getJson(`${jm.restUrl}/jobs/${jobId}/status`)).body.status, 'RUNNING');
  });

  await t.test('deep JSON is a 400 without a stack trace', async (t) => {
    const deep = `{"drain":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    const reply = await send(`${jm.restUrl}/jobs/${jobId}/stop`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: deep });
    t.equal(reply.status, 400);
    t.same(JSON.parse(reply.text), { errors: ['Request did not match expected format StopWithSavepointRequestBody. Document nesting depth (1001) exceeds the maximum allowed (1000).'] });
    t.equal((await getJson(`${jm.restUrl}/jobs/${jobId}/status`)).body.status, 'RUNNING', 'the job was not stopped');
  });

  await t.test('every window of the running job is exactly 1000', async (t) => {
    const written = await runGenerator({ bootstrapServers: testRun().kafka.bootstrapServers, topic: topics.input, rate: 0, maxWindows: WINDOWS });
    t.equal(written, WINDOWS * 6 * 1000);
    const output = await readTopicUntil(topics.output, (values) => values.length >= (WINDOWS - 1) * PAGES.length, 90_000);
    expectExactWindows(t, parseWindows(output), WINDOWS);
  });
});

t.test('flink run with web.submit.enable false, over HTTPS with the REST token', async (t) => {
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const dir = testDir('security-rest-tls');
  const key = join(dir, 'rest-key.pem');
  const cert = join(dir, 'rest-cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  const keystore = join(dir, 'rest-keystore.pem');
  writeFileSync(keystore, readFileSync(key, 'utf8') + readFileSync(cert, 'utf8'));
  const token = 'it-token-0123456789';
  appendFileSync(
    join(cluster.confDir, 'config.yaml'),
    [
      'web.submit.enable: false',
      'security.ssl.rest.enabled: true',
      `security.ssl.rest.keystore: ${keystore}`,
      'security.ssl.rest.keystore-type: PEM',
      `security.ssl.rest.truststore: ${cert}`,
      'security.ssl.rest.truststore-type: PEM',
      `rest.authentication.token: ${token}`,
      '',
    ].join('\n'),
  );
  const topics = await createTopics('security-rest-tls');
  const jm = await cluster.startJobManager();
  await cluster.startTaskManager(jm.rpcPort, ['-D', 'taskmanager.numberOfTaskSlots=2']);
  const restUrl = `https://localhost:${jm.restPort}`;
  const tls = { ca: readFileSync(cert) };
  const auth = { Authorization: `Bearer ${token}` };

  t.equal((await send(`${restUrl}/overview`, { tls })).status, 401, 'no token, no API');
  t.equal((await send(`${restUrl}/overview`, { tls, headers: { Authorization: 'Bearer wrong' } })).status, 401);
  await waitFor('TaskManager registered', async () => JSON.parse((await send(`${restUrl}/overview`, { tls, headers: auth })).text).taskmanagers === 1);
  const upload = await send(`${restUrl}/jars/upload`, { method: 'POST', tls, headers: auth, body: 'x' });
  t.equal(upload.status, 404, 'web.submit.enable false turns the dashboard submission off');

  const cli = (args: string[]) => flinkCli(cluster, `https://localhost:${jm.restPort}`, args);
  const args = ['--bootstrap.servers', testRun().kafka.bootstrapServers, '--input-topic', topics.input, '--output-topic', topics.output, '--event-time'];
  const run = await cli(['run', '-d', '-p', '2', JOB, ...args]);
  t.equal(run.code, 0, run.stderr);
  const jobId = /Job has been submitted with JobID ([0-9a-f]{32})/.exec(run.stdout)?.[1];
  t.ok(jobId, run.stdout);
  await waitFor('the job RUNNING', async () => JSON.parse((await send(`${restUrl}/jobs/${jobId}/status`, { tls, headers: auth })).text).status === 'RUNNING', { timeoutMs: 90_000 });
  const list = await cli(['list']);
  t.equal(list.code, 0, list.stderr);
  t.match(list.stdout, `${jobId} : Click Event Count (RUNNING)`);

  const plainHttp = await flinkCli(cluster, `http://localhost:${jm.restPort}`, ['list', '-Dsecurity.ssl.rest.enabled=false', '-Drest.retry.max-attempts=0']);
  t.not(plainHttp.code, 0, 'plain HTTP is not served');
  const noToken = await flinkCli(cluster, restUrl, ['list', '-Drest.authentication.token=wrong', '-Drest.retry.max-attempts=0']);
  t.not(noToken.code, 0);
  t.match(noToken.stderr, 'Authentication required');

  const cancel = await cli(['cancel', jobId!]);
  t.equal(cancel.code, 0, cancel.stderr);
});
