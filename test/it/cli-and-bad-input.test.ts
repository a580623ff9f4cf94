// `flink list` against real processes, and the ways a user can get the cluster's input wrong.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { runFlinkCli } from '../testing/jobs.js';
import { freePort } from '../testing/ports.js';
import { TestingCluster } from '../testing/TestingCluster.js';
import { REPO_ROOT } from '../testing/testRun.js';
import { getJson, waitFor } from '../testing/waitFor.js';
import { TestingZooKeeperEnsemble } from '../testing/zookeeper/TestingZooKeeperEnsemble.js';

function flink(args: string[], env: NodeJS.ProcessEnv) {
  return runFlinkCli(args, { ...process.env, ...env }, 60_000);
}

t.test('flink list prints Flink lines against a running cluster, and exits 1 against a dead address', async (t) => {
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const jm = await cluster.startJobManager();
  const env = { FLINK_CONF_DIR: cluster.confDir };

  const list = await flink(['list', '-m', `127.0.0.1:${jm.restPort}`], env);
  t.equal(list.code, 0, list.stderr);
  t.equal(list.stdout, 'Waiting for response...\nNo running jobs.\nNo scheduled jobs.\n');
  const viaD = await flink(['list', '-r', `-Drest.port=${jm.restPort}`, '-Drest.address=127.0.0.1'], env);
  t.equal(viaD.stdout, 'Waiting for response...\nNo running jobs.\n', 'rest.port from -D, only running jobs');
  const all = await flink(['list', '-a', '-m', `127.0.0.1:${jm.restPort}`], env);
  t.equal(all.stdout, 'Waiting for response...\nNo running jobs.\nNo scheduled jobs.\n', '-a with no terminated jobs adds nothing');

  const deadPort = await freePort();
  const dead = await flink(['list', '-m', `127.0.0.1:${deadPort}`, '-Drest.retry.max-attempts=2', '-Drest.retry.delay=50ms'], env);
  t.equal(dead.code, 1);
  t.equal(dead.stdout, 'Waiting for response...\n');
  t.match(dead.stderr, '\n------------------------------------------------------------\n The program finished with the following exception:\n\n');
  t.match(dead.stderr, 'FlinkException: Failed to retrieve job list.');
  t.match(dead.stderr, 'Caused by: RetryError: Could not complete the operation. Number of retries has been exhausted.');
  t.match(dead.stderr, `Connection refused: 127.0.0.1/127.0.0.1:${deadPort}`);

  const unknownAction = await flink(['lisst'], env);
  t.equal(unknownAction.code, 1);
  t.match(unknownAction.stdout, '"lisst" is not a valid action.');
});

t.test('unknown REST paths answer 404 with Flink\'s error body, under / and /v1/', async (t) => {
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const jm = await cluster.startJobManager();
  for (const path of ['/nope', '/v1/nope', '/jobs/overview/extra']) {
    const { status, body } = await getJson(`${jm.restUrl}${path}`);
    t.equal(status, 404, path);
    t.same(body, { errors: [`Not found: ${path}`] });
  }
  const { status, body } = await getJson(`${jm.restUrl}/taskmanagers/no-such-tm`);
  t.equal(status, 404);
  t.same(body, { errors: ['Could not find TaskExecutor no-such-tm.'] });
  const response = await fetch(`${jm.restUrl}/v1/overview`);
  t.equal(response.headers.get('content-type'), 'application/json; charset=UTF-8');
  const config = (await getJson(`${jm.restUrl}/jobmanager/config`)).body as Array<{ key: string; value: string }>;
  t.ok(config.some((e) => e.key === 'heartbeat.timeout' && e.value === '5000'));
  t.ok(config.some((e) => e.key === 'rest.port' && e.value === String(jm.restPort)), 'the bound port, not 0');
  const webConfig = (await getJson(`${jm.restUrl}/config`)).body;
  t.equal(webConfig['refresh-interval'], 3000);
  t.equal(webConfig.features['web-submit'], true);
  t.same((await getJson(`${jm.restUrl}/jobs`)).body, { jobs: [] });
  t.same((await getJson(`${jm.restUrl}/v1/jobs/overview`)).body, { jobs: [] });
});

t.test('a malformed config.yaml stops the JobManager with the file and line; -D without = is refused', async (t) => {
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const configFile = join(cluster.confDir, 'config.yaml');
  writeFileSync(configFile, 'rest:\n  port: 8081\n  address: [unclosed\nheartbeat.interval: 1000\n');
  const broken = cluster.start('standalonesession');
  t.not(await broken.exited, 0, 'exits non-zero');
  t.match(broken.output, new RegExp(`Error while parsing YAML configuration file ${configFile.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+`));

  writeFileSync(configFile, 'rest.port: 0\njobmanager.rpc.port: 0\n');
  const badD = cluster.start('standalonesession', ['-Drest.port']);
  t.equal(await badD.exited, 1);
  t.match(badD.output, "Invalid dynamic property '-Drest.port': expected -D<property=value>");
  const badValue = cluster.start('standalonesession', ['-D', 'heartbeat.interval=soon']);
  t.equal(await badValue.exited, 1);
  t.match(badValue.output, "Could not parse value 'soon' for key 'heartbeat.interval'");
});

t.test('start-cluster.sh starts a JobManager and the workers, stop-cluster.sh stops them all', async (t) => {
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const rpcPort = await freePort();
  const restPort = await freePort();
  writeFileSync(join(cluster.confDir, 'config.yaml'), `jobmanager.rpc.port: ${rpcPort}\nrest.port: ${restPort}\ntaskmanager.numberOfTaskSlots: 3\n`);
  writeFileSync(join(cluster.confDir, 'workers'), 'localhost\n# a comment\nlocalhost\n');
  const env = { ...process.env, FLINK_CONF_DIR: cluster.confDir, FLINK_LOG_DIR: cluster.logDir, FLINK_PID_DIR: cluster.pidDir };
  const start = spawnSync(join(REPO_ROOT, 'bin', 'start-cluster.sh'), [], { cwd: cluster.dir, env, encoding: 'utf8' });
  t.equal(start.status, 0, start.stderr);
  t.match(start.stdout, /Starting standalonesession daemon \(pid: \d+\)/);
  try {
    const overview = await waitFor('the started cluster', async () => {
      const { body } = await getJson(`http://127.0.0.1:${restPort}/overview`);
      return body.taskmanagers === 2 ? body : undefined;
    });
    t.equal(overview['slots-total'], 6);
  } finally {
    const stop = spawnSync(join(REPO_ROOT, 'bin', 'stop-cluster.sh'), [], { cwd: cluster.dir, env, encoding: 'utf8' });
    t.equal(stop.status, 0, stop.stderr);
    t.equal(stop.stdout.match(/Stopping taskexecutor daemon/g)?.length, 2);
    t.match(stop.stdout, 'Stopping standalonesession daemon');
  }
  await t.rejects(fetch(`http://127.0.0.1:${restPort}/overview`), 'the JobManager is gone');
  t.same(readFileSync(join(cluster.pidDir, `flink-${process.env.USER ?? userInfo().username}-taskexecutor.pid`), 'utf8'), '', 'no TaskManager left in the pid file');
});

t.test('with HA, start-cluster.sh starts a JobManager per conf/masters line: one leads, one stands by; stop-cluster.sh stops them', async (t) => {
  const zooKeeper = await TestingZooKeeperEnsemble.start(1);
  t.teardown(() => zooKeeper.close());
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const restPorts = [await freePort(), await freePort()];
  writeFileSync(
    join(cluster.confDir, 'config.yaml'),
    [
      'high-availability.type: zookeeper',
      `high-availability.zookeeper.quorum: ${zooKeeper.quorum}`,
      `high-availability.storageDir: file://${cluster.dir}/ha`,
      'high-availability.cluster-id: /start-cluster',
      'high-availability.zookeeper.client.session-timeout: 4000',
      '',
    ].join('\n'),
  );
  writeFileSync(join(cluster.confDir, 'masters'), restPorts.map((port) => `localhost:${port}\n`).join(''));
  writeFileSync(join(cluster.confDir, 'workers'), 'localhost\n');
  const env = { ...process.env, FLINK_CONF_DIR: cluster.confDir, FLINK_LOG_DIR: cluster.logDir, FLINK_PID_DIR: cluster.pidDir };
  const start = spawnSync(join(REPO_ROOT, 'bin', 'start-cluster.sh'), [], { cwd: cluster.dir, env, encoding: 'utf8' });
  t.equal(start.status, 0, start.stderr);
  t.match(start.stdout, 'Starting HA cluster with 2 masters.');
  t.equal(start.stdout.match(/Starting standalonesession daemon/g)?.length, 2);
  try {
    const statuses = await waitFor('one leader, one standby, the TaskManager with the leader', async () => {
      const answers = await Promise.all(
        restPorts.map((port) =>
          fetch(`http://127.0.0.1:${port}/overview`).then((r) => r.json().then((body) => ({ role: r.headers.get('x-tsflink-jobmanager'), body: body as { taskmanagers?: number } }))),
        ),
      );
      return answers.every((a) => a.body.taskmanagers === 1) ? answers.map((a) => a.role).sort() : undefined;
    });
    t.same(statuses, ['leader', 'standby'], 'one leads; the other forwards to it');
  } finally {
    const stop = spawnSync(join(REPO_ROOT, 'bin', 'stop-cluster.sh'), [], { cwd: cluster.dir, env, encoding: 'utf8' });
    t.equal(stop.status, 0, stop.stderr);
    t.equal(stop.stdout.match(/Stopping standalonesession daemon/g)?.length, 2, 'both JobManagers stopped');
  }
  for (const port of restPorts) await t.rejects(fetch(`http://127.0.0.1:${port}/overview`), 'the JobManager is gone');
});

t.test('flink info prints the execution plan without a cluster; POST /jars/:id/plan answers the same plan', async (t) => {
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const example = join(REPO_ROOT, 'examples', 'streaming', 'ClickEventCount.ts');
  const info = await flink(['info', '-p', '2', example, '--event-time'], { FLINK_CONF_DIR: cluster.confDir });
  t.equal(info.code, 0, info.stderr);
  const lines = info.stdout.split('\n');
  t.equal(lines[0], '----------------------- Execution Plan -----------------------');
  t.equal(lines[2], '--------------------------------------------------------------');
  t.same(lines.slice(3), ['', 'No description provided.', '']);
  const plan = JSON.parse(lines[1]!);
  t.same(plan.nodes.map((n: { description: string; parallelism: number }) => [n.description, n.parallelism]), [
    ['ClickEvent Source', 2],
    ['ClickEvent Counter', 2],
    ['ClickEventStatistics Sink', 2],
  ]);
  const missing = await flink(['info', join(REPO_ROOT, 'test', 'fixtures', 'jobs', 'NoExecute.ts')], { FLINK_CONF_DIR: cluster.confDir });
  t.equal(missing.code, 1);

  const jm = await cluster.startJobManager();
  const form = new FormData();
  form.append('jarfile', new Blob([readFileSync(example)]), 'ClickEventCount.ts');
  const { filename } = (await (await fetch(`${jm.restUrl}/jars/upload`, { method: 'POST', body: form })).json()) as { filename: string };
  const jarId = filename.slice(filename.lastIndexOf('/') + 1);
  const response = await fetch(`${jm.restUrl}/jars/${jarId}/plan`, { method: 'POST', body: JSON.stringify({ parallelism: 2, programArgsList: ['--event-time'] }) });
  t.equal(response.status, 200);
  const { plan: restPlan } = (await response.json()) as { plan: { nodes: unknown[]; jid: string } };
  t.same(restPlan.nodes, plan.nodes, 'the same plan as the CLI');
  t.equal((await fetch(`${jm.restUrl}/jars/nope/plan`, { method: 'POST' })).status, 404);
});
