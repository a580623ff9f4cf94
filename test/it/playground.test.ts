// The one-command playground as a user drives it (issue 8): bin/playground up starts its own Kafka, the cluster, the
// generator, the verifier and the job; the seed's walkthrough — a killed TaskManager, stop with a savepoint and a
// restore with -p 3 on a second TaskManager — keeps the verifier clean (every window 1000, none missing, none twice);
// down after a kill resumes on the next up; down -v leaves no process, no port and no file behind.
import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { VerifierReport } from '../../src/client/verifier/OutputVerifier.js';
import { clusterProcessEnv, TestingCluster } from '../testing/TestingCluster.js';
import { waitForRunning } from '../testing/jobs.js';
import { freePort } from '../testing/ports.js';
import { REPO_ROOT, testDir } from '../testing/testRun.js';
import { getJson, waitFor } from '../testing/waitFor.js';

t.setTimeout(480_000);

const CLICK_EVENT_COUNT = join(REPO_ROOT, 'examples', 'streaming', 'ClickEventCount.ts');
const PAGES = 6;

/** `bin/playground <args> --data-dir <dataDir>`, with its exit code and output. */
function playgroundIn(dataDir: string) {
  return async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    try {
      const { stdout, stderr } = await promisify(execFile)(join(REPO_ROOT, 'bin', 'playground'), [...args, '--data-dir', dataDir], {
        env: clusterProcessEnv(),
        timeout: 240_000,
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };
}

async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

t.test('up, kill and recover a TaskManager, stop and restore with -p 3 on 2 TaskManagers, down and resume, down -v', async (t) => {
  const dataDir = join(testDir('playground'), 'data');
  const [kafka, controller, rest, rpc, verifier] = (await distinctFreePorts(5)) as [number, number, number, number, number];
  const restUrl = `http://127.0.0.1:${rest}`;
  const marks = [dataDir, `127.0.0.1:${kafka}`];

  const playground = playgroundIn(dataDir);
  t.teardown(async () => {
    if (!t.passing()) for (const line of logTails(dataDir)) t.comment(line);
    await playground('down', '-v');
    for (const pid of processesOf(marks)) killQuietly(pid);
  });
  const report = async (): Promise<VerifierReport> => (await getJson<VerifierReport>(`${restUrl}/playground/verifier`)).body;
  /** The verifier's totals once at least `ok` windows are ok and none is wrong, missing or twice. */
  const cleanWith = (ok: number) =>
    waitFor(`${ok} ok windows, none wrong, missing or duplicate`, async () => {
      const { status, windows } = await report();
      if (windows.wrong > 0 || windows.duplicate > 0) throw new Error(`the verifier found problems: ${JSON.stringify(await report())}`);
      return status === 'RUNNING' && windows.missing === 0 && windows.ok >= ok && windows;
    }, { timeoutMs: 120_000, intervalMs: 500 });
  const ok = async () => (await report()).windows.ok;

  // up: Kafka, the cluster, generator, verifier, and the job as the client container submits it.
  const up = await playground('up', '--kafka-port', String(kafka), '--kafka-controller-port', String(controller), '--rest-port', String(rest), '--rpc-port', String(rpc), '--verifier-port', String(verifier), '--generator-rate', '6000');
  t.equal(up.code, 0, up.stderr);
  t.match(up.stdout, /Submitted Click Event Count: job [0-9a-f]{32}\n/);
  let jobId = /Submitted Click Event Count: job ([0-9a-f]{32})/.exec(up.stdout)?.[1];
  t.match(up.stdout, `Web UI and REST API  http://localhost:${rest}`);
  t.match(up.stdout, `Savepoints           ${join(dataDir, 'savepoints')}`);
  await waitForRunning(restUrl, jobId!, 3);
  await cleanWith(2 * PAGES);

  const again = await playground('up');
  t.equal(again.code, 0, again.stderr);
  t.match(again.stdout, 'kafka is up-to-date');
  t.match(again.stdout, `client is up-to-date (job ${jobId} is RUNNING)`);
  t.notMatch(again.stdout, 'Started', 'a second up starts nothing');

  const ps = await playground('ps');
  t.equal(ps.code, 0, ps.stderr);
  t.match(ps.stdout, /^NAME +PID +STATE +PORTS\n/);
  t.match(ps.stdout, new RegExp(`^kafka +\\d+ +running +127\\.0\\.0\\.1:${kafka} \\(broker\\), 127\\.0\\.0\\.1:${controller} \\(controller\\)$`, 'm'));
  t.match(ps.stdout, new RegExp(`^jobmanager +\\d+ +running +127\\.0\\.0\\.1:${rest} \\(rest\\), 127\\.0\\.0\\.1:${rpc} \\(rpc\\)$`, 'm'));
  t.match(ps.stdout, /^taskmanager-1 +\d+ +running +127\.0\.0\.1:\d+ \(rpc\)$/m);
  t.match(ps.stdout, /^clickevent-generator +\d+ +running$/m);
  t.match(ps.stdout, /^client +exited 0$/m);
  t.match(ps.stdout, /^Output verifier \(topic output, RUNNING\): \d+ ok, 0 wrong, 0 missing, 0 duplicate windows; latest window end \d\d-01-1970/m);

  const bad = await playground('kill', 'nosuchthing');
  t.equal(bad.code, 1);
  t.match(bad.stderr, "Unknown component 'nosuchthing'");
  t.match(bad.stderr, 'Usage: bin/playground');

  // Failure and recovery: kill the TaskManager, start a new one; the job restores from its latest checkpoint.
  const killed = await playground('kill', 'taskmanager');
  t.match(killed.stdout, /^Killed taskmanager-1 \(pid \d+\)$/m);
  await waitFor('a restart', async () => (await getJson(`${restUrl}/jobs/${jobId}/metrics?get=numRestarts`)).body[0]?.value === '1', { timeoutMs: 60_000 });
  const recovered = await playground('up', 'taskmanager');
  t.match(recovered.stdout, /^Started taskmanager-1 \(pid \d+\)$/m);
  await waitForRunning(restUrl, jobId!, 3);
  t.ok((await getJson(`${restUrl}/jobs/${jobId}/checkpoints`)).body.latest.restored, 'restored from a checkpoint');
  await cleanWith((await ok()) + 2 * PAGES);

  // Upgrade and rescale: stop with a savepoint, run from it with -p 3 (2 slots: it waits), scale to 2 TaskManagers.
  const stop = await playground('flink', 'stop', jobId!);
  t.equal(stop.code, 0, stop.stderr);
  const savepoint = /Savepoint completed\. Path: (file:\S+)/.exec(stop.stdout)?.[1];
  t.match(savepoint, `file:${join(dataDir, 'savepoints')}/savepoint-`);
  const args = ['--bootstrap.servers', `127.0.0.1:${kafka}`, '--checkpointing', '--event-time', '--delivery-guarantee', 'exactly-once'];
  const run = await playground('flink', 'run', '-d', '-s', savepoint!, '-p', '3', CLICK_EVENT_COUNT, ...args);
  t.equal(run.code, 0, run.stderr);
  jobId = /Job has been submitted with JobID ([0-9a-f]{32})/.exec(run.stdout)?.[1];
  const scaled = await playground('scale', 'taskmanager=2');
  t.match(scaled.stdout, /^Started taskmanager-2 \(pid \d+\)$/m);
  await waitForRunning(restUrl, jobId!, 9);
  const beforeDown = await cleanWith((await ok()) + 2 * PAGES);

  // down after a kill: everything stops, the data stays; up resumes the job (-p 3, from its checkpoint) and the events.
  t.match((await playground('kill', 'jobmanager')).stdout, /^Killed jobmanager \(pid \d+\)$/m);
  const down = await playground('down');
  t.equal(down.code, 0, down.stderr);
  t.same(processesOf(marks), [], 'no process left');
  t.same(await boundPorts([kafka, controller, rest, rpc, verifier]), [], 'no port bound');
  t.ok(existsSync(join(dataDir, 'checkpoints', jobId!)), 'the checkpoints stay');
  const resumed = await playground('up');
  t.equal(resumed.code, 0, resumed.stderr);
  t.match(resumed.stdout, new RegExp(`resumed from ${join(dataDir, 'checkpoints', jobId!)}/chk-\\d+`));
  t.match(resumed.stdout, /^Started taskmanager-2 \(pid \d+\)$/m, 'as many TaskManagers as scaled to');
  jobId = /Submitted Click Event Count: job ([0-9a-f]{32})/.exec(resumed.stdout)?.[1];
  await waitForRunning(restUrl, jobId!, 9);
  t.match(readFileSync(join(dataDir, 'log', 'clickevent-generator.log'), 'utf8'), /Resuming after the newest event in input: starting at event [1-9]\d*\./);
  await cleanWith(beforeDown.ok + 2 * PAGES);

  // down -v after kills: no process, no port, no data. Meanwhile the JobManager says the verifier is gone.
  await playground('kill', 'kafka', 'verifier');
  const gone = await getJson(`${restUrl}/playground/verifier`);
  t.equal(gone.status, 503);
  t.match(gone.body.errors[0], `The output verifier at http://127.0.0.1:${verifier} is not available: ECONNREFUSED.`);
  const removed = await playground('down', '-v');
  t.equal(removed.code, 0, removed.stderr);
  t.match(removed.stdout, `Removed ${dataDir}`);
  t.same(processesOf(marks), [], 'no process left');
  t.same(await boundPorts([kafka, controller, rest, rpc, verifier]), [], 'no port bound');
  t.notOk(existsSync(dataDir), 'no data directory');
});

t.test('up --ha: ZooKeeper and two JobManagers; kill jobmanager kills the leader, the standby takes over the job, up jobmanager adds a standby', async (t) => {
  const dataDir = join(testDir('playground-ha'), 'data');
  let ports: number[];
  do ports = await distinctFreePorts(6);
  while ((await boundPorts([ports[3]! + 2])).length > 0 || ports.includes(ports[3]! + 2));
  const [zooKeeper, kafka, controller, rest, rpc, verifier] = ports as [number, number, number, number, number, number];
  const restUrls = [`http://127.0.0.1:${rest}`, `http://127.0.0.1:${rest + 2}`];
  const marks = [dataDir, `127.0.0.1:${kafka}`];
  const playground = playgroundIn(dataDir);
  t.teardown(async () => {
    if (!t.passing()) for (const line of logTails(dataDir)) t.comment(line);
    await playground('down', '-v');
    for (const pid of processesOf(marks)) killQuietly(pid);
  });
  const leader = () =>
    waitFor('a leading JobManager', async () => {
      for (const url of restUrls) if ((await fetch(`${url}/overview`).then((r) => r.status, () => 0)) === 200) return url;
      return undefined;
    }, { timeoutMs: 90_000, intervalMs: 200 });
  const verifierClean = (ok: number) =>
    waitFor(`${ok} ok windows, none wrong, missing or duplicate`, async () => {
      const { windows } = (await getJson<VerifierReport>(`http://127.0.0.1:${verifier}/`)).body;
      if (windows.wrong > 0 || windows.duplicate > 0) throw new Error(`the verifier found problems: ${JSON.stringify(windows)}`);
      return windows.missing === 0 && windows.ok >= ok && windows;
    }, { timeoutMs: 120_000, intervalMs: 500 });

  const up = await playground(
    'up', '--ha', '--zookeeper-port', String(zooKeeper), '--kafka-port', String(kafka), '--kafka-controller-port', String(controller),
    '--rest-port', String(rest), '--rpc-port', String(rpc), '--verifier-port', String(verifier), '--generator-rate', '6000',
  );
  t.equal(up.code, 0, up.stderr);
  t.match(up.stdout, `Started zookeeper`);
  t.match(up.stdout, /^Started jobmanager-1 \(pid \d+\)$/m);
  t.match(up.stdout, /^Started jobmanager-2 \(pid \d+\)$/m);
  t.match(up.stdout, `ZooKeeper            127.0.0.1:${zooKeeper} (high availability)`);
  const jobId = /Submitted Click Event Count: job ([0-9a-f]{32})/.exec(up.stdout)?.[1];
  const first = await leader();
  await waitForRunning(first, jobId!, 3);
  await verifierClean(2 * PAGES);
  const ps = await playground('ps');
  t.match(ps.stdout, new RegExp(`^zookeeper +\\d+ +running +127\\.0\\.0\\.1:${zooKeeper}$`, 'm'));
  t.match(ps.stdout, /^jobmanager-1 +\d+ +running +127\.0\.0\.1:\d+ \(rest\), 127\.0\.0\.1:\d+ \(rpc\)$/m);
  t.match(ps.stdout, /^jobmanager-2 +\d+ +running/m);

  // The leader dies: the standby takes the job and its running subtasks over; the verifier stays clean.
  const killed = await playground('kill', 'jobmanager');
  t.equal(killed.code, 0, killed.stderr);
  const victim = /^Killed (jobmanager-\d) \(pid \d+\)$/m.exec(killed.stdout)?.[1];
  t.ok(victim, killed.stdout);
  const second = await leader();
  t.not(second, first, 'the other JobManager leads');
  await waitForRunning(second, jobId!, 3);
  t.same((await getJson(`${second}/jobs/${jobId}/metrics?get=numRestarts`)).body, [{ id: 'numRestarts', value: '0' }], 'the job never restarted');
  const list = await playground('flink', 'list', '-r');
  t.match(list.stdout, `: ${jobId} : Click Event Count (RUNNING)`, 'the flink CLI finds the new leader');
  const again = await playground('up', 'jobmanager');
  t.match(again.stdout, new RegExp(`^Started ${victim} \\(pid \\d+\\)$`, 'm'), 'the dead one comes back as a standby');
  const { windows } = (await getJson<VerifierReport>(`http://127.0.0.1:${verifier}/`)).body;
  await verifierClean(windows.ok + 2 * PAGES);

  const removed = await playground('down', '-v');
  t.equal(removed.code, 0, removed.stderr);
  t.same(processesOf(marks), [], 'no process left');
  t.same(await boundPorts([zooKeeper, kafka, controller, rest, rest + 2, verifier]), [], 'no port bound');
});

t.test('a JobManager without playground.verifier.url answers GET /playground/verifier with 404', async (t) => {
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const { restUrl } = await cluster.startJobManager();
  for (const path of ['/playground/verifier', '/v1/playground/verifier']) {
    const { status, body } = await getJson(`${restUrl}${path}`);
    t.equal(status, 404);
    t.same(body, { errors: ['No output verifier is configured (playground.verifier.url).'] });
  }
});

/** Pids of the processes whose command line names one of `marks` (the data directory, the playground's broker). */
function processesOf(marks: string[]): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      continue;
    }
    if (marks.some((mark) => cmdline.includes(mark))) found.push(Number(entry));
  }
  return found;
}

/** The end of every log of the playground, for a failed run. */
function logTails(dataDir: string): string[] {
  const logs = [join(dataDir, 'kafka', 'kafka.log'), ...(existsSync(join(dataDir, 'log')) ? readdirSync(join(dataDir, 'log')).map((f) => join(dataDir, 'log', f)) : [])];
  return logs.filter(existsSync).flatMap((file) => [`--- ${file}`, ...readFileSync(file, 'utf8').trimEnd().split('\n').slice(-30)]);
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone
  }
}

/** The ports something still listens on: binding them is the test. */
async function boundPorts(ports: number[]): Promise<number[]> {
  const bound: number[] = [];
  for (const port of ports) {
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (!free) bound.push(port);
  }
  return bound;
}
