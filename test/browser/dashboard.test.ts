// The web dashboard in a real chromium against a real cluster running Click Event Count: the overview, the live job
// graph, a TaskManager killed with kill -9 and replaced, a job submitted, checkpointed and cancelled through the UI.
// Screenshots go to docs/images/dashboard-*.png.
import t from 'tap';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { chromiumMissing, launchChromium, parseCount, textsOf, waitForTexts } from '../testing/browser.js';
import { createTopics, generateWhileTestRuns, jobStatus, submitJob, waitForRunning } from '../testing/jobs.js';
import { TestingCluster } from '../testing/TestingCluster.js';
import { REPO_ROOT, testRun } from '../testing/testRun.js';
import { getJson, waitFor } from '../testing/waitFor.js';

const CLICK_EVENT_COUNT = join(REPO_ROOT, 'examples', 'streaming', 'ClickEventCount.ts');
const SCREENSHOTS = join(REPO_ROOT, 'docs', 'images');
const DASHBOARD_INDEX = join(REPO_ROOT, 'dist', 'web-dashboard', 'index.html');
const SLOTS = ['-D', 'taskmanager.numberOfTaskSlots=3'];
/** Records the job header's state on every DOM change, so a short-lived state cannot slip between two looks. */
const RECORD_JOB_STATES = `(() => {
  window.__jobStates = new Set();
  const record = () => { const s = document.querySelector('.job-state')?.getAttribute('data-state'); if (s) window.__jobStates.add(s); };
  new MutationObserver(record).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  record();
})()`;
/** navigationStart → the overview's TaskManager card shows a number. */
const MEASURE_FIRST_RENDER = `(() => {
  const observer = new MutationObserver(() => {
    const value = document.querySelector('[data-stat="taskmanagers"] .statistic-value');
    if (value && /\\d/.test(value.textContent)) { window.__firstDataMs = performance.now(); observer.disconnect(); }
  });
  observer.observe(document, { subtree: true, childList: true, characterData: true });
})()`;

async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `dashboard-${name}.png`), fullPage: true });
}

async function jarIds(page: Page): Promise<string[]> {
  const ids = await Promise.all((await page.locator('.jar-table tr[data-jar-id]').all()).map((row) => row.getAttribute('data-jar-id')));
  return ids.filter((id): id is string => id !== null);
}

async function jobHeaderState(page: Page): Promise<string | null> {
  return page.locator('.job-state').first().getAttribute('data-state', { timeout: 1000 }).catch(() => null);
}

async function waitForJobState(page: Page, state: string, runningTasks?: number, timeoutMs = 60_000): Promise<void> {
  await waitFor(`the job page showing ${state}${runningTasks === undefined ? '' : ` with ${runningTasks} tasks RUNNING`}`, async () => {
    if ((await jobHeaderState(page)) !== state) return false;
    if (runningTasks === undefined) return true;
    return (await textsOf(page, '.job-task-counts [data-state="RUNNING"]'))[0] === String(runningTasks);
  }, { timeoutMs, intervalMs: 100 });
}

t.test('web dashboard in chromium against a real cluster', { skip: chromiumMissing() ?? false }, async (t) => {
  if (!existsSync(DASHBOARD_INDEX)) throw new Error(`${DASHBOARD_INDEX} is missing: build the dashboard first (node web-dashboard/build.mjs)`);
  const bootstrapServers = testRun().kafka.bootstrapServers;
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  // A short refresh interval so the page reacts quickly; a fixed restart delay so RESTARTING lasts a few polls.
  const jm = await cluster.startJobManager([
    '-D', 'web.refresh-interval=500',
    '-D', 'restart-strategy.type=fixed-delay', '-D', 'restart-strategy.fixed-delay.attempts=100', '-D', 'restart-strategy.fixed-delay.delay=3 s',
  ]);
  let taskManager = await cluster.startTaskManager(jm.rpcPort, SLOTS);
  const topics = await createTopics('dashboard');
  const jobArgs = ['--bootstrap.servers', bootstrapServers, '--input-topic', topics.input, '--output-topic', topics.output, '--event-time', '--checkpointing'];
  const jobId = await submitJob(jm.restUrl, CLICK_EVENT_COUNT, jobArgs, 1);
  generateWhileTestRuns(t, topics.input, 1000);
  await waitForRunning(jm.restUrl, jobId, 3);

  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));

  await t.test('overview: one TaskManager and Click Event Count RUNNING; the job graph with live record counts', async (t) => {
    await page.addInitScript(MEASURE_FIRST_RENDER);
    await page.goto(`${jm.restUrl}/`);
    await waitForTexts(page, '[data-stat="taskmanagers"] .statistic-value', (texts) => texts[0] === '1', 'one TaskManager');
    const firstRender = await page.evaluate('window.__firstDataMs');
    t.comment(`first render with data: ${Math.round(Number(firstRender))} ms after navigationStart`);
    t.ok(Number(firstRender) > 0, 'the overview filled its cards');
    const row = page.locator(`.job-table tr[data-jid="${jobId}"]`);
    await waitFor('the job in the running job list', async () => (await row.count()) === 1 && (await row.locator('.badge').textContent()) === 'RUNNING');
    t.match(await row.textContent(), 'Click Event Count');
    const { body: config } = await getJson(`${jm.restUrl}/config`);
    t.same(await textsOf(page, '.topbar-version span'), [`Version: ${config['flink-version']}`, `Commit: ${config['flink-revision']}`], 'the header shows the version');

    await row.locator('a').click();
    await waitFor('the job page URL', () => page.url().endsWith(`#/job/running/${jobId}`));
    const nodes = await waitForTexts(page, 'svg.job-graph .graph-node .graph-node-name', (texts) => texts.length === 3, 'three JobVertices in the graph');
    t.same(nodes, ['ClickEvent Source', 'ClickEvent Counter', 'ClickEventStatistics Sink']);
    t.equal(await page.locator('svg.job-graph .graph-edge path').count(), 2, 'two edges');
    t.same(await textsOf(page, 'svg.job-graph .graph-edge-label'), ['HASH', 'FORWARD'], 'edges labelled with their ship strategy');
    const source = page.locator('svg.job-graph .graph-node').first();
    t.match(await source.textContent(), /Parallelism: 1.*Status: RUNNING.*Backpressured \(max\):.*Busy \(max\):.*Low Watermark:/);
    const sourceVertexId = await source.getAttribute('data-vertex-id');

    const sent = `.vertex-table tr[data-vertex-id="${sourceVertexId}"] td[data-metric="write-records"]`;
    const [first] = await waitForTexts(page, sent, (texts) => parseCount(texts[0] ?? '') > 0, 'records sent by the source');
    const [later] = await waitForTexts(page, sent, (texts) => parseCount(texts[0] ?? '') > parseCount(first!), 'more records sent by the source on a later poll');
    t.ok(parseCount(later!) > parseCount(first!), `records sent grew between polls: ${first} → ${later}`);
    await screenshot(page, 'job-graph');
  });

  await t.test('kill -9 the TaskManager: RESTARTING, RUNNING again on a new TaskManager, the failure in Exceptions', async (t) => {
    await page.evaluate(RECORD_JOB_STATES);
    const killed = taskManager;
    killed.process.kill('SIGKILL');
    await waitFor('RESTARTING shown on the job page', async () => ((await page.evaluate('[...window.__jobStates]')) as string[]).includes('RESTARTING'), { timeoutMs: 60_000, intervalMs: 100 });
    t.pass('the job page showed RESTARTING');
    taskManager = await cluster.startTaskManager(jm.rpcPort, SLOTS);
    await waitForJobState(page, 'RUNNING', 3, 90_000);
    t.pass('the job page shows RUNNING with 3 tasks RUNNING on the new TaskManager');

    await page.locator('.tabs a', { hasText: 'Exceptions' }).click();
    const summaries = page.locator('.exceptions .exception-summary');
    await waitFor('an exception entry', async () => (await summaries.count()) > 0);
    await summaries.first().click();
    const stacktrace = await page.locator('.exceptions .stacktrace').first().textContent();
    t.match(stacktrace, killed.resourceId, 'the stack trace names the lost TaskManager');
    t.match(await page.locator('.exceptions').textContent(), killed.resourceId);
    await screenshot(page, 'exceptions');
  });

  await t.test('submit Click Event Count through the UI with parallelism 2, see its checkpoints, cancel it', async (t) => {
    const uiTopics = await createTopics('dashboard-ui');
    await page.locator('.sidebar a', { hasText: 'Submit New Job' }).click();
    await waitFor('the jar list', async () => (await page.locator('.jar-table, .card .message').count()) > 0);
    const before = new Set(await jarIds(page));
    await page.setInputFiles('input.file-input', CLICK_EVENT_COUNT);
    const uploaded = await waitFor('the uploaded job in the list', async () => (await jarIds(page)).find((id) => !before.has(id)));
    const jarRow = page.locator(`.jar-table tr[data-jar-id="${uploaded}"]`);
    t.equal(await jarRow.locator('.jar-name').textContent(), 'ClickEventCount.ts');
    await jarRow.click();
    await page.fill('input[name="parallelism"]', '2');
    await page.fill('input[name="programArgs"]', `--bootstrap.servers ${bootstrapServers} --input-topic ${uiTopics.input} --output-topic '${uiTopics.output}' --event-time --checkpointing`);
    await screenshot(page, 'submit');
    await page.locator('.run-form button[type="submit"]').click();

    const uiJobId = await waitFor('the new job page', () => /#\/job\/running\/([0-9a-f]{32})$/.exec(page.url())?.[1]);
    await waitForJobState(page, 'RUNNING', 6, 90_000);
    t.pass('the submitted job is RUNNING with 3 vertices × 2 subtasks');
    const parallelisms = (await textsOf(page, 'svg.job-graph .graph-node-detail')).filter((line) => line.startsWith('Parallelism'));
    t.same(parallelisms, ['Parallelism: 2', 'Parallelism: 2', 'Parallelism: 2']);

    await page.locator('.tabs a', { hasText: 'Checkpoints' }).click();
    const sizes = await waitForTexts(page, '.checkpoint-history tbody tr:has(.badge:text-is("COMPLETED")) .checkpointed-size', (texts) => texts.length >= 2, 'two completed checkpoints', 60_000);
    t.ok(sizes.every((size) => /^\d+(\.\d+)? (B|KB|MB)$/.test(size)), `checkpoint sizes in human units: ${sizes.join(', ')}`);
    t.ok(parseCount((await textsOf(page, '[data-stat="checkpoints-completed"] .statistic-value'))[0] ?? '') >= 2, 'the completed count');
    await screenshot(page, 'checkpoints');

    await page.locator('.job-actions button', { hasText: 'Cancel Job' }).click();
    await page.locator('.job-actions button', { hasText: 'Yes, cancel' }).click();
    await waitForJobState(page, 'CANCELED');
    t.equal(await jobStatus(jm.restUrl, uiJobId), 'CANCELED', 'the REST API agrees');
  });

  await t.test('the TaskManager page and the overview with both jobs', async (t) => {
    await page.locator('.sidebar a', { hasText: 'Task Managers' }).click();
    const row = page.locator(`.task-managers tr[data-taskmanager-id="${taskManager.resourceId}"]`);
    await waitFor('the new TaskManager in the list', async () => (await row.count()) === 1);
    t.equal(await page.locator('.task-managers tr[data-taskmanager-id]').count(), 1, 'the killed TaskManager is gone from the list');
    await row.click();
    await waitForTexts(page, '.tm-id', (texts) => texts[0] === taskManager.resourceId, 'the TaskManager page');
    await waitForTexts(page, '.usage-text', (texts) => texts.length > 0 && !texts[0]!.startsWith('—'), 'its heap figures');
    await screenshot(page, 'taskmanager');

    await page.locator('.sidebar a', { hasText: 'Overview' }).click();
    await waitForTexts(page, '[data-stat="jobs-cancelled"] .statistic-value', (texts) => texts[0] === '1', 'one cancelled job');
    await waitForTexts(page, '[data-stat="jobs-running"] .statistic-value', (texts) => texts[0] === '1', 'one running job');
    await screenshot(page, 'overview');
  });

  await t.test('stop Click Event Count with a savepoint through the UI: the savepoint path, then FINISHED', async (t) => {
    await page.locator(`.job-table tr[data-jid="${jobId}"] a`).click();
    await page.locator('.job-actions button', { hasText: 'Stop with Savepoint' }).click();
    const [status] = await waitForTexts(page, '.savepoint-status', (texts) => /^Savepoint completed: file:/.test(texts[0] ?? ''), 'the savepoint path', 60_000);
    t.match(status, /savepoint-[0-9a-f]{6}-[0-9a-f]{12}$/, 'Flink\'s savepoint directory name');
    await waitForJobState(page, 'FINISHED');
    t.equal(await jobStatus(jm.restUrl, jobId), 'FINISHED', 'the REST API agrees');
    t.same(pageErrors, [], 'no uncaught errors in the page all along');
  });
});
