// The playground job on real processes over real Kafka: every window the watermark passed appears exactly once per
// page with count 1000.
import t from 'tap';
import { join } from 'node:path';
import { runGenerator } from '../../src/client/generator/ClickEventGenerator.js';
import { TestingCluster } from '../testing/TestingCluster.js';
import { createTopics, jobStatus, readTopicUntil, submitJob, windowStartText, type WindowCount } from '../testing/jobs.js';
import { REPO_ROOT, testRun } from '../testing/testRun.js';
import { getJson, waitFor } from '../testing/waitFor.js';

const JOB = join(REPO_ROOT, 'examples', 'streaming', 'ClickEventCount.ts');
const WINDOWS = 20;
const PAGES = ['/help', '/index', '/shop', '/jobs', '/about', '/news'];

interface Scenario {
  name: string;
  parallelism: number;
  slotsPerTaskManager: number[];
  extraArgs: string[];
}

const scenarios: Scenario[] = [
  { name: '-p 2 on two TaskManagers (keyBy crosses TaskManagers over gRPC)', parallelism: 2, slotsPerTaskManager: [1, 1], extraArgs: [] },
  { name: '-p 2 with --chaining', parallelism: 2, slotsPerTaskManager: [1, 1], extraArgs: ['--chaining'] },
  { name: '-p 1', parallelism: 1, slotsPerTaskManager: [1], extraArgs: [] },
  { name: '-p 3 with 2 partitions (one source subtask has no partition and is idle)', parallelism: 3, slotsPerTaskManager: [2, 1], extraArgs: [] },
];

for (const scenario of scenarios.filter((s) => !process.env.ONLY_SCENARIO || s.name.startsWith(process.env.ONLY_SCENARIO))) {
  t.test(scenario.name, async (t) => {
    const cluster = new TestingCluster();
    t.teardown(() => cluster.close());
    const topics = await createTopics('cec');
    const jm = await cluster.startJobManager();
    for (const slots of scenario.slotsPerTaskManager) await cluster.startTaskManager(jm.rpcPort, ['-D', `taskmanager.numberOfTaskSlots=${slots}`]);
    await waitFor('TaskManagers registered', async () => (await getJson(`${jm.restUrl}/overview`)).body.taskmanagers === scenario.slotsPerTaskManager.length);

    const args = ['--bootstrap.servers', testRun().kafka.bootstrapServers, '--input-topic', topics.input, '--output-topic', topics.output, '--event-time', ...scenario.extraArgs];
    const jobId = await submitJob(jm.restUrl, JOB, args, scenario.parallelism);
    await waitFor('job RUNNING with all tasks RUNNING', async () => {
      const { body } = await getJson(`${jm.restUrl}/jobs/${jobId}`);
      return body.state === 'RUNNING' && body['status-counts'].RUNNING === body.vertices.reduce((n: number, v: any) => n + v.parallelism, 0);
    });

    const written = await runGenerator({ bootstrapServers: testRun().kafka.bootstrapServers, topic: topics.input, rate: 0, maxWindows: WINDOWS });
    t.equal(written, WINDOWS * 6 * 1000);
    const expected = (WINDOWS - 1) * PAGES.length;
    const output = await readTopicUntil(topics.output, (values) => values.length >= expected, 90_000).catch(async (error) => {
      for (const v of (await getJson(`${jm.restUrl}/jobs/${jobId}`)).body.vertices) {
        const { body } = await getJson(`${jm.restUrl}/jobs/${jobId}/vertices/${v.id}`);
        t.comment(`${v.name}: ${body.subtasks.map((s: any) => `${s.subtask}@${s['taskmanager-id']} in=${s.metrics['read-records']} out=${s.metrics['write-records']}`).join(', ')}`);
      }
      t.comment(cluster.logFiles().map((f) => cluster.readLog(f).split('\n').filter((l) => / WARN | ERROR /.test(l)).join('\n')).join('\n'));
      for (const p of cluster.processes) t.comment(p.output.split('\n').filter((l) => !/ INFO /.test(l)).join('\n'));
      throw error;
    });
    const records = output.map((v) => JSON.parse(v) as WindowCount);
    const seen = new Map<string, WindowCount[]>();
    for (const r of records) seen.set(`${r.windowStart}|${r.page}`, [...(seen.get(`${r.windowStart}|${r.page}`) ?? []), r]);
    let exact = 0;
    for (let w = 0; w < WINDOWS - 1; w++) {
      for (const page of PAGES) {
        const found = seen.get(`${windowStartText(w)}|${page}`) ?? [];
        if (found.length === 1 && found[0]!.count === 1000 && found[0]!.windowEnd === windowStartText(w + 1)) exact++;
        else t.fail(`window ${w} page ${page}: ${JSON.stringify(found)}`);
      }
    }
    t.equal(exact, expected, `all ${expected} window counts are exactly 1000, once each`);
    t.equal(records.length, expected, 'no other output (the last window is still open)');
    t.same(Object.keys(records[0]!), ['windowStart', 'windowEnd', 'page', 'count'], 'Flink\'s field order');

    const { body: details } = await getJson(`${jm.restUrl}/jobs/${jobId}`);
    const names = details.vertices.map((v: any) => v.name);
    if (scenario.extraArgs.includes('--chaining')) t.same(names, ['ClickEvent Source', 'ClickEvent Counter -> ClickEventStatistics Sink']);
    else t.same(names, ['ClickEvent Source', 'ClickEvent Counter', 'ClickEventStatistics Sink']);
    await waitFor('metrics reported with heartbeats', async () => {
      const { body } = await getJson(`${jm.restUrl}/jobs/${jobId}`);
      return body.vertices[0].metrics['write-records'] === WINDOWS * 6000;
    });

    const cancel = await fetch(`${jm.restUrl}/jobs/${jobId}?mode=cancel`, { method: 'PATCH' });
    t.equal(cancel.status, 202);
    await waitFor('job CANCELED', async () => (await jobStatus(jm.restUrl, jobId)) === 'CANCELED');
    t.equal((await getJson(`${jm.restUrl}/overview`)).body['slots-available'], scenario.slotsPerTaskManager.reduce((a, b) => a + b, 0), 'slots freed');
  });
}
