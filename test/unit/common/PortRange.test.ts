// Port specifications as Flink reads them, and binding the first free port of one.
import t from 'tap';
import { createServer, type Server } from 'node:net';
import { bindToFirstFreePort, parsePortRange } from '../../../src/common/net/PortRange.js';
import { closedPort } from '../../testing/testHttpServer.js';

t.test('parsePortRange: a port, a range, a list of both, 0 for any port; in the order given', async (t) => {
  t.same(parsePortRange('8081', 'rest.bind-port'), [8081]);
  t.same(parsePortRange('50100-50103', 'k'), [50100, 50101, 50102, 50103]);
  t.same(parsePortRange('9, 3-4,1', 'k'), [9, 3, 4, 1]);
  t.same(parsePortRange('7 - 8', 'k'), [7, 8]);
  t.same(parsePortRange('0', 'k'), [0]);
  t.same(parsePortRange('65535', 'k'), [65535]);
});

t.test('parsePortRange: anything else is a configuration error naming the value and the key', async (t) => {
  for (const spec of ['', 'abc', '8081-', '-8081', '9260-9250', '65536', '1-70000', '1,,2', '80.5', '8081;8082']) {
    t.throws(() => parsePortRange(spec, 'metrics.reporter.prom.port'), { name: 'IllegalConfigurationError', message: `Invalid port range definition '${spec}' for metrics.reporter.prom.port` }, `'${spec}'`);
  }
});

function listenOn(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => resolve(server));
  });
}

t.test('bindToFirstFreePort skips a port in use and takes the next', async (t) => {
  const busy = await listenOn(0);
  t.teardown(() => busy.close());
  const busyPort = (busy.address() as { port: number }).port;
  const freePort = await closedPort();
  const tried: number[] = [];
  const bound = await bindToFirstFreePort([busyPort, freePort], 'the test server', (port) => {
    tried.push(port);
    return listenOn(port);
  });
  t.teardown(() => bound.close());
  t.same(tried, [busyPort, freePort]);
  t.equal((bound.address() as { port: number }).port, freePort);
});

t.test('bindToFirstFreePort: every port in use fails naming the range and the last failure', async (t) => {
  const inUse = (port: number) => Promise.reject(Object.assign(new Error(`listen EADDRINUSE: address already in use 127.0.0.1:${port}`), { code: 'EADDRINUSE' }));
  const error = await bindToFirstFreePort([9250, 9251, 9252, 9253, 9254], 'the Prometheus reporter', inUse).catch((e: Error) => e);
  t.equal((error as Error).message, 'Could not start the Prometheus reporter on any port in [9250, 9251, …, 9254]: listen EADDRINUSE: address already in use 127.0.0.1:9254');
  t.match((error as Error).cause, { code: 'EADDRINUSE' });
});

t.test('bindToFirstFreePort: a failure other than a port in use ends the search', async (t) => {
  const tried: number[] = [];
  const error = await bindToFirstFreePort([80, 81], 'the server', (port) => {
    tried.push(port);
    return Promise.reject(Object.assign(new Error(`listen EACCES: permission denied 0.0.0.0:${port}`), { code: 'EACCES' }));
  }).catch((e: Error) => e);
  t.same(tried, [80]);
  t.equal((error as Error).message, 'Could not start the server on any port in [80, 81]: listen EACCES: permission denied 0.0.0.0:80');
});
