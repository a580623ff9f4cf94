// Apache Flink 1.20's own web dashboard (flink-runtime-web's web/ folder, bin/flink-stock.sh) served by a tsflink
// JobManager (web.dashboard.dir) in a real chromium, against a cluster running Click Event Count: the job, a vertex's
// flame graph, the JobManager's configuration and the thread dumps of both processes render with no failed API call
// and no error notification.
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { chromiumMissing, launchChromium } from '../testing/browser.js';
import { createTopics, generateWhileTestRuns, submitJob, waitForRunning } from '../testing/jobs.js';
import { TestingCluster } from '../testing/TestingCluster.js';
import { REPO_ROOT, testRun } from '../testing/testRun.js';
import { getJson, waitFor } from '../testing/waitFor.js';

const CLICK_EVENT_COUNT = join(REPO_ROOT, 'examples', 'streaming', 'ClickEventCount.ts');
const SCREENSHOTS = join(REPO_ROOT, 'docs', 'images');
/** Counts the dashboard's notifications (ng-zorro's), also those shown for a moment only. */
const RECORD_NOTIFICATIONS = `(() => {
  window.__notifications = [];
  new MutationObserver(() => {
    for (const n of document.querySelectorAll('.ant-notification-notice, .ant-message-notice')) {
      if (!n.__seen) { n.__seen = true; window.__notifications.push(n.textContent); }
    }
  }).observe(document, { subtree: true, childList: true });
})()`;

async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `stock-dashboard-${name}.png`), fullPage: true });
}

/** The page's text; the non-breaking spaces of the dashboard's code editor (logs, thread dumps) as spaces. */
async function pageText(page: Page): Promise<string> {
  return ((await page.locator('body').textContent()) ?? '').replace(/\u00a0/g, ' ');
}

t.test("Flink 1.20's own dashboard against tsflink", { skip: chromiumMissing() ?? false }, async (t) => {
  const { stdout: webDir } = await promisify(execFile)(join(REPO_ROOT, 'bin', 'flink-stock.sh'), ['web-dir']);
  const bootstrapServers = testRun().kafka.bootstrapServers;
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const jm = await cluster.startJobManager([
    '-D', `web.dashboard.dir=${webDir.trim()}`,
    '-D', 'rest.flamegraph.enabled=true', '-D', 'rest.flamegraph.num-samples=20', '-D', 'rest.flamegraph.delay-between-samples=50 ms',
  ]);
  const tm = await cluster.startTaskManager(jm.rpcPort, ['-D', 'taskmanager.numberOfTaskSlots=3']);
  const topics = await createTopics('stock-dashboard');
  const jobId = await submitJob(jm.restUrl, CLICK_EVENT_COUNT, ['--bootstrap.servers', bootstrapServers, '--input-topic', topics.input, '--output-topic', topics.output, '--event-time', '--checkpointing'], 1);
  generateWhileTestRuns(t, topics.input, 1000);
  await waitForRunning(jm.restUrl, jobId, 3);
  const vertices = (await getJson(`${jm.restUrl}/jobs/${jobId}`)).body.vertices as Array<{ id: string; name: string }>;
  const counter = vertices.find((v) => v.name === 'ClickEvent Counter')!.id;

  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.addInitScript(RECORD_NOTIFICATIONS);
  const failedCalls: string[] = [];
  page.on('response', (response) => {
    if (response.status() >= 400) failedCalls.push(`${response.status()} ${response.request().method()} ${response.url()}`);
  });
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));

  const visit = async (route: string, expected: string | RegExp, description: string) => {
    await page.goto(`${jm.restUrl}/#/${route}`);
    await waitFor(description, async () => {
      const text = await pageText(page);
      return typeof expected === 'string' ? text.includes(expected) : expected.test(text);
    }, { timeoutMs: 30_000, intervalMs: 200 }).catch(async (error: Error) => {
      throw new Error(`${error.message}; the page says: ${(await pageText(page)).slice(0, 2000)}; failed calls: ${failedCalls.join(', ')}; errors: ${pageErrors.join(', ')}; url ${page.url()}`);
    });
    t.pass(description);
  };

  await visit('overview', 'Click Event Count', 'the overview lists the job');
  await visit(`job/running/${jobId}/overview`, 'ClickEvent Counter', "the job's page shows its vertices");
  const tmPath = `task-manager/${encodeURIComponent(tm.resourceId)}`;
  const pages: Array<[string, string | RegExp]> = [
    [`job/running/${jobId}/exceptions`, 'No Root Exception'],
    [`job/running/${jobId}/timeline`, 'Vertex TimeLine'],
    [`job/running/${jobId}/checkpoints`, /Completed: [1-9]/],
    [`job/running/${jobId}/configuration`, 'Execution Configuration'],
    [`job/running/${jobId}/overview/${counter}/subtasks`, 'ClickEvent Counter'],
    [`job/running/${jobId}/overview/${counter}/backpressure`, 'Backpressured (max)'],
    [`job/running/${jobId}/overview/${counter}/watermarks`, 'Low Watermark'],
    ['task-manager', tm.resourceId],
    [`${tmPath}/logs`, 'Starting taskexecutor'],
    ['job-manager/metrics', 'JVM Metaspace'],
    ['job-manager/logs', 'Starting standalonesession'],
    ['job-manager/log', /standalonesession-\d+-.*\.log/],
    ['job/completed', 'Completed Jobs'],
  ];
  for (const [route, expected] of pages) await visit(route, expected, `#/${route}`);
  await visit(`job/running/${jobId}/overview/${counter}/flamegraph`, /Measurement: \d+/, "the counter's flame graph, once sampled");
  // d3-flame-graph grows the frames in a transition: drawn once the root spans the graph.
  await waitFor('the flame graph drawn', async () => {
    const root = page.locator('flink-flame-graph svg g[name="root"]');
    if ((await root.count()) !== 1) return false;
    return Number(await root.locator('rect').getAttribute('width')) >= Number(await root.getAttribute('width')) - 1;
  });
  t.ok((await page.locator('flink-flame-graph svg g.frame').count()) > 3, 'frames under the root');
  await screenshot(page, 'flamegraph');
  await visit('job-manager/config', 'rest.flamegraph.enabled', "the JobManager's configuration");
  t.match(await pageText(page), `Node.js ${process.version}`, 'and its environment (the JVM section)');
  await visit('job-manager/thread-dump', /"main"\s+Id=\d+\s+RUNNABLE/, "the JobManager's thread dump");
  await screenshot(page, 'jobmanager-thread-dump');
  await visit(`${tmPath}/thread-dump`, /"ClickEvent\s+Source\s+\(1\/1\)#0"\s+Id=\d+\s+RUNNABLE/, "the TaskManager's thread dump");
  await visit(`${tmPath}/metrics`, /Metaspace/, "the TaskManager's memory");
  t.notMatch(await pageText(page), 'NaN', 'no figure is NaN');
  await screenshot(page, 'taskmanager-metrics');

  t.same(failedCalls, [], 'no API call failed');
  t.same(await page.evaluate('window.__notifications'), [], 'no error notification');
  t.same(pageErrors, [], 'no error in the page');
});
