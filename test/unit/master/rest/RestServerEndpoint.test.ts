// The REST endpoint's guards: Host names, cross-origin requests, CORS, the token and the dashboard's session cookie,
// request-body memory limits, deep JSON and streamed responses.
import t, { type Test } from 'tap';
import { request, type IncomingHttpHeaders } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Configuration } from '../../../../src/common/config/Configuration.js';
import { RestOptions, WebOptions } from '../../../../src/common/config/options.js';
import { LogSink, Logger } from '../../../../src/common/Logger.js';
import { BadRequestError } from '../../../../src/master/rest/RestHandlerError.js';
import { RequestBody } from '../../../../src/master/rest/requestBodies.js';
import { restEndpointOptions, RestServerEndpoint } from '../../../../src/master/rest/RestServerEndpoint.js';
import { HostAllowList, hostOf } from '../../../../src/master/rest/RestRequestGuard.js';
import { Router } from '../../../../src/master/rest/Router.js';
import { StaticFileServer } from '../../../../src/master/rest/StaticFileServer.js';

const log = new Logger(new LogSink(undefined, false), 'test');

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: any;
}

/** One request with exactly these headers (Host included: node's fetch would not let a test set it). */
function call(port: number, options: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const body = options.body === undefined ? undefined : Buffer.from(options.body);
    const headers: Record<string, string | number> = { Host: `127.0.0.1:${port}`, ...options.headers };
    if (body && headers['Content-Length'] === undefined && headers['Transfer-Encoding'] === undefined) headers['Content-Length'] = body.length;
    const req = request({ host: '127.0.0.1', port, method: options.method ?? 'GET', path: options.path ?? '/', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode!, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

interface Calls {
  count: number;
}

/** A router whose handlers count how often they ran: a GET, a state-changing POST, a yarn-cancel GET and a JSON reader. */
function testRouter(calls: Calls): Router {
  return new Router()
    .add('GET', '/overview', () => ({ status: 200, body: { taskmanagers: 1 } }))
    .add('POST', '/jars/upload', ({ body }) => {
      calls.count++;
      return { status: 200, body: { received: body.length } };
    })
    .add('POST', '/jars/:jarid/plan', () => {
      calls.count++;
      return { status: 200, body: { plan: {} } };
    })
    .add('GET', '/jobs/:jobid/yarn-cancel', () => {
      calls.count++;
      return { status: 202, body: {} };
    })
    .add('POST', '/jobs/:jobid/stop', ({ body }) => ({ status: 202, body: { drain: RequestBody.parse(body, 'StopWithSavepointRequestBody').boolean('drain') ?? null } }));
}

async function startEndpoint(t: Test, configure: (config: Configuration) => void = () => undefined, router?: Router, dashboard?: StaticFileServer) {
  const config = new Configuration();
  configure(config);
  const calls: Calls = { count: 0 };
  const endpoint = new RestServerEndpoint(router ?? testRouter(calls), log, dashboard, restEndpointOptions(config));
  const port = await endpoint.start('127.0.0.1', 0);
  t.teardown(() => endpoint.close());
  return { endpoint, port, calls };
}

t.test('by default no response allows other origins (no Access-Control-Allow-Origin)', async (t) => {
  const { port } = await startEndpoint(t);
  const reply = await call(port, { path: '/v1/overview', headers: { Origin: 'http://evil.example' } });
  t.equal(reply.status, 200, 'a GET is answered (the browser will not let the foreign page read it)');
  t.equal(reply.headers['access-control-allow-origin'], undefined);
  const missing = await call(port, { path: '/nope' });
  t.equal(missing.headers['access-control-allow-origin'], undefined, 'nor on errors');
  const preflight = await call(port, { method: 'OPTIONS', path: '/jars/upload', headers: { Origin: 'http://evil.example', 'Access-Control-Request-Method': 'POST' } });
  t.equal(preflight.status, 403);
  t.equal(preflight.headers['access-control-allow-origin'], undefined);
  t.match(preflight.json.errors[0], /Refused a CORS preflight from origin 'http:\/\/evil.example'/);
});

t.test('state-changing requests from a foreign origin are refused before their handler runs', async (t) => {
  const { port, calls } = await startEndpoint(t);
  const boundary = 'xyz';
  const multipart = `--${boundary}\r\nContent-Disposition: form-data; name="jarfile"; filename="job.js"\r\n\r\nexport default 1;\r\n--${boundary}--\r\n`;
  const upload = await call(port, {
    method: 'POST',
    path: '/jars/upload',
    headers: { Origin: 'http://evil.example', 'Content-Type': `multipart/form-data; boundary=${boundary}` },
    body: multipart,
  });
  t.equal(upload.status, 403);
  t.match(upload.json, { errors: [/Refused a cross-origin request from origin 'http:\/\/evil.example'/] });
  const plan = await call(port, { method: 'POST', path: '/jars/x.js/plan', headers: { Origin: 'http://evil.example', 'Content-Type': 'text/plain' }, body: '{}' });
  t.equal(plan.status, 403);
  const nullOrigin = await call(port, { method: 'POST', path: '/jars/x.js/plan', headers: { Origin: 'null' }, body: '{}' });
  t.equal(nullOrigin.status, 403, 'a sandboxed page (Origin: null) is foreign');
  const otherPort = await call(port, { method: 'POST', path: '/jars/x.js/plan', headers: { Origin: 'http://127.0.0.1:1' }, body: '{}' });
  t.equal(otherPort.status, 403, 'another port of the same host is another origin');
  const crossSite = await call(port, { method: 'POST', path: '/jars/x.js/plan', headers: { 'Sec-Fetch-Site': 'cross-site' }, body: '{}' });
  t.equal(crossSite.status, 403, 'Sec-Fetch-Site: cross-site without an Origin');
  const cancel = await call(port, { path: '/jobs/abc/yarn-cancel', headers: { Origin: 'http://evil.example' } });
  t.equal(cancel.status, 403, "Flink's cancelling GET counts as state-changing");
  t.equal(calls.count, 0, 'no handler ran');

  const own = await call(port, { method: 'POST', path: '/jars/x.js/plan', headers: { Origin: `http://127.0.0.1:${port}`, 'Sec-Fetch-Site': 'same-origin' }, body: '{}' });
  t.equal(own.status, 200, "the dashboard's own origin, as the request reached it");
  const cli = await call(port, { method: 'POST', path: '/jars/x.js/plan', body: '{}' });
  t.equal(cli.status, 200, 'no Origin (CLI, curl)');
  const get = await call(port, { path: '/overview', headers: { Origin: 'http://evil.example', 'Sec-Fetch-Site': 'cross-site' } });
  t.equal(get.status, 200, 'a safe GET is not refused');
  t.equal(calls.count, 2);
});

t.test('web.access-control-allow-origin: that origin gets CORS headers, preflights and may change things', async (t) => {
  const allowed = 'https://tools.example.com';
  const { port, calls } = await startEndpoint(t, (c) => c.set(WebOptions.ACCESS_CONTROL_ALLOW_ORIGIN, allowed));
  const preflight = await call(port, {
    method: 'OPTIONS',
    path: '/v1/jars/x.js/plan',
    headers: { Origin: allowed, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type, authorization' },
  });
  t.equal(preflight.status, 204);
  t.equal(preflight.headers['access-control-allow-origin'], allowed);
  t.match(preflight.headers['access-control-allow-methods'], /POST/);
  t.equal(preflight.headers['access-control-allow-headers'], 'content-type, authorization');
  const post = await call(port, { method: 'POST', path: '/jars/x.js/plan', headers: { Origin: allowed, 'Sec-Fetch-Site': 'cross-site' }, body: '{}' });
  t.equal(post.status, 200);
  t.equal(post.headers['access-control-allow-origin'], allowed);
  t.equal(post.headers.vary, 'Origin');
  const other = await call(port, { method: 'POST', path: '/jars/x.js/plan', headers: { Origin: 'https://evil.example' }, body: '{}' });
  t.equal(other.status, 403);
  const otherPreflight = await call(port, { method: 'OPTIONS', path: '/jars/x.js/plan', headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' } });
  t.equal(otherPreflight.status, 403);
  t.equal(calls.count, 1);
});

t.test("Host must name this endpoint (DNS rebinding); rest.allowed-hosts adds names, '*' any", async (t) => {
  const { port, calls } = await startEndpoint(t, (c) => c.set(RestOptions.ALLOWED_HOSTS, 'flink.internal, Other.Example'));
  for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, 'localhost', `flink.internal:${port}`, `other.example.:${port}`]) {
    t.equal((await call(port, { path: '/overview', headers: { Host: host } })).status, 200, host);
  }
  for (const host of [`attacker.example:${port}`, `localhost.attacker.example:${port}`, `flink.internal:${port}:1`]) {
    const reply = await call(port, { method: 'POST', path: '/jars/upload', headers: { Host: host }, body: 'x' });
    t.equal(reply.status, 403, host);
    t.match(reply.json.errors[0], /is not a name of this REST endpoint. Add it to \[rest.allowed-hosts\]/);
  }
  const page = await call(port, { path: '/', headers: { Host: `rebind.attacker.example:${port}` } });
  t.equal(page.status, 403, 'static files too');
  t.equal(calls.count, 0);

  const any = await startEndpoint(t, (c) => c.set(RestOptions.ALLOWED_HOSTS, '*'));
  t.equal((await call(any.port, { path: '/overview', headers: { Host: 'anything.example' } })).status, 200);
});

t.test('the host allow list reads Host headers strictly', async (t) => {
  t.equal(hostOf('LocalHost:8081'), 'localhost');
  t.equal(hostOf('[::1]:8081'), '::1');
  t.equal(hostOf('example.com.'), 'example.com');
  t.equal(hostOf('a:b'), undefined);
  t.equal(hostOf('[::1'), undefined);
  t.equal(hostOf('a b'), undefined);
  t.equal(hostOf(''), undefined);
  const config = new Configuration();
  config.set(RestOptions.BIND_ADDRESS, '0.0.0.0');
  config.set(RestOptions.ADDRESS, 'jobmanager');
  const list = HostAllowList.fromConfiguration(config);
  t.ok(list.accepts('jobmanager:8081'), 'rest.address');
  t.notOk(list.accepts('0.0.0.0:8081'), 'a wildcard bind address names no host');
  t.ok(list.accepts(undefined), 'no Host header (HTTP/1.0)');
});

t.test('rest.authentication.token: API calls need the bearer token or the session cookie; static files do not', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsflink-dashboard-'));
  writeFileSync(join(dir, 'index.html'), '<html>dashboard</html>');
  const calls: Calls = { count: 0 };
  const { port } = await startEndpoint(t, (c) => c.set(RestOptions.AUTHENTICATION_TOKEN, 's3cret-token'), testRouter(calls), new StaticFileServer(dir));

  const anonymous = await call(port, { path: '/v1/overview' });
  t.equal(anonymous.status, 401);
  t.equal(anonymous.headers['www-authenticate'], 'Bearer realm="tsflink"');
  t.match(anonymous.json.errors[0], /Authentication required/);
  t.equal((await call(port, { path: '/overview', headers: { Authorization: 'Bearer wrong' } })).status, 401);
  t.equal((await call(port, { path: '/overview', headers: { Authorization: 'Basic czNjcmV0LXRva2Vu' } })).status, 401);
  t.equal((await call(port, { path: '/overview', headers: { Authorization: 'Bearer s3cret-token' } })).status, 200);
  const upload = await call(port, { method: 'POST', path: '/jars/upload', body: 'x' });
  t.equal(upload.status, 401);
  t.equal(calls.count, 0);

  const page = await call(port, { path: '/' });
  t.equal(page.status, 200, 'the dashboard page loads without the token');
  t.equal(page.text, '<html>dashboard</html>');

  const wrongLogin = await call(port, { method: 'POST', path: '/login', body: '{"token":"nope"}' });
  t.equal(wrongLogin.status, 401);
  t.equal(wrongLogin.headers['set-cookie'], undefined);
  const foreignLogin = await call(port, { method: 'POST', path: '/login', headers: { Origin: 'http://evil.example' }, body: '{"token":"s3cret-token"}' });
  t.equal(foreignLogin.status, 403);
  const login = await call(port, { method: 'POST', path: '/login', headers: { Origin: `http://127.0.0.1:${port}` }, body: '{"token":"s3cret-token"}' });
  t.equal(login.status, 200);
  const setCookie = login.headers['set-cookie']![0]!;
  t.match(setCookie, /^tsflink-rest-session=[\w-]+; Path=\/; HttpOnly; SameSite=Strict$/);
  t.notMatch(setCookie, /s3cret-token/, 'the cookie does not hold the token');
  const cookie = setCookie.split(';')[0]!;
  t.equal((await call(port, { path: '/overview', headers: { Cookie: `other=1; ${cookie}` } })).status, 200);
  t.equal((await call(port, { path: '/overview', headers: { Cookie: 'tsflink-rest-session=forged' } })).status, 401);

  const byQuery = await call(port, { path: '/?token=s3cret-token&x=1' });
  t.equal(byQuery.status, 303);
  t.equal(byQuery.headers.location, '/?x=1', 'the token leaves the address bar');
  t.equal(byQuery.headers['set-cookie']![0]!.split(';')[0], cookie);
  t.equal((await call(port, { path: '/?token=wrong' })).status, 401);

  const logout = await call(port, { method: 'POST', path: '/logout', body: '' });
  t.match(logout.headers['set-cookie']![0], /^tsflink-rest-session=; Path=\/; Max-Age=0/);
});

/** A request that declares `length` body bytes and sends only `sent` of them, until `finish` is called. */
function partialRequest(port: number, path: string, length: number, sent: number) {
  let resolveReply!: (reply: { status: number; json: any }) => void;
  const reply = new Promise<{ status: number; json: any }>((resolve) => (resolveReply = resolve));
  const req = request({ host: '127.0.0.1', port, method: 'POST', path, headers: { 'Content-Length': length }, agent: false }, (res) => {
    let text = '';
    res.on('data', (d: Buffer) => (text += d.toString()));
    res.on('end', () => resolveReply({ status: res.statusCode!, json: JSON.parse(text) }));
  });
  req.on('error', () => undefined);
  req.write(Buffer.alloc(sent, 'a'));
  return { reply, finish: () => req.end(Buffer.alloc(length - sent, 'a')) };
}

t.test('request bodies: over the per-request limit 413; over the total held at once 503, nothing more buffered', async (t) => {
  const { endpoint, port, calls } = await startEndpoint(t, (c) => c.set(RestOptions.SERVER_MAX_CONTENT_LENGTH, 1000).set(RestOptions.SERVER_MAX_BUFFERED_CONTENT_LENGTH, 2000));
  const tooLarge = await call(port, { method: 'POST', path: '/jars/upload', body: Buffer.alloc(1001) });
  t.equal(tooLarge.status, 413);
  t.match(tooLarge.json.errors[0], 'Try to raise [rest.server.max-content-length]');

  const first = partialRequest(port, '/jars/upload', 900, 10);
  const second = partialRequest(port, '/jars/upload', 900, 10);
  await waitUntil(() => endpoint.bufferedBytes === 1800);
  const third = await call(port, { method: 'POST', path: '/jars/upload', body: Buffer.alloc(900) });
  t.equal(third.status, 503, 'a body that does not fit next to those held is refused at once');
  t.match(third.json.errors[0], /rest.server.max-buffered-content-length/);
  t.equal(third.headers['retry-after'], '1');
  const chunked = await call(port, { method: 'POST', path: '/jars/upload', headers: { 'Transfer-Encoding': 'chunked' }, body: Buffer.alloc(300) });
  t.equal(chunked.status, 503, 'a chunked body is counted as it arrives');
  t.equal(endpoint.bufferedBytes, 1800, 'the refused ones hold nothing');
  first.finish();
  second.finish();
  t.match(await first.reply, { status: 200, json: { received: 900 } });
  t.match(await second.reply, { status: 200, json: { received: 900 } });
  t.equal(endpoint.bufferedBytes, 0, 'released once answered');
  t.equal((await call(port, { method: 'POST', path: '/jars/upload', body: Buffer.alloc(900) })).status, 200, 'room again');
  t.equal(calls.count, 3);
});

t.test('the total limit must leave room for the largest request', async (t) => {
  const config = new Configuration().set(RestOptions.SERVER_MAX_CONTENT_LENGTH, 1000).set(RestOptions.SERVER_MAX_BUFFERED_CONTENT_LENGTH, 999);
  t.throws(() => restEndpointOptions(config), { name: 'IllegalConfigurationError', message: /rest.server.max-buffered-content-length \(999\) must be at least rest.server.max-content-length \(1000\)/ });
});

t.test('deep or huge JSON is a 400 with a clear message, never a 500 with a stack trace', async (t) => {
  const { port } = await startEndpoint(t);
  const deep = `{"drain":${'['.repeat(5000)}${']'.repeat(5000)}}`;
  const reply = await call(port, { method: 'POST', path: '/jobs/j/stop', body: deep });
  t.equal(reply.status, 400);
  t.same(reply.json, { errors: ['Request did not match expected format StopWithSavepointRequestBody. Document nesting depth (1001) exceeds the maximum allowed (1000).'] });
  const deepObject = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
  t.equal((await call(port, { method: 'POST', path: '/jobs/j/stop', body: deepObject })).status, 400);
  const brackets = `{"drain":false,"x":"${'['.repeat(5000)}"}`;
  t.same((await call(port, { method: 'POST', path: '/jobs/j/stop', body: brackets })).json, { drain: false }, 'brackets inside strings do not nest');
  const huge = `{"drain":false,"x":"${'a'.repeat(2_000_000)}"}`;
  const hugeReply = await call(port, { method: 'POST', path: '/jobs/j/stop', body: huge });
  t.equal(hugeReply.status, 400);
  t.match(hugeReply.json.errors[0], /more than the 1048576 accepted/);
  const nested = `{"drain":${'['.repeat(900)}${']'.repeat(900)}}`;
  const mismatch = await call(port, { method: 'POST', path: '/jobs/j/stop', body: nested });
  t.equal(mismatch.status, 400);
  t.ok(mismatch.json.errors[0].length < 400, 'the value shown is cut short');
  t.throws(() => RequestBody.parse(Buffer.from('[1]'), 'X'), BadRequestError);
});

t.test('streamed responses: chunks are sent as they come; a failure before the first is an error answer', async (t) => {
  const router = new Router()
    .add('GET', '/log', () => ({
      status: 200,
      contentType: 'text/plain; charset=UTF-8',
      body: (async function* () {
        for (let i = 0; i < 5; i++) yield Buffer.from(`line ${i}\n`);
      })(),
    }))
    .add('GET', '/broken', () => ({
      status: 200,
      contentType: 'text/plain',
      body: (async function* () {
        throw new BadRequestError('The file is gone.');
      })(),
    }));
  const { port } = await startEndpoint(t, () => undefined, router);
  const log = await call(port, { path: '/log' });
  t.equal(log.status, 200);
  t.equal(log.headers['content-type'], 'text/plain; charset=UTF-8');
  t.equal(log.text, 'line 0\nline 1\nline 2\nline 3\nline 4\n');
  const broken = await call(port, { path: '/broken' });
  t.equal(broken.status, 400);
  t.same(broken.json, { errors: ['The file is gone.'] });
});

async function waitUntil(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
