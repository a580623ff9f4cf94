import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../common/Logger.js';
import { RestHandlerError } from './RestHandlerError.js';
import type { HandlerResponse, Router } from './Router.js';
import type { StaticFileServer } from './StaticFileServer.js';

const JSON_TYPE = 'application/json; charset=UTF-8';
/** rest.server.max-content-length's default. */
const MAX_CONTENT_LENGTH = 104_857_600;

/**
 * The REST endpoint (Flink's RestServerEndpoint): serves the router's handlers at `/<path>` and `/v1/<path>`, answers
 * every response as JSON (log files as text), every failure as `{"errors":[...]}` with its status, and the web
 * dashboard's files for GETs no handler takes.
 */
export class RestServerEndpoint {
  private server: Server | undefined;

  constructor(
    private readonly router: Router,
    private readonly log: Logger,
    private readonly dashboard?: StaticFileServer,
  ) {}

  async start(host: string, port: number): Promise<number> {
    const server = createServer((req, res) => void this.handle(req, res));
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
    try {
      const url = new URL(uri, 'http://localhost');
      const path = url.pathname.startsWith('/v1/') ? url.pathname.slice(3) : url.pathname === '/v1' ? '/' : url.pathname;
      const matched = this.router.match(req.method ?? 'GET', path);
      if (!matched) {
        req.resume();
        await this.sendStaticFile(req.method, url.pathname, uri, res);
        return;
      }
      const body = await readBody(req);
      const response = await matched.handler({ params: matched.params, query: url.searchParams, body, headers: req.headers });
      this.sendResponse(res, response);
    } catch (error) {
      if (error instanceof RestHandlerError) {
        this.send(res, error.httpStatus, { errors: [error.message] });
        return;
      }
      this.log.error(`Unhandled exception in REST handler for ${req.method} ${uri}.`, {}, error);
      const trace = error instanceof Error ? (error.stack ?? error.message) : String(error);
      this.send(res, 500, { errors: ['Internal server error.', `<Exception on server side:\n${trace}\nEnd of exception on server side>`] });
    }
  }

  private async sendStaticFile(method: string | undefined, pathname: string, uri: string, res: ServerResponse): Promise<void> {
    const file = method === 'GET' && this.dashboard ? await this.dashboard.find(pathname) : undefined;
    if (file) {
      this.sendResponse(res, { status: 200, body: file.body, contentType: file.contentType });
    } else if (method === 'GET' && (pathname === '/' || pathname === '/index.html')) {
      this.send(res, 404, { errors: ['Unable to load requested file /index.html.'] });
    } else {
      this.send(res, 404, { errors: [`Not found: ${uri}`] });
    }
  }

  private sendResponse(res: ServerResponse, response: HandlerResponse): void {
    if (response.contentType === undefined) {
      this.send(res, response.status, response.body);
      return;
    }
    const payload = typeof response.body === 'string' ? Buffer.from(response.body) : (response.body as Buffer);
    res.writeHead(response.status, {
      'Content-Type': response.contentType,
      'Content-Length': payload.length,
      'Access-Control-Allow-Origin': '*',
    });
    res.end(payload);
  }

  private send(res: ServerResponse, status: number, body: unknown): void {
    const payload = JSON.stringify(body);
    res.writeHead(status, {
      'Content-Type': JSON_TYPE,
      'Content-Length': Buffer.byteLength(payload),
      'Access-Control-Allow-Origin': '*',
    });
    res.end(payload);
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  if (Number(req.headers['content-length']) > MAX_CONTENT_LENGTH) {
    req.resume();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length > MAX_CONTENT_LENGTH) {
      req.resume();
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Flink's answer to a body over rest.server.max-content-length (413, as its HttpObjectAggregator gives). */
function tooLarge(): RestHandlerError {
  return new RestHandlerError(`The request is larger than ${MAX_CONTENT_LENGTH} bytes. Try to raise [rest.server.max-content-length]`, 413);
}
