import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { runGenerator } from '../../src/client/generator/ClickEventGenerator.js';
import { Kafka, logLevel, type Consumer } from '../../src/connectors/kafka/kafkajs.js';
import type { Test } from 'tap';
import { clusterProcessEnv, type TestingCluster } from './TestingCluster.js';
import { REPO_ROOT, testRun } from './testRun.js';
import { getJson, waitFor } from './waitFor.js';

export function kafka(): Kafka {
  return new Kafka({ clientId: 'tsflink-test', brokers: [testRun().kafka.bootstrapServers], logLevel: logLevel.NOTHING });
}

/** Fresh input/output topics (2 partitions each) for one test. */
export async function createTopics(prefix: string, partitions = 2): Promise<{ input: string; output: string }> {
  const id = randomBytes(4).toString('hex');
  const topics = { input: `${prefix}-input-${id}`, output: `${prefix}-output-${id}` };
  const admin = kafka().admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [
        { topic: topics.input, numPartitions: partitions, replicationFactor: 1 },
        { topic: topics.output, numPartitions: 2, replicationFactor: 1 },
      ],
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
  return topics;
}

/** Click events written into `topic` at `rate` per second for as long as the test runs (stopped at its teardown). */
export function generateWhileTestRuns(t: Test, topic: string, rate: number): void {
  const stop = new AbortController();
  const generator = runGenerator({ bootstrapServers: testRun().kafka.bootstrapServers, topic, rate, maxWindows: undefined }, stop.signal);
  t.teardown(async () => {
    stop.abort();
    await generator.catch(() => undefined);
  });
}

/** Uploads a job file through POST /jars/upload and runs it; resolves with the job id. */
export async function submitJob(restUrl: string, file: string, programArgs: string[], parallelism?: number): Promise<string> {
  const jarId = await uploadJob(restUrl, file);
  const run = await fetch(`${restUrl}/jars/${jarId}/run`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ programArgsList: programArgs, ...(parallelism ? { parallelism } : {}) }),
  });
  const body = (await run.json()) as { jobid?: string; errors?: string[] };
  if (!body.jobid) throw new Error(`run failed (${run.status}): ${JSON.stringify(body)}`);
  return body.jobid;
}

export async function uploadJob(restUrl: string, file: string, content: Buffer = readFileSync(file)): Promise<string> {
  const form = new FormData();
  form.append('jarfile', new Blob([content]), basename(file));
  const response = await fetch(`${restUrl}/jars/upload`, { method: 'POST', body: form });
  const body = (await response.json()) as { filename?: string; errors?: string[] };
  if (!body.filename) throw new Error(`upload failed (${response.status}): ${JSON.stringify(body)}`);
  return body.filename.slice(body.filename.lastIndexOf('/') + 1);
}

export async function jobStatus(restUrl: string, jobId: string): Promise<string> {
  return (await getJson(`${restUrl}/jobs/${jobId}/status`)).body.status;
}

/** Reads a topic from the beginning, collecting record values, until `done(values)` holds. */
export async function readTopicUntil(topic: string, done: (values: string[]) => boolean, timeoutMs = 120_000): Promise<string[]> {
  const consumer: Consumer = kafka().consumer({ groupId: `reader-${randomBytes(4).toString('hex')}` });
  await consumer.connect();
  const values: string[] = [];
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) values.push(m.value!.toString());
      },
    });
    await waitFor(`records in ${topic}`, () => done(values), { timeoutMs, intervalMs: 100 });
    return values;
  } finally {
    await consumer.disconnect();
  }
}

export interface WindowCount {
  windowStart: string;
  windowEnd: string;
  page: string;
  count: number;
}

/** `01-01-1970 00:00:15:000` for window index 1 and so on (the generator starts at epoch 0). */
export function windowStartText(index: number): string {
  const d = new Date(index * 15_000);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getUTCDate())}-${p(d.getUTCMonth() + 1)}-${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}:000`;
}

/**
 * Everything committed in a topic, read by Kafka's own console consumer with read_committed: until `maxMessages`, or
 * until nothing new arrives for `idleMs`. Used to check exactly-once output: kafkajs' consumer (2.2.4) lets an aborted
 * record through when the broker lists the aborted transactions out of first-offset order (its filterAbortedMessages
 * assumes they are sorted), which happens after several transactional producers were fenced at once.
 */
export async function readCommitted(
  topic: string,
  { maxMessages, idleMs = 5000, bootstrapServers }: { maxMessages?: number; idleMs?: number; bootstrapServers?: string } = {},
): Promise<string[]> {
  const run = testRun();
  const args = ['console-consumer', '--bootstrap-server', bootstrapServers ?? run.kafka.bootstrapServers, '--topic', topic, '--from-beginning', '--isolation-level', 'read_committed', '--timeout-ms', String(idleMs)];
  if (maxMessages !== undefined) args.push('--max-messages', String(maxMessages));
  const { stdout } = await promisify(execFile)(join(REPO_ROOT, 'bin', 'kafka.sh'), args, {
    env: { ...process.env, KAFKA_PORT: String(run.kafka.port), KAFKA_DATA_DIR: run.kafka.dataDir },
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout.split('\n').filter((line) => line !== '');
}

/**
 * readCommitted until `accept` holds for what it read, each time from the beginning: one read ends when nothing arrives
 * for `idleMs`, which a console consumer slow to join (a loaded machine) can take for the end of the topic.
 */
export async function readCommittedUntil(
  topic: string,
  accept: (values: string[]) => boolean,
  options: { idleMs?: number; bootstrapServers?: string } = {},
): Promise<string[]> {
  return waitFor(
    `the records committed in ${topic}`,
    async () => {
      const values = await readCommitted(topic, options);
      return accept(values) ? values : undefined;
    },
    { timeoutMs: 180_000, intervalMs: 1000 },
  );
}

/** What a CLI run printed and its exit code. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `bin/flink <args>` with `env`, without blocking the test's event loop: its Kafka clients keep running, and its HTTP
 * keep-alive connections are not closed under it by a server while it waits.
 */
export async function runFlinkCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<CliRun> {
  try {
    const { stdout, stderr } = await promisify(execFile)(join(REPO_ROOT, 'bin', 'flink'), args, { env, timeout: timeoutMs });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** `bin/flink <action> -m <the cluster's REST address> <args>` with the cluster's configuration. */
export function flinkCli(cluster: TestingCluster, restUrl: string, args: string[]): Promise<CliRun> {
  const [action, ...rest] = args;
  return runFlinkCli([action!, '-m', new URL(restUrl).host, ...rest], { ...clusterProcessEnv(), FLINK_CONF_DIR: cluster.confDir });
}

export function parseWindows(values: string[]): WindowCount[] {
  return values.map((v) => JSON.parse(v) as WindowCount);
}

/** The playground's six pages. */
export const PAGES = ['/help', '/index', '/shop', '/jobs', '/about', '/news'];

/**
 * Asserts that the output of ClickEventCount over `windows` generated windows holds every closed window (all but the
 * last) exactly once per page with count 1000, and nothing else.
 */
export function expectExactWindows(t: Test, records: readonly WindowCount[], windows: number): void {
  const expected = (windows - 1) * PAGES.length;
  let exact = 0;
  for (let w = 0; w < windows - 1; w++) {
    for (const page of PAGES) {
      const found = records.filter((r) => r.windowStart === windowStartText(w) && r.page === page);
      if (found.length === 1 && found[0]!.count === 1000) exact++;
      else t.fail(`window ${w} page ${page}: ${JSON.stringify(found)}`);
    }
  }
  t.equal(exact, expected, `every window is exactly 1000, once (${expected} windows)`);
  t.equal(records.length, expected, 'nothing else was written');
}

/** Every page of windows 0 … windows-1 is in the output (duplicates allowed). */
export function windowsComplete(records: WindowCount[], windows: number): boolean {
  for (let w = 0; w < windows; w++) {
    const start = windowStartText(w);
    if (new Set(records.filter((r) => r.windowStart === start).map((r) => r.page)).size < 6) return false;
  }
  return true;
}

/** Waits until the job is RUNNING with `subtasks` subtasks RUNNING. */
export async function waitForRunning(restUrl: string, jobId: string, subtasks: number): Promise<void> {
  await waitFor(`the job RUNNING with ${subtasks} subtasks RUNNING`, async () => {
    const { body } = await getJson(`${restUrl}/jobs/${jobId}`);
    return body.state === 'RUNNING' && body['status-counts'].RUNNING === subtasks;
  }, { timeoutMs: 90_000 });
}

export async function completedCheckpoints(restUrl: string, jobId: string): Promise<number> {
  return (await getJson(`${restUrl}/jobs/${jobId}/checkpoints`)).body.counts.completed;
}

/**
 * What the root exception says when TaskManager `resourceId` was killed: the JobManager lost it, or — if their report
 * came first — a consumer of its subtasks lost the data connection to it (Flink's RemoteTransportException).
 */
export function lostTaskManager(resourceId: string): RegExp {
  const escaped = resourceId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`TaskManager with id ${escaped}|RemoteTransportException: Connection unexpectedly closed by remote task manager`);
}
