// GET /playground/verifier passes the output verifier's totals through, and says why when it cannot.
import t, { type Test } from 'tap';
import { Configuration } from '../../../../src/common/config/Configuration.js';
import { PlaygroundOptions } from '../../../../src/common/config/options.js';
import type { JobManagerServices } from '../../../../src/master/rest/handlers/JobManagerServices.js';
import { registerPlaygroundHandlers } from '../../../../src/master/rest/handlers/playgroundHandlers.js';
import { Router } from '../../../../src/master/rest/Router.js';
import { answerJson, closedPort, testHttpServer, type Answer } from '../../../testing/testHttpServer.js';

function verifierEndpoint(url: string | undefined) {
  const configuration = new Configuration();
  if (url !== undefined) configuration.set(PlaygroundOptions.VERIFIER_URL, url);
  const router = new Router();
  registerPlaygroundHandlers(router, { configuration } as unknown as JobManagerServices);
  const match = router.match('GET', '/playground/verifier')!;
  return () => Promise.resolve(match.handler({ params: match.params, query: new URLSearchParams(), body: Buffer.alloc(0), headers: {} }));
}

async function verifier(t: Test, answer: Answer): Promise<string> {
  const server = testHttpServer(answer);
  const port = await server.listen();
  t.teardown(() => server.close());
  return `http://127.0.0.1:${port}`;
}

t.test('the totals are passed through as the verifier serves them', async (t) => {
  const report = { topic: 'output', status: 'RUNNING', windows: { ok: 12, wrong: 0, missing: 0, duplicate: 0 }, problems: [] };
  const url = await verifier(t, (_req, res) => answerJson(res, 200, report));
  t.same(await verifierEndpoint(url)(), { status: 200, body: report });
});

t.test('without playground.verifier.url: 404', async (t) => {
  await t.rejects(verifierEndpoint(undefined)(), { name: 'NotFoundError', httpStatus: 404, message: 'No output verifier is configured (playground.verifier.url).' });
});

t.test('a verifier that is down, answers an error, or answers no JSON: 503 saying why', async (t) => {
  const down = `http://127.0.0.1:${await closedPort()}`;
  await t.rejects(verifierEndpoint(down)(), { name: 'RestHandlerError', httpStatus: 503, message: `The output verifier at ${down} is not available: ECONNREFUSED.` });
  const failing = await verifier(t, (_req, res) => answerJson(res, 500, { error: 'x' }));
  await t.rejects(verifierEndpoint(failing)(), { httpStatus: 503, message: `The output verifier at ${failing} is not available: it answered HTTP 500.` });
  const html = await verifier(t, (_req, res) => res.writeHead(200).end('<html>'));
  await t.rejects(verifierEndpoint(html)(), { httpStatus: 503, message: `The output verifier at ${html} is not available: Response was not valid JSON, but plain-text: <html>.` });
  const hangsUp = await verifier(t, (req) => req.socket.destroy());
  await t.rejects(verifierEndpoint(hangsUp)(), { httpStatus: 503, message: `The output verifier at ${hangsUp} is not available: ECONNRESET.` });
});

t.test('a verifier that does not answer within 2 s: 503', async (t) => {
  const silent = await verifier(t, () => undefined);
  await t.rejects(verifierEndpoint(silent)(), { httpStatus: 503, message: `The output verifier at ${silent} is not available: no answer within 2000 ms.` });
});
