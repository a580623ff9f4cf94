import t from 'tap';
import { CliFrontend, formatJobLines } from '../../../src/client/cli/CliFrontend.js';
import { parseCommandLine } from '../../../src/client/cli/CommandLineParser.js';
import { LIST_OPTIONS } from '../../../src/client/cli/CliFrontendOptions.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

t.test('no action, unknown action, -v', async (t) => {
  let c = capture();
  t.equal(await new CliFrontend(c.io, {}).parseAndRun([]), 1);
  t.equal(c.out.at(-1), 'Please specify an action.');
  c = capture();
  t.equal(await new CliFrontend(c.io, {}).parseAndRun(['frobnicate']), 1);
  t.same(c.out, [
    '"frobnicate" is not a valid action.',
    '',
    'Valid actions are "run", "run-application", "list", "info", "savepoint", "stop", or "cancel".',
    '',
    'Specify the version option (-v or --version) to print Flink version.',
    '',
    'Specify the help option (-h or --help) to get help on the command.',
  ]);
  c = capture();
  t.equal(await new CliFrontend(c.io, {}).parseAndRun(['--version']), 0);
  t.match(c.out[0], /^Version: 1\.20\.0, Commit ID: tsflink-/);
});

t.test('bad options exit 1 with the help hint; a missing conf dir is named', async (t) => {
  let c = capture();
  t.equal(await new CliFrontend(c.io, {}).parseAndRun(['list', '--bogus']), 1);
  t.same(c.out, ['Unrecognized option: --bogus', '', 'Use the help option (-h or --help) to get help on the command.']);
  c = capture();
  t.equal(await new CliFrontend(c.io, { FLINK_CONF_DIR: '/nonexistent/conf' }).parseAndRun(['list']), 1);
  t.match(c.err.join('\n'), "The configuration directory '/nonexistent/conf', specified in the 'FLINK_CONF_DIR' environment variable, does not exist.");
  c = capture();
  t.equal(await new CliFrontend(c.io, {}).parseAndRun(['list', '-Drest.port']), 1);
  t.match(c.out[0], "Invalid dynamic property '-Drest.port'");
});

t.test('command line parsing: attached values, long=value, repeated -D', async (t) => {
  const parsed = parseCommandLine(LIST_OPTIONS, ['-r', '-Da=1', '-D', 'b=2', '--jobmanager=h:1'], false);
  t.ok(parsed.has(LIST_OPTIONS[2]!));
  t.same(parsed.values.get('D'), ['a=1', 'b=2']);
  t.same(parsed.values.get('jobmanager'), ['h:1']);
  t.throws(() => parseCommandLine(LIST_OPTIONS, ['-m'], false), { message: 'Missing argument for option: m' });
});

t.test('job lines: local start time, id, name, state; ordered by start time', async (t) => {
  const start = new Date(2019, 6, 16, 16, 37, 55).getTime();
  const lines = formatJobLines([
    { jobId: 'b'.repeat(32), jobName: 'Later', jobState: 'RUNNING', startTime: start + 1000 },
    { jobId: 'a'.repeat(32), jobName: 'Click Event Count', jobState: 'RESTARTING', startTime: start },
  ]);
  t.same(lines, [
    `16.07.2019 16:37:55 : ${'a'.repeat(32)} : Click Event Count (RESTARTING)`,
    `16.07.2019 16:37:56 : ${'b'.repeat(32)} : Later (RUNNING)`,
  ]);
});

t.test('programArgs strings split like a shell: quotes group, nothing else is interpreted', async (t) => {
  const { tokenize } = await import('../../../src/master/rest/handlers/jarHandlers.js');
  t.same(tokenize('--bootstrap.servers kafka:9092 --checkpointing --event-time'), ['--bootstrap.servers', 'kafka:9092', '--checkpointing', '--event-time']);
  t.same(tokenize(`--name "two words" --x 'single quoted' --y a\\"b`), ['--name', 'two words', '--x', 'single quoted', '--y', 'a\\"b']);
  t.same(tokenize('   '), []);
});

t.test('flink against an in-process REST endpoint: a reset savepoint trigger is not repeated, a dead address is retried', async (t) => {
  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { closedPort, testHttpServer } = await import('../../testing/testHttpServer.js');
  const confDir = mkdtempSync(join(tmpdir(), 'tsflink-cli-conf-'));
  t.teardown(() => rmSync(confDir, { recursive: true, force: true }));
  writeFileSync(join(confDir, 'config.yaml'), 'rest.retry.max-attempts: 2\nrest.retry.delay: 10 ms\n');
  const server = testHttpServer((req) => req.socket.destroy());
  const port = await server.listen();
  t.teardown(() => server.close());
  const jobId = 'a'.repeat(32);

  let c = capture();
  t.equal(await new CliFrontend(c.io, { FLINK_CONF_DIR: confDir }).parseAndRun(['savepoint', '-m', `127.0.0.1:${port}`, jobId]), 1);
  t.same(c.out, [`Triggering savepoint for job ${jobId}.`, 'Waiting for response...']);
  const err = c.err.join('\n');
  t.match(err, ' The program finished with the following exception:');
  t.match(err, `FlinkException: Failed to trigger a savepoint for the job ${jobId}.`);
  t.match(err, `Caused by: ConnectionClosedError: The connection to 127.0.0.1:${port} closed before the response to POST /v1/jobs/${jobId}/savepoints arrived`);
  t.match(err, 'The request may have taken effect.');
  t.notMatch(err, 'RetryError');
  t.equal(server.requests.length, 1, 'the POST reached the endpoint once');

  const dead = await closedPort();
  c = capture();
  t.equal(await new CliFrontend(c.io, { FLINK_CONF_DIR: confDir }).parseAndRun(['list', '-m', `127.0.0.1:${dead}`]), 1);
  t.same(c.out, ['Waiting for response...']);
  t.match(c.err.join('\n'), 'FlinkException: Failed to retrieve job list.');
  t.match(c.err.join('\n'), 'Caused by: RetryError: Could not complete the operation. Number of retries has been exhausted.');
  t.match(c.err.join('\n'), `Caused by: ConnectError: Connection refused: 127.0.0.1/127.0.0.1:${dead}`);
});
