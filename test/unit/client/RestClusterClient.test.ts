// RestClusterClient against an in-process HTTP server on 127.0.0.1: what is retried and what is not.
import t from 'tap';
import { RestClusterClient, type RestClientConfig } from '../../../src/client/RestClusterClient.js';
import { answerJson, closedPort, failureOf, serveForTest, testHttpServer } from '../../testing/testHttpServer.js';

function client(port: number, overrides: Partial<RestClientConfig> = {}): RestClusterClient {
  return new RestClusterClient({ host: '127.0.0.1', port, retryMaxAttempts: 3, retryDelayMs: 10, connectionTimeoutMs: 2000, ...overrides });
}


t.test('a POST whose connection is reset after it was sent is not sent again', async (t) => {
  const { port, requests } = await serveForTest(t, (req) => req.socket.destroy());
  await t.rejects(client(port).runJar('job.js', ['--a'], 2), {
    name: 'ConnectionClosedError',
    message: /^The connection to 127\.0\.0\.1:\d+ closed before the response to POST \/v1\/jars\/job\.js\/run arrived \(.*\)\. The request may have taken effect\.$/,
  });
  t.equal(requests.length, 1, 'the server saw the job submission once');
  t.same(JSON.parse(requests[0]!.body), { programArgsList: ['--a'], parallelism: 2 });
});

t.test('a POST without an answer within the response timeout is not sent again', async (t) => {
  const { port, requests } = await serveForTest(t, () => undefined);
  await t.rejects(client(port, { responseTimeoutMs: 200 }).runJar('job.js', [], undefined), {
    name: 'ResponseTimeoutError',
    message: /^No response to POST \/v1\/jars\/job\.js\/run from 127\.0\.0\.1:\d+ within 200 ms\. The request may have taken effect\.$/,
  });
  t.equal(requests.length, 1);
});

t.test('a slow answer to a POST is not a connect timeout: rest.connection-timeout only bounds connecting', async (t) => {
  const { port, requests } = await serveForTest(t, (_req, res) => setTimeout(() => answerJson(res, 200, { jobid: 'ab'.repeat(16) }), 300));
  t.equal(await client(port, { connectionTimeoutMs: 100 }).runJar('job.js', [], undefined), 'ab'.repeat(16));
  t.equal(requests.length, 1);
});

t.test('a GET whose connection is reset is retried', async (t) => {
  const { port, requests } = await serveForTest(t, (req, res, n) => (n === 1 ? req.socket.destroy() : answerJson(res, 200, { jobs: [] })));
  t.same(await client(port).listJobs(), []);
  t.equal(requests.length, 2, 'the first attempt was reset, the second answered');
});

t.test('a GET without an answer in time is retried', async (t) => {
  const { port, requests } = await serveForTest(t, (_req, res, n) => (n === 1 ? undefined : answerJson(res, 200, { status: 'RUNNING' })));
  t.equal(await client(port, { responseTimeoutMs: 100 }).jobStatus('f'.repeat(32)), 'RUNNING');
  t.equal(requests.length, 2);
});

t.test("a GET reset every time fails with Flink's RetryError once the attempts are used up", async (t) => {
  const { port, requests } = await serveForTest(t, (req) => req.socket.destroy());
  const error = await failureOf(client(port, { retryMaxAttempts: 2 }).listJobs());
  t.match(error, { name: 'RetryError', message: 'Could not complete the operation. Number of retries has been exhausted.' });
  t.match(error?.cause, { name: 'ConnectionClosedError', message: /GET \/v1\/jobs\/overview/ });
  t.equal(requests.length, 3, 'rest.retry.max-attempts retries after the first attempt');
});

t.test('a POST that could not connect is retried: it was never sent', async (t) => {
  const port = await closedPort();
  const server = testHttpServer((_req, res) => answerJson(res, 200, { jobid: 'cd'.repeat(16) }));
  t.teardown(() => server.close());
  const submitted = client(port, { retryMaxAttempts: 5, retryDelayMs: 200 }).runJar('job.js', [], undefined);
  // The first attempt is refused at once (nothing listens); the server comes up before the retry.
  await new Promise((resolve) => setTimeout(resolve, 50));
  await server.listen(port);
  t.equal(await submitted, 'cd'.repeat(16));
  t.equal(server.requests.length, 1, 'only the attempt that connected reached the server');
});

t.test("a refused connection that never comes up ends in RetryError with Java's connection-refused wording", async (t) => {
  const port = await closedPort();
  const error = await failureOf(client(port, { retryMaxAttempts: 1 }).runJar('job.js', [], undefined));
  t.match(error, { name: 'RetryError', message: 'Could not complete the operation. Number of retries has been exhausted.' });
  t.match(error?.cause, { name: 'ConnectError', message: `Connection refused: 127.0.0.1/127.0.0.1:${port}` });
});

t.test('error bodies, non-JSON bodies and HTTP errors are not retried', async (t) => {
  const { port, requests } = await serveForTest(t, (req, res) => {
    if (req.url === '/v1/jobs/overview') return answerJson(res, 500, { errors: ['Internal server error.', '<stack>'] });
    if (req.url === '/v1/jars/x') return void res.writeHead(200, { 'Content-Type': 'text/plain' }).end('not json');
    res.writeHead(502).end('bad gateway');
  });
  const c = client(port);
  await t.rejects(c.listJobs(), { name: 'RestClientError', message: 'Internal server error.\n<stack>', httpStatus: 500 });
  await t.rejects(c.deleteJar('x'), { name: 'RestClientError', message: 'Response was not valid JSON, but plain-text: not json', httpStatus: 200 });
  await t.rejects(c.cancel('e'.repeat(32)), { name: 'RestClientError', message: 'Response was not valid JSON, but plain-text: bad gateway', httpStatus: 502 });
  t.equal(requests.length, 3);
});

t.test('uploads are multipart with the file under "jarfile"; the jar id is the last path segment', async (t) => {
  const { port, requests } = await serveForTest(t, (_req, res) => answerJson(res, 200, { filename: '/tmp/flink-web-upload/abc_job.js', status: 'success' }));
  t.equal(await client(port).uploadJar('job.js', Buffer.from('export default 1;')), 'abc_job.js');
  t.match(requests[0]!.headers['content-type'], /^multipart\/form-data; boundary=/);
  t.match(requests[0]!.body, /name="jarfile"; filename="job\.js"[\s\S]*export default 1;/);
});

t.test('asynchronous operations are polled until COMPLETED; a failure cause becomes the error', async (t) => {
  const job = 'e'.repeat(32);
  let polls = 0;
  const { port } = await serveForTest(t, (req, res) => {
    if (req.url === `/v1/jobs/${job}/checkpoints`) return answerJson(res, 202, { 'request-id': 'trigger-1' });
    if (req.url === `/v1/jobs/${job}/checkpoints/trigger-1`) {
      polls++;
      return answerJson(res, 200, polls < 3 ? { status: { id: 'IN_PROGRESS' }, operation: null } : { status: { id: 'COMPLETED' }, operation: { checkpointId: 7 } });
    }
    if (req.url === `/v1/jobs/${job}/savepoints`) return answerJson(res, 202, { 'request-id': 'trigger-2' });
    answerJson(res, 200, { status: { id: 'COMPLETED' }, operation: { 'failure-cause': { class: 'X', 'stack-trace': 'java.lang.Exception: no savepoint' } } });
  });
  t.equal(await client(port).triggerCheckpoint(job, false), 7);
  t.equal(polls, 3, 'polled until COMPLETED');
  await t.rejects(client(port).triggerSavepoint(job, undefined, false), { name: 'RestClientError', message: 'java.lang.Exception: no savepoint' });
});
