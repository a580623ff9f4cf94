// The one HTTP client: bodies, timeouts, size limit, and which failures say the request was never sent.
import t from 'tap';
import { ConnectError, ConnectionClosedError, InvalidJsonError, ResponseTimeoutError } from '../../../src/common/http/errors.js';
import { httpRequest, mayRetry, parseJson } from '../../../src/common/http/HttpClient.js';
import { answerJson, closedPort, failureOf, serveForTest } from '../../testing/testHttpServer.js';


t.test('JSON and raw bodies go out with their content type; any status comes back as a response', async (t) => {
  const { port, requests } = await serveForTest(t, (req, res) => (req.method !== 'GET' ? answerJson(res, 201, { ok: true }) : answerJson(res, 404, { errors: ['Not found'] })));
  const created = await httpRequest({ host: '127.0.0.1', port, path: '/things?x=1' }, { method: 'post', json: { a: [1, 'b'] } });
  t.equal(created.status, 201);
  t.same(parseJson(created), { ok: true });
  t.match(requests[0], { method: 'POST', url: '/things?x=1', body: '{"a":[1,"b"]}', headers: { 'content-type': 'application/json', 'content-length': '13' } });

  const raw = await httpRequest(`http://127.0.0.1:${port}/raw`, { method: 'PUT', body: Buffer.from('bytes'), contentType: 'text/plain' });
  t.equal(raw.status, 201);
  t.match(requests[1], { method: 'PUT', url: '/raw', body: 'bytes', headers: { 'content-type': 'text/plain' } });

  const missing = await httpRequest(new URL(`http://127.0.0.1:${port}/nope`));
  t.equal(missing.status, 404, 'an error status is an answer, not a failure');
  t.same(parseJson(missing), { errors: ['Not found'] });
  t.match(requests[2], { method: 'GET', url: '/nope', body: '' });
});

t.test('a refused connection is a ConnectError in Java\'s words, retriable for every method', async (t) => {
  const port = await closedPort();
  const error = await failureOf(httpRequest({ host: '127.0.0.1', port, path: '/' }, { method: 'POST', json: {} }));
  t.ok(error instanceof ConnectError);
  t.match(error, { message: `Connection refused: 127.0.0.1/127.0.0.1:${port}`, code: 'ECONNREFUSED', retriable: true });
  t.ok(mayRetry(error), 'a POST that was never sent may be sent again');
});

t.test('an unknown host is a ConnectError', async (t) => {
  const error = await failureOf(httpRequest('http://no-such-host.invalid:8081/', { connectTimeoutMs: 5000 }));
  t.ok(error instanceof ConnectError);
  t.match(error?.message, /^(Unknown host: no-such-host\.invalid|Connection timed out: .*)$/);
  t.ok(mayRetry(error));
});

t.test('a reset after the request was sent: retriable for GET, PUT, DELETE; not for POST or PATCH', async (t) => {
  const { port, requests } = await serveForTest(t, (req) => req.socket.destroy());
  for (const method of ['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'POST', 'PATCH']) {
    const error = await failureOf(httpRequest({ host: '127.0.0.1', port, path: '/x' }, { method }));
    t.ok(error instanceof ConnectionClosedError, method);
    const idempotent = !['POST', 'PATCH'].includes(method);
    t.equal(mayRetry(error), idempotent, `${method} may${idempotent ? '' : ' not'} be retried`);
    t.match(error?.message, `closed before the response to ${method} /x arrived`);
    t.equal(error?.message.endsWith('The request may have taken effect.'), !idempotent);
  }
  t.equal(requests.length, 7);
});

t.test('a connection closed in the middle of the response is a ConnectionClosedError', async (t) => {
  const { port } = await serveForTest(t, (req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '100' });
    res.write('{"partial":');
    setTimeout(() => req.socket.destroy(), 20);
  });
  const error = await failureOf(httpRequest({ host: '127.0.0.1', port, path: '/' }));
  t.ok(error instanceof ConnectionClosedError);
  t.ok(mayRetry(error));
});

t.test('no whole response within the response timeout is a ResponseTimeoutError', async (t) => {
  const { port } = await serveForTest(t, (_req, res) => {
    res.writeHead(200);
    res.write('slow');
  });
  const started = Date.now();
  const error = await failureOf(httpRequest({ host: '127.0.0.1', port, path: '/slow' }, { method: 'POST', responseTimeoutMs: 100 }));
  t.ok(error instanceof ResponseTimeoutError);
  t.match(error?.message, new RegExp(`^No response to POST /slow from 127\\.0\\.0\\.1:${port} within 100 ms\\. The request may have taken effect\\.$`));
  t.notOk(mayRetry(error));
  t.ok(Date.now() - started < 2000);
});

t.test('a response beyond maxResponseBytes is refused, declared or not', async (t) => {
  const { port } = await serveForTest(t, (req, res) => {
    if (req.url === '/declared') res.writeHead(200, { 'Content-Length': '2000' }).end('x'.repeat(2000));
    else {
      res.writeHead(200);
      for (let i = 0; i < 20; i++) res.write('y'.repeat(100));
      res.end();
    }
  });
  await t.rejects(httpRequest({ host: '127.0.0.1', port, path: '/declared' }, { maxResponseBytes: 1000 }), {
    name: 'ResponseTooLargeError',
    message: 'has 2000 bytes, more than the 1000 accepted',
  });
  await t.rejects(httpRequest({ host: '127.0.0.1', port, path: '/chunked' }, { maxResponseBytes: 1000 }), {
    name: 'ResponseTooLargeError',
    message: 'larger than the 1000 bytes accepted',
  });
  const whole = await httpRequest({ host: '127.0.0.1', port, path: '/chunked' }, { maxResponseBytes: 2000 });
  t.equal(whole.body.length, 2000, 'exactly the limit is accepted');
});

t.test('parseJson: a body that is not JSON fails clearly, with the status and the text', async (t) => {
  const response = { status: 502, headers: {}, body: Buffer.from('<html>Bad Gateway</html>') };
  const error = (() => {
    try {
      parseJson(response);
    } catch (e) {
      return e as InvalidJsonError;
    }
  })();
  t.ok(error instanceof InvalidJsonError);
  t.equal(error?.message, 'Response was not valid JSON, but plain-text: <html>Bad Gateway</html>');
  t.equal(error?.httpStatus, 502);
  t.same(parseJson({ status: 200, headers: {}, body: Buffer.from('[1,2]') }), [1, 2]);
});

t.test('only http and https URLs', async (t) => {
  await t.rejects(httpRequest('ftp://127.0.0.1/file'), { message: 'Cannot request ftp://127.0.0.1/file: only http and https URLs are supported.' });
  await t.rejects(httpRequest('not a url'), TypeError);
});
