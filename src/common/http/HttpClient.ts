import { request as plainRequest, type ClientRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as tlsRequest, type RequestOptions as TlsRequestOptions } from 'node:https';
import type { TLSSocket, SecureVersion } from 'node:tls';
import { TsFlinkError } from '../errors.js';
import { matchesFingerprint } from '../security/tlsConfiguration.js';
import { ConnectError, ConnectionClosedError, InvalidJsonError, ResponseTimeoutError, ResponseTooLargeError, TlsHandshakeError } from './errors.js';

/** Where a request goes: a URL, or host, port and path (with its query). */
export type HttpTarget = string | URL | { host: string; port: number; path: string; protocol?: 'http:' | 'https:' };

export interface HttpRequestOptions {
  /** GET unless given. */
  method?: string;
  headers?: Record<string, string>;
  /** A body sent as JSON (`Content-Type: application/json`). */
  json?: unknown;
  /** A body sent as it is, with `contentType` (default application/octet-stream). */
  body?: Buffer | string;
  contentType?: string;
  /** How long establishing the connection may take (Flink's rest.connection-timeout, default 15 s). */
  connectTimeoutMs?: number;
  /** How long the whole response may take once the request was sent (Flink's rest.idleness-timeout, default 5 min). */
  responseTimeoutMs?: number;
  /** The largest response body accepted (Flink's rest.client.max-content-length, default 100 MiB). */
  maxResponseBytes?: number;
  /** For https: what to trust and present (unset: Node's default CAs, no client certificate). */
  tls?: TlsClientOptions;
}

/** How an https request verifies the server and identifies the client. */
export interface TlsClientOptions {
  /** Certificates the server's must chain to (unset: Node's default CAs). */
  ca?: Buffer[];
  /** The client's certificate and key (mutual TLS): a PKCS#12 `pfx`, or PEM `key` and `cert`. */
  pfx?: Buffer;
  key?: Buffer;
  cert?: Buffer;
  passphrase?: string;
  /** Whether the server certificate must name the host dialled (default true). */
  verifyHostname?: boolean;
  /** Normalized SHA-1/SHA-256 fingerprints, one of which the server certificate must have (pinning); nothing is sent before it is checked. */
  fingerprints?: string[];
  /** With fingerprints: the pin alone decides, the chain is not verified (a self-signed certificate without a truststore). */
  trustFingerprintsOnly?: boolean;
  minVersion?: SecureVersion;
  ciphers?: string;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;
export const DEFAULT_RESPONSE_TIMEOUT_MS = 300_000;
export const DEFAULT_MAX_RESPONSE_BYTES = 104_857_600;

/** Methods whose request may be sent twice with the effect of once (RFC 9110, 9.2.2). */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

/**
 * Whether sending the request again is safe and could help: always when no connection could be established (the
 * request was never sent); after a reset or a response timeout only for an idempotent method.
 */
export function mayRetry(error: unknown): boolean {
  if (error instanceof ConnectError) return true;
  return (error instanceof ConnectionClosedError || error instanceof ResponseTimeoutError) && error.retriable;
}

/**
 * Sends one HTTP request on a connection of its own and collects the whole response, whatever its status. Fails with
 * ConnectError when no connection could be established (nothing was sent), ConnectionClosedError or
 * ResponseTimeoutError when the connection closed or the time ran out after the request was sent (retriable for
 * idempotent methods only), ResponseTooLargeError beyond `maxResponseBytes`. The one way tsflink makes HTTP calls.
 */
export async function httpRequest(target: HttpTarget, options: HttpRequestOptions = {}): Promise<HttpResponse> {
  const { host, port, path, protocol } = resolveTarget(target);
  const method = (options.method ?? 'GET').toUpperCase();
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const responseTimeoutMs = options.responseTimeoutMs ?? DEFAULT_RESPONSE_TIMEOUT_MS;
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const payload = options.json !== undefined ? Buffer.from(JSON.stringify(options.json)) : typeof options.body === 'string' ? Buffer.from(options.body) : options.body;
  const headers: Record<string, string | number> = { ...options.headers };
  if (payload) {
    headers['Content-Type'] = options.json !== undefined ? 'application/json' : (options.contentType ?? 'application/octet-stream');
    headers['Content-Length'] = payload.length;
  }
  const endpoint = `${host}:${port}`;
  const exchange = `${method} ${path}`;
  const retriable = IDEMPOTENT_METHODS.has(method);
  const mayHaveTakenEffect = retriable ? '' : ' The request may have taken effect.';

  return new Promise<HttpResponse>((resolve, reject) => {
    let connected = false;
    let settled = false;
    let response: IncomingMessage | undefined;
    let responseTimer: NodeJS.Timeout | undefined;
    const connectTimer = setTimeout(
      () => fail(new ConnectError(`Connection timed out: ${endpoint} (no connection within ${connectTimeoutMs} ms)`, 'ETIMEDOUT')),
      connectTimeoutMs,
    );
    const finish = () => {
      settled = true;
      clearTimeout(connectTimer);
      clearTimeout(responseTimer);
    };
    const fail = (error: Error) => {
      if (settled) return;
      finish();
      reject(error);
      response?.destroy();
      req.destroy();
    };
    const closed = (cause: NodeJS.ErrnoException) =>
      new ConnectionClosedError(`The connection to ${endpoint} closed before the response to ${exchange} arrived (${cause.message}).${mayHaveTakenEffect}`, cause.code ?? 'ECONNRESET', {
        cause,
        retriable,
      });
    const onConnected = () => {
      connected = true;
      clearTimeout(connectTimer);
      responseTimer = setTimeout(
        () => fail(new ResponseTimeoutError(`No response to ${exchange} from ${endpoint} within ${responseTimeoutMs} ms.${mayHaveTakenEffect}`, { retriable })),
        responseTimeoutMs,
      );
    };

    const secure = protocol === 'https:';
    const tls = options.tls;
    const pinned = secure ? (tls?.fingerprints ?? []) : [];
    const tlsOptions: TlsRequestOptions = secure && tls ? tlsRequestOptions(tls) : {};
    const req: ClientRequest = (secure ? tlsRequest : plainRequest)({ host, port, method, path, headers, agent: false, ...tlsOptions }, (res) => {
      response = res;
      const declared = Number(res.headers['content-length']);
      if (declared > maxBytes) {
        fail(new ResponseTooLargeError(`The response to ${exchange} from ${endpoint} has ${declared} bytes, more than the ${maxBytes} accepted.`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) fail(new ResponseTooLargeError(`The response to ${exchange} from ${endpoint} is larger than the ${maxBytes} bytes accepted.`));
        else chunks.push(chunk);
      });
      res.on('end', () => {
        if (settled) return;
        finish();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      });
      res.on('error', (error: NodeJS.ErrnoException) => fail(closed(error)));
      res.on('close', () => {
        if (!res.complete) fail(closed(Object.assign(new Error('aborted'), { code: 'ECONNRESET' })));
      });
    });
    req.on('socket', (socket) => {
      if (!socket.connecting) onConnected();
      else socket.once(secure ? 'secureConnect' : 'connect', onConnected);
      if (pinned.length > 0) {
        // Nothing (headers, token, body) is sent before the server's certificate matched a pinned fingerprint.
        socket.once('secureConnect', () => {
          const certificate = (socket as TLSSocket).getPeerCertificate();
          if (matchesFingerprint(pinned, certificate)) req.end(payload);
          else fail(new TlsHandshakeError(`The certificate of ${endpoint} (SHA-256 ${certificate.fingerprint256 ?? 'none'}) matches no pinned fingerprint (security.ssl.rest.cert.fingerprint).`));
        });
      }
    });
    req.on('error', (error: NodeJS.ErrnoException) => fail(connected ? closed(error) : secure && isTlsFailure(error) ? tlsFailure(error, endpoint) : connectError(error, host, port)));
    if (pinned.length === 0) req.end(payload);
  });
}

function tlsRequestOptions(tls: TlsClientOptions): TlsRequestOptions {
  return {
    ...(tls.ca ? { ca: tls.ca } : {}),
    ...(tls.pfx ? { pfx: tls.pfx } : {}),
    ...(tls.key ? { key: tls.key } : {}),
    ...(tls.cert ? { cert: tls.cert } : {}),
    ...(tls.passphrase !== undefined ? { passphrase: tls.passphrase } : {}),
    ...(tls.minVersion ? { minVersion: tls.minVersion } : {}),
    ...(tls.ciphers ? { ciphers: tls.ciphers } : {}),
    rejectUnauthorized: !(tls.trustFingerprintsOnly && (tls.fingerprints?.length ?? 0) > 0),
    ...(tls.verifyHostname === false ? { checkServerIdentity: () => undefined } : {}),
  };
}

/** Certificate and handshake failures: retrying cannot help, the configuration must change. */
function isTlsFailure(error: NodeJS.ErrnoException): boolean {
  const code = error.code ?? '';
  return /CERT|SELF_SIGNED|SIGNATURE|ISSUER|^ERR_SSL_|^ERR_TLS_|^EPROTO$/.test(code);
}

function tlsFailure(error: NodeJS.ErrnoException, endpoint: string): TlsHandshakeError {
  return new TlsHandshakeError(
    `The TLS handshake with ${endpoint} failed: ${error.message}${error.code ? ` (${error.code})` : ''}. Check security.ssl.rest.truststore, security.ssl.verify-hostname and, with mutual TLS, security.ssl.rest.keystore.`,
    { cause: error },
  );
}

/** The body as JSON; a body that is not JSON fails with Flink's RestClient wording and the text received. */
export function parseJson<T = unknown>(response: HttpResponse): T {
  const text = response.body.toString('utf8');
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    const shown = text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
    throw new InvalidJsonError(`Response was not valid JSON, but plain-text: ${shown}`, response.status, error);
  }
}

/** A failure before the connection was established, in the words of Java's ConnectException / UnknownHostException. */
function connectError(error: NodeJS.ErrnoException, host: string, port: number): ConnectError {
  const code = error.code ?? 'ECONNREFUSED';
  if (code === 'ECONNREFUSED') return new ConnectError(`Connection refused: ${host}/${(error as { address?: string }).address ?? host}:${port}`, code, error);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new ConnectError(`Unknown host: ${host}`, code, error);
  return new ConnectError(`${error.message}: ${host}:${port}`, code, error);
}

function resolveTarget(target: HttpTarget): { host: string; port: number; path: string; protocol: 'http:' | 'https:' } {
  if (typeof target === 'object' && !(target instanceof URL)) return { protocol: 'http:', ...target };
  const url = new URL(target);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TsFlinkError(`Cannot request ${url.href}: only http and https URLs are supported.`);
  return {
    protocol: url.protocol,
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port),
    path: `${url.pathname}${url.search}`,
  };
}
