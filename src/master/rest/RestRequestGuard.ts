import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { hostname, networkInterfaces } from 'node:os';
import type { IncomingHttpHeaders } from 'node:http';
import type { Configuration } from '../../common/config/Configuration.js';
import { JobManagerOptions, RestOptions, WebOptions } from '../../common/config/options.js';

/**
 * Who may call the REST API, decided per request before any handler runs: the Host header must name this endpoint
 * (DNS rebinding), state-changing requests must come from this endpoint's own origin or the configured allowed origin
 * (drive-by requests of web pages), and with `rest.authentication.token` every API call must carry the token or the
 * dashboard's session cookie.
 */

/** Bind addresses that mean "every interface": they name no host. */
const WILDCARD_ADDRESSES = new Set(['', '0.0.0.0', '::', '*']);

/** The host names and addresses a request's Host header may name. */
export class HostAllowList {
  private readonly names: ReadonlySet<string>;

  constructor(
    names: Iterable<string>,
    /** rest.allowed-hosts: '*': any Host is accepted. */
    readonly acceptsAny = false,
  ) {
    this.names = new Set([...names].map(normalizeHostName).filter((name) => name !== ''));
  }

  /**
   * localhost and loopback addresses, `rest.address` (or `jobmanager.rpc.address`, which clients dial without it),
   * `rest.bind-address` unless a wildcard, this machine's host name and interface addresses, and `rest.allowed-hosts`.
   */
  static fromConfiguration(config: Configuration): HostAllowList {
    const extra = (config.get(RestOptions.ALLOWED_HOSTS) ?? '').split(',').map((name) => name.trim()).filter((name) => name !== '');
    const names = ['localhost', '127.0.0.1', '::1', hostname(), ...extra];
    const restAddress = config.get(RestOptions.ADDRESS) ?? config.get(JobManagerOptions.ADDRESS);
    names.push(restAddress);
    const bindAddress = config.get(RestOptions.BIND_ADDRESS).trim();
    if (!WILDCARD_ADDRESSES.has(bindAddress)) names.push(bindAddress);
    for (const addresses of Object.values(networkInterfaces())) for (const address of addresses ?? []) names.push(address.address);
    return new HostAllowList(names.filter((name) => name !== '*'), extra.includes('*'));
  }

  /** Whether a Host header (`name`, `name:port`, `[v6]:port`) names this endpoint. No Host header (HTTP/1.0) passes. */
  accepts(hostHeader: string | undefined): boolean {
    if (hostHeader === undefined) return true;
    if (this.acceptsAny) return true;
    const name = hostOf(hostHeader);
    if (name === undefined) return false;
    return this.names.has(name) || name.endsWith('.localhost') || /^127(\.\d{1,3}){3}$/.test(name);
  }
}

/** The host name of a Host header, lower-case, without port, brackets or trailing dot; undefined when malformed. */
export function hostOf(hostHeader: string): string | undefined {
  const value = hostHeader.trim().toLowerCase();
  let name: string;
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    if (end < 0) return undefined;
    const rest = value.slice(end + 1);
    if (rest !== '' && !/^:\d+$/.test(rest)) return undefined;
    name = value.slice(1, end);
  } else {
    const parts = value.split(':');
    if (parts.length > 2 || (parts.length === 2 && !/^\d+$/.test(parts[1]!))) return undefined;
    name = parts[0]!;
  }
  name = normalizeHostName(name);
  return name === '' || /[^a-z0-9.:_%-]/.test(name) ? undefined : name;
}

function normalizeHostName(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/%.*$/, '')
    .replace(/\.$/, '');
}

/** Methods that never change anything (the rest do, and are refused from foreign origins). */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Flink's legacy GET that cancels a job (the dashboard's Cancel button): state-changing despite its method. */
const STATE_CHANGING_GET = /^\/jobs\/[^/]+\/yarn-cancel\/?$/;

export function isStateChanging(method: string, path: string): boolean {
  return !SAFE_METHODS.has(method) || STATE_CHANGING_GET.test(path);
}

/** `scheme://host[:port]` as browsers write Origin headers; undefined when not an http(s) origin. */
export function normalizeOrigin(origin: string): string | undefined {
  try {
    const url = new URL(origin);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

/** What `web.access-control-allow-origin` lets in: undefined (no other origin), '*' (any) or one origin. */
export function allowedOrigin(config: Configuration): string | undefined {
  const value = config.get(WebOptions.ACCESS_CONTROL_ALLOW_ORIGIN)?.trim();
  if (value === undefined || value === '') return undefined;
  return value === '*' ? '*' : (normalizeOrigin(value) ?? value);
}

/** Whether an Origin header is the configured allowed origin. */
export function isAllowedOrigin(origin: string | undefined, allowOrigin: string | undefined): boolean {
  if (origin === undefined || allowOrigin === undefined) return false;
  return allowOrigin === '*' || normalizeOrigin(origin) === allowOrigin;
}

/**
 * Why a state-changing request is refused as cross-origin, or undefined when it may proceed: its Origin is neither the
 * endpoint's own origin as the request reached it (`scheme://<Host header>`) nor the allowed origin, or the browser
 * marked it `Sec-Fetch-Site: cross-site` without an allowed Origin. Requests without either header (the CLI, curl)
 * proceed.
 */
export function crossOriginRefusal(headers: IncomingHttpHeaders, scheme: 'http' | 'https', allowOrigin: string | undefined): string | undefined {
  const origin = single(headers.origin);
  const fetchSite = single(headers['sec-fetch-site'])?.toLowerCase();
  if (origin !== undefined) {
    if (isAllowedOrigin(origin, allowOrigin)) return undefined;
    const host = single(headers.host);
    const own = host === undefined ? undefined : normalizeOrigin(`${scheme}://${host}`);
    const requested = normalizeOrigin(origin);
    if (requested === undefined || requested !== own) {
      return `Refused a cross-origin request from origin '${origin}': only this endpoint's own pages${allowOrigin ? ` and ${allowOrigin}` : ''} may change anything (see ${WebOptions.ACCESS_CONTROL_ALLOW_ORIGIN.key}).`;
    }
  }
  if (fetchSite === 'cross-site' && !isAllowedOrigin(origin, allowOrigin)) {
    return `Refused a cross-site request: only this endpoint's own pages${allowOrigin ? ` and ${allowOrigin}` : ''} may change anything (see ${WebOptions.ACCESS_CONTROL_ALLOW_ORIGIN.key}).`;
  }
  return undefined;
}

/** The cookie the dashboard's session travels in once it logged in with the token. */
export const SESSION_COOKIE = 'tsflink-rest-session';

/**
 * `rest.authentication.token`: a request is authenticated by `Authorization: Bearer <token>` or by the session cookie
 * (an HMAC of the token, so the cookie never holds the token itself). Compared in constant time.
 */
export class RestTokenAuthenticator {
  private readonly tokenDigest: Buffer;
  private readonly sessionValue: string;

  constructor(token: string) {
    this.tokenDigest = digest(token);
    this.sessionValue = createHmac('sha256', token).update('tsflink REST dashboard session').digest('base64url');
  }

  static fromConfiguration(config: Configuration): RestTokenAuthenticator | undefined {
    const token = config.get(RestOptions.AUTHENTICATION_TOKEN);
    return token === undefined || token === '' ? undefined : new RestTokenAuthenticator(token);
  }

  /** Whether `candidate` is the token. */
  isToken(candidate: string): boolean {
    return timingSafeEqual(digest(candidate), this.tokenDigest);
  }

  authenticates(headers: IncomingHttpHeaders): boolean {
    const authorization = single(headers.authorization);
    const bearer = authorization === undefined ? undefined : /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
    if (bearer !== undefined && this.isToken(bearer)) return true;
    const session = cookie(headers.cookie, SESSION_COOKIE);
    return session !== undefined && timingSafeEqual(digest(session), digest(this.sessionValue));
  }

  /** The Set-Cookie value that logs a browser in: HttpOnly, SameSite=Strict, Secure over TLS. */
  sessionCookie(secure: boolean): string {
    return `${SESSION_COOKIE}=${this.sessionValue}; Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
  }
}

/** The Set-Cookie value that logs a browser out. */
export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function cookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
