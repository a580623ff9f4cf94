// An in-process HTTP server on 127.0.0.1 for unit tests of HTTP callers: it reads each request whole, records it,
// then lets the test answer it (or not). Belongs in test/testing/ once that folder is open to this change.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export type Answer = (req: IncomingMessage, res: ServerResponse, n: number) => void;

export interface TestHttpServer {
  server: Server;
  requests: RecordedRequest[];
  /** Listens on 127.0.0.1 (`port` 0: any free port); resolves with the port. */
  listen(port?: number): Promise<number>;
  close(): Promise<void>;
}

export function testHttpServer(answer: Answer): TestHttpServer {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      answer(req, res, requests.length);
    });
  });
  return {
    server,
    requests,
    listen: (port = 0) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
      }),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on (one the OS just handed out and took back). */
export async function closedPort(): Promise<number> {
  const probe = testHttpServer(() => undefined);
  const port = await probe.listen();
  await probe.close();
  return port;
}

export function answerJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}

/** A test server for one test, closed in its teardown: its port and the requests it saw. */
export async function serveForTest(t: { teardown(fn: () => unknown): void }, answer: Answer): Promise<{ port: number; requests: TestHttpServer['requests'] }> {
  const server = testHttpServer(answer);
  const port = await server.listen();
  t.teardown(() => server.close());
  return { port, requests: server.requests };
}

/** The error a promise rejects with, or undefined if it resolves. */
export function failureOf(promise: Promise<unknown>): Promise<Error | undefined> {
  return promise.then(
    () => undefined,
    (e: Error) => e,
  );
}
