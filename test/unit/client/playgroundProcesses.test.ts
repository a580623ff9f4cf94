// The playground's HTTP helper (src/client/playground/processes.ts); its process helpers are tested in test/it/playground-processes.test.ts.
import t from 'tap';
import { getJson } from '../../../src/client/playground/processes.js';
import { answerJson, closedPort, testHttpServer } from '../../testing/testHttpServer.js';

t.test('getJson: the document, or an error naming the URL and the status', async (t) => {
  const server = testHttpServer((req, res) => (req.url === '/jobs/overview' ? answerJson(res, 200, { jobs: [] }) : answerJson(res, 404, { errors: ['Not found'] })));
  const port = await server.listen();
  t.teardown(() => server.close());
  t.same(await getJson(`http://127.0.0.1:${port}/jobs/overview`), { jobs: [] });
  await t.rejects(getJson(`http://127.0.0.1:${port}/nope`), { message: `GET http://127.0.0.1:${port}/nope: HTTP 404` });
  const down = await closedPort();
  await t.rejects(getJson(`http://127.0.0.1:${down}/`), { name: 'ConnectError', message: `Connection refused: 127.0.0.1/127.0.0.1:${down}` });
});
