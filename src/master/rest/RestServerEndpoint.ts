import { createServer as createHttpServer, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { Configuration } from '../../common/config/Configuration.js';
import { RestOptions } from '../../common/config/options.js';
import { IllegalConfigurationError } from '../../common/errors.js';
import { matchesFingerprint } from '../../common/security/tlsConfiguration.js';
import { httpRequest, type TlsClientOptions } from '../../common/http/HttpClient.js';
import { JOB_MANAGER_ROLE_HEADER, LEADER_ADDRESS_HEADER } from '../../common/http/jobManagerRole.js';
import { isRestSslEnabled, restClientTls, restServerTls, type RestServerTls } from '../../common/http/RestSsl.js';
import type { Logger } from '../../common/Logger.js';
import { ByteBudget } from './ByteBudget.js';
import { RestHandlerError } from './RestHandlerError.js';
import { allowedOrigin, clearedSessionCookie, crossOriginRefusal, HostAllowList, isAllowedOrigin, isStateChanging, RestTokenAuthenticator } from './RestRequestGuard.js';
import { RequestBody } from './requestBodies.js';
import type { HandlerResponse, Router } from './Router.js';
import type { StaticFileServer } from './StaticFileServer.js';

const JSON_TYPE = 'application/json; charset=UTF-8';
const CORS_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS';

/** Who may call the endpoint and how much it buffers; see RestRequestGuard and the REST keys in options.ts. */
export interface RestEndpointOptions {
  /** web.access-control-allow-origin: undefined (no other origin), '*' or one origin. */
  allowOrigin: string | undefined;
  hosts: HostAllowList;
  /** rest.authentication.token, when set. */
  authenticator: RestTokenAuthenticator | undefined;
  /** security.ssl.rest.*: HTTPS when set. */
  tls: RestServerTls | undefined;
  /** rest.server.max-content-length: the largest request body. */
  maxContentLength: number;
  /** rest.server.max-buffered-content-length: request-body bytes held at once over all requests. */
  maxBufferedContentLength: number;
  /** How a standby calls the leader's REST endpoint with a request it forwards: TLS and token as clients use them. */
  forwarding: { tls: TlsClientOptions | undefined; token: string | undefined };
}

/**
 * Whether this JobManager leads, and where the leader's REST endpoint is when it does not (a standby forwards API calls
 * there, as Flink's REST handlers reach the leading Dispatcher from any JobManager).
 */
export interface RestLeadership {
  isLeader(): boolean;
  /** Where a standby forwards to; undefined while no other JobManager is known to lead. */
  leaderRestUrl(): string | undefined;
  /** The leader's REST address as leader retrieval tells it (this JobManager's own when it leads); undefined without HA. */
  leaderAddress(): string | undefined;
}

const ALWAYS_LEADER: RestLeadership = { isLeader: () => true, leaderRestUrl: () => undefined, leaderAddress: () => undefined };

/** Request headers a forwarded call keeps: what the handler reads, not what the hop is about. */
const FORWARDED_HEADERS = ['accept', 'content-type', 'user-agent'];
const FORWARDED_MARK = 'x-tsflink-forwarded-by-standby';


/** The endpoint's options from the configuration; fails on unusable TLS stores or limits. */
export function restEndpointOptions(config: Configuration): RestEndpointOptions {
  const maxContentLength = config.get(RestOptions.SERVER_MAX_CONTENT_LENGTH);
  const maxBufferedContentLength = config.get(RestOptions.SERVER_MAX_BUFFERED_CONTENT_LENGTH);
  if (maxContentLength < 1) throw new IllegalConfigurationError(`${RestOptions.SERVER_MAX_CONTENT_LENGTH.key} must be positive, not ${maxContentLength}.`);
  if (maxBufferedContentLength < maxContentLength) {
    throw new IllegalConfigurationError(
      `${RestOptions.SERVER_MAX_BUFFERED_CONTENT_LENGTH.key} (${maxBufferedContentLength}) must be at least ${RestOptions.SERVER_MAX_CONTENT_LENGTH.key} (${maxContentLength}).`,
    );
  }
  return {
    allowOrigin: allowedOrigin(config),
    hosts: HostAllowList.fromConfiguration(config),
    authenticator: RestTokenAuthenticator.fromConfiguration(config),
    tls: isRestSslEnabled(config) ? restServerTls(config) : undefined,
    maxContentLength,
    maxBufferedContentLength,
    forwarding: { tls: isRestSslEnabled(config) ? restClientTls(config) : undefined, token: config.get(RestOptions.AUTHENTICATION_TOKEN) },
  };
}

/** A request body held in memory, and the bytes of the budget it holds until its request is answered. */
interface ReadBody {
  body: Buffer;
  reserved: number;
}

/** Flink's answer while no leader's gateway can be retrieved. */
export const NOT_LEADER = 'Service temporarily unavailable due to an ongoing leader election. Please refresh.';

/**
 * The REST endpoint (Flink's RestServerEndpoint): serves the router's handlers at `/<path>` and `/v1/<path>`, answers
 * every response as JSON (log files as streamed text), every failure as `{"errors":[...]}` with its status, and the
 * web dashboard's files for GETs no handler takes. Before any handler runs, a request must name this endpoint in its
 * Host header, a state-changing one must not come from a foreign origin, and with a token an API call must carry it.
 * Request bodies are held within the per-request and the total byte limits.
 */
export class RestServerEndpoint {
  private server: Server | undefined;
  private readonly options: RestEndpointOptions;
  private readonly budget: ByteBudget;

  constructor(
    private readonly router: Router,
    private readonly log: Logger,
    private readonly dashboard?: StaticFileServer,
    options?: RestEndpointOptions,
    /** A standby forwards API calls to the leader; while no leader is known it answers 503, as Flink's REST does. */
    private readonly leadership: RestLeadership = ALWAYS_LEADER,
  ) {
    this.options = options ?? restEndpointOptions(new Configuration());
    this.budget = new ByteBudget(this.options.maxBufferedContentLength);
  }

  get scheme(): 'http' | 'https' {
    return this.options.tls ? 'https' : 'http';
  }

  /** Request-body bytes held right now (for tests and metrics). */
  get bufferedBytes(): number {
    return this.budget.inUse;
  }

  async start(host: string, port: number): Promise<number> {
    const listener = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    const tls = this.options.tls;
    const server = tls ? createHttpsServer(tls, listener) : createHttpServer(listener);
    if (tls && tls.pinnedFingerprints.length > 0) {
      server.on('secureConnection', (socket: TLSSocket) => {
        if (!matchesFingerprint(tls.pinnedFingerprints, socket.getPeerCertificate())) {
          this.log.warn(`Refused a REST client whose certificate matches no pinned fingerprint (security.ssl.rest.cert.fingerprint): ${socket.remoteAddress}.`);
          socket.destroy();
        }
      });
    }
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error) => reject(new Error(`Could not start the REST endpoint on ${host}:${port}: ${error.message}`, { cause: error })));
      server.listen(port, host, () => resolve());
    });
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const uri = req.url ?? '/';
    const method = req.method ?? 'GET';
    let read: ReadBody | undefined;
    try {
      if (!this.options.hosts.accepts(req.headers.host)) {
        throw new RestHandlerError(
          `Refused a request for host '${req.headers.host}': it is not a name of this REST endpoint. Add it to [${RestOptions.ALLOWED_HOSTS.key}] to accept it.`,
          403,
        );
      }
      const url = new URL(uri, 'http://localhost');
      const path = url.pathname.startsWith('/v1/') ? url.pathname.slice(3) : url.pathname === '/v1' ? '/' : url.pathname;
      if (method === 'OPTIONS' && req.headers.origin !== undefined && req.headers['access-control-request-method'] !== undefined) {
        this.preflight(req, res);
        return;
      }
      if (isStateChanging(method, path)) {
        const refusal = crossOriginRefusal(req.headers, this.scheme, this.options.allowOrigin);
        if (refusal) throw new RestHandlerError(refusal, 403);
      }
      const authenticator = this.options.authenticator;
      if (authenticator && (path === '/login' || path === '/logout') && method === 'POST') {
        read = await this.readBody(req);
        this.login(authenticator, path, read.body, res);
        return;
      }
      const matched = this.router.match(method, path);
      if (!matched) {
        req.resume();
        if (authenticator && method === 'GET' && url.searchParams.has('token')) {
          this.loginByQuery(authenticator, url, res);
          return;
        }
        await this.sendStaticFile(method, url.pathname, uri, res);
        return;
      }
      if (authenticator && !authenticator.authenticates(req.headers)) {
        req.resume();
        throw new RestHandlerError('Authentication required: send the REST token as "Authorization: Bearer <token>" (rest.authentication.token).', 401);
      }
      // Which JobManager answered: the leader itself, or a standby (forwarding, or refusing while none leads).
      const leading = this.leadership.isLeader();
      res.setHeader(JOB_MANAGER_ROLE_HEADER, leading ? 'leader' : 'standby');
      const leaderAddress = this.leadership.leaderAddress();
      if (leaderAddress) res.setHeader(LEADER_ADDRESS_HEADER, leaderAddress);
      if (!leading) {
        const leader = this.leadership.leaderRestUrl();
        // A forwarded call is never forwarded again: two standbys with stale news of the leader must not loop.
        if (!leader || req.headers[FORWARDED_MARK] !== undefined) {
          req.resume();
          throw new RestHandlerError(NOT_LEADER, 503);
        }
        read = await this.readBody(req);
        await this.forward(leader, method, uri, req, read.body, res);
        return;
      }
      read = await this.readBody(req);
      const response = await matched.handler({ params: matched.params, query: url.searchParams, body: read.body, headers: req.headers });
      // The handler is done with the body; what it returns no longer needs it.
      this.budget.release(read.reserved);
      read = undefined;
      await this.sendResponse(res, response);
    } catch (error) {
      if (error instanceof RestHandlerError) {
        this.send(res, error.httpStatus, { errors: [error.message] }, errorHeaders(error));
        return;
      }
      this.log.error(`Unhandled exception in REST handler for ${method} ${uri}.`, {}, error);
      const trace = error instanceof Error ? (error.stack ?? error.message) : String(error);
      this.send(res, 500, { errors: ['Internal server error.', `<Exception on server side:\n${trace}\nEnd of exception on server side>`] });
    } finally {
      if (read) this.budget.release(read.reserved);
    }
  }

  /**
   * Sends an API call this standby took (after its own Host, Origin and token checks) to the leader's REST endpoint and
   * answers with the leader's answer. The leader cannot be reached: 503, as during an election.
   */
  private async forward(leader: string, method: string, uri: string, req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void> {
    const headers: Record<string, string> = {};
    for (const name of FORWARDED_HEADERS) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const { tls, token } = this.options.forwarding;
    if (token) headers.authorization = `Bearer ${token}`;
    headers[FORWARDED_MARK] = '1';
    let answer;
    try {
      answer = await httpRequest(`${leader}${uri}`, {
        method,
        headers,
        ...(body.length > 0 ? { body, contentType: headers['content-type'] ?? 'application/octet-stream' } : {}),
        ...(tls ? { tls } : {}),
        connectTimeoutMs: 5000,
        maxResponseBytes: this.options.maxBufferedContentLength,
      });
    } catch (error) {
      this.log.warn(`Could not forward ${method} ${uri} to the leader at ${leader}: ${(error as Error).message}`);
      throw new RestHandlerError(NOT_LEADER, 503);
    }
    const contentType = answer.headers['content-type'];
    res.writeHead(answer.status, { ...(contentType ? { 'Content-Type': contentType } : {}), 'Content-Length': answer.body.length, ...this.corsHeaders() });
    res.end(answer.body);
  }

  /** A CORS preflight: answered for the allowed origin, refused for any other. */
  private preflight(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    const origin = req.headers.origin;
    if (!isAllowedOrigin(origin, this.options.allowOrigin)) {
      this.send(res, 403, { errors: [`Refused a CORS preflight from origin '${origin}': it is not the allowed origin (web.access-control-allow-origin).`] });
      return;
    }
    const requested = req.headers['access-control-request-headers'];
    const allowHeaders = typeof requested === 'string' && /^[\w\s,-]*$/.test(requested) ? requested : 'Content-Type, Authorization';
    res.writeHead(204, {
      ...this.corsHeaders(),
      'Access-Control-Allow-Methods': CORS_METHODS,
      'Access-Control-Allow-Headers': allowHeaders,
      'Access-Control-Max-Age': '600',
      'Content-Length': 0,
    });
    res.end();
  }

  /** POST /login `{"token":"…"}` sets the dashboard's session cookie; POST /logout clears it. */
  private login(authenticator: RestTokenAuthenticator, path: string, body: Buffer, res: ServerResponse): void {
    const secure = this.options.tls !== undefined;
    if (path === '/logout') {
      this.send(res, 200, {}, { 'Set-Cookie': clearedSessionCookie(secure) });
      return;
    }
    const token = RequestBody.parse(body, 'LoginRequestBody').string('token');
    if (token === undefined || !authenticator.isToken(token)) throw new RestHandlerError('Wrong REST token.', 401);
    this.send(res, 200, {}, { 'Set-Cookie': authenticator.sessionCookie(secure) });
  }

  /** `/?token=…` on a dashboard page: sets the session cookie and redirects to the page without the token. */
  private loginByQuery(authenticator: RestTokenAuthenticator, url: URL, res: ServerResponse): void {
    if (!authenticator.isToken(url.searchParams.get('token') ?? '')) throw new RestHandlerError('Wrong REST token.', 401);
    url.searchParams.delete('token');
    const location = `${url.pathname}${url.search}`;
    res.writeHead(303, { Location: location, 'Set-Cookie': authenticator.sessionCookie(this.options.tls !== undefined), 'Content-Length': 0, ...this.corsHeaders() });
    res.end();
  }

  /**
   * Reads a request body within `rest.server.max-content-length` (413 beyond) and the endpoint's total budget (503 when
   * it does not fit): a body that declares its length reserves it before a byte is read; a chunked one reserves as it
   * arrives.
   */
  private async readBody(req: IncomingMessage): Promise<ReadBody> {
    const max = this.options.maxContentLength;
    const declaredHeader = req.headers['content-length'];
    const declared = declaredHeader === undefined ? undefined : Number(declaredHeader);
    if (declared !== undefined && declared > max) {
      req.resume();
      throw tooLarge(max);
    }
    if (declared !== undefined && Number.isSafeInteger(declared)) {
      if (declared === 0) {
        req.resume();
        return { body: Buffer.alloc(0), reserved: 0 };
      }
      if (!this.budget.tryAcquire(declared)) {
        req.resume();
        throw busy(this.budget.capacity);
      }
      try {
        const body = Buffer.allocUnsafe(declared);
        let length = 0;
        for await (const chunk of req as AsyncIterable<Buffer>) {
          if (length + chunk.length > declared) throw new RestHandlerError('The request body is longer than its Content-Length.', 400);
          chunk.copy(body, length);
          length += chunk.length;
        }
        return { body: body.subarray(0, length), reserved: declared };
      } catch (error) {
        this.budget.release(declared);
        throw error;
      }
    }
    const chunks: Buffer[] = [];
    let length = 0;
    try {
      for await (const chunk of req as AsyncIterable<Buffer>) {
        length += chunk.length;
        if (length > max) throw tooLarge(max);
        if (!this.budget.tryAcquire(chunk.length)) {
          length -= chunk.length;
          throw busy(this.budget.capacity);
        }
        chunks.push(chunk);
      }
    } catch (error) {
      req.resume();
      this.budget.release(length);
      throw error;
    }
    return { body: Buffer.concat(chunks), reserved: length };
  }

  private async sendStaticFile(method: string | undefined, pathname: string, uri: string, res: ServerResponse): Promise<void> {
    const file = method === 'GET' && this.dashboard ? await this.dashboard.find(pathname) : undefined;
    if (file) {
      await this.sendResponse(res, { status: 200, body: file.body, contentType: file.contentType });
    } else if (method === 'GET' && (pathname === '/' || pathname === '/index.html')) {
      this.send(res, 404, { errors: ['Unable to load requested file /index.html.'] });
    } else {
      this.send(res, 404, { errors: [`Not found: ${uri}`] });
    }
  }

  private async sendResponse(res: ServerResponse, response: HandlerResponse): Promise<void> {
    if (response.contentType === undefined) {
      this.send(res, response.status, response.body);
      return;
    }
    if (typeof response.body === 'string' || Buffer.isBuffer(response.body)) {
      const payload = typeof response.body === 'string' ? Buffer.from(response.body) : response.body;
      res.writeHead(response.status, { 'Content-Type': response.contentType, 'Content-Length': payload.length, ...this.corsHeaders() });
      res.end(payload);
      return;
    }
    await this.stream(res, response.status, response.contentType, response.body as AsyncIterable<Uint8Array>);
  }

  /**
   * Streams chunks with backpressure. The first chunk is awaited before the status is sent, so a failure to start is
   * still answered as an error; a failure later can only cut the response short.
   */
  private async stream(res: ServerResponse, status: number, contentType: string, body: AsyncIterable<Uint8Array>): Promise<void> {
    const chunks = body[Symbol.asyncIterator]();
    let next = await chunks.next();
    res.writeHead(status, { 'Content-Type': contentType, ...this.corsHeaders() });
    let closed = false;
    res.once('close', () => (closed = true));
    try {
      while (!next.done) {
        if (closed) break;
        if (!res.write(next.value)) await drainedOrClosed(res);
        next = await chunks.next();
      }
      res.end();
    } catch (error) {
      this.log.warn(`Streaming a ${contentType} response failed; the response was cut short: ${(error as Error).message}`);
      res.destroy();
    } finally {
      if (closed || !next.done) await chunks.return?.().catch(() => undefined);
    }
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const payload = JSON.stringify(body);
    res.writeHead(status, {
      'Content-Type': JSON_TYPE,
      'Content-Length': Buffer.byteLength(payload),
      ...this.corsHeaders(),
      ...headers,
    });
    res.end(payload);
  }

  /** Access-Control-Allow-Origin only when web.access-control-allow-origin names an origin (or '*'). */
  private corsHeaders(): OutgoingHttpHeaders {
    const allowOrigin = this.options.allowOrigin;
    if (allowOrigin === undefined) return {};
    return allowOrigin === '*' ? { 'Access-Control-Allow-Origin': '*' } : { 'Access-Control-Allow-Origin': allowOrigin, Vary: 'Origin' };
  }
}

function errorHeaders(error: RestHandlerError): OutgoingHttpHeaders {
  if (error.httpStatus === 401) return { 'WWW-Authenticate': 'Bearer realm="tsflink"' };
  if (error.httpStatus === 503) return { 'Retry-After': '1' };
  return {};
}

function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Flink's answer to a body over rest.server.max-content-length (413, as its HttpObjectAggregator gives). */
function tooLarge(max: number): RestHandlerError {
  return new RestHandlerError(`The request is larger than ${max} bytes. Try to raise [${RestOptions.SERVER_MAX_CONTENT_LENGTH.key}]`, 413);
}

/** More request bodies at once than the endpoint holds: try again shortly. */
function busy(capacity: number): RestHandlerError {
  return new RestHandlerError(
    `The REST endpoint is holding as many request bodies as it may (${capacity} bytes, [${RestOptions.SERVER_MAX_BUFFERED_CONTENT_LENGTH.key}]). Try again later.`,
    503,
  );
}
