// A web page the user visits, served from another origin, tries to drive a cluster on localhost: upload a job file
// (multipart, a "simple" request) and have its main() run through /jars/:id/plan with Content-Type text/plain. In real
// chromium nothing runs: no jar is stored, no job started, the marker the job's main writes never appears. Then the
// dashboard with rest.authentication.token: the page asks for the token once and works after.
import t from 'tap';
import { createServer } from 'node:http';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromiumMissing, launchChromium, waitForTexts } from '../testing/browser.js';
import { uploadJob } from '../testing/jobs.js';
import { TestingCluster } from '../testing/TestingCluster.js';
import { REPO_ROOT, testDir } from '../testing/testRun.js';
import { getJson, waitFor } from '../testing/waitFor.js';

const DASHBOARD_INDEX = join(REPO_ROOT, 'dist', 'web-dashboard', 'index.html');

/** The attacker's page: fires the drive-by requests at the REST endpoint and records what it could observe. */
function attackerPage(restUrl: string, jobSource: string, knownJarId: string): string {
  return `<!doctype html><html><body>
<form id="f" method="POST" action="${restUrl}/jars/upload" enctype="multipart/form-data" target="sink"><input type="file" name="jarfile" id="file"></form>
<iframe name="sink"></iframe>
<script>
window.results = [];
async function attempt(name, run) {
  try { const r = await run(); window.results.push(name + ':' + (r.type === 'opaque' ? 'opaque' : r.status)); }
  catch (e) { window.results.push(name + ':error'); }
}
(async () => {
  const form = new FormData();
  form.append('jarfile', new Blob([${JSON.stringify(jobSource)}]), 'MarkerJob.ts');
  await attempt('upload-no-cors', () => fetch('${restUrl}/jars/upload', { method: 'POST', body: form, mode: 'no-cors' }));
  await attempt('upload-cors', () => fetch('${restUrl}/jars/upload', { method: 'POST', body: form }));
  let jarId = '${knownJarId}';
  try { const list = await (await fetch('${restUrl}/jars')).json(); if (list.files && list.files[0]) jarId = list.files[0].id; window.results.push('jars-readable'); } catch (e) { window.results.push('jars-unreadable'); }
  for (const action of ['plan', 'run']) {
    await attempt(action + '-text-plain', () => fetch('${restUrl}/jars/' + encodeURIComponent(jarId) + '/' + action, { method: 'POST', mode: 'no-cors', headers: { 'Content-Type': 'text/plain' }, body: '{}' }));
  }
  // A classic cross-site form post, with a file set through DataTransfer.
  const transfer = new DataTransfer();
  transfer.items.add(new File([${JSON.stringify(jobSource)}], 'MarkerJob.ts'));
  document.getElementById('file').files = transfer.files;
  document.getElementById('f').submit();
  window.results.push('form-submitted');
  window.done = true;
})();
</script></body></html>`;
}

t.test('a page from another origin cannot upload or run a job program', { skip: chromiumMissing() ?? false }, async (t) => {
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const jm = await cluster.startJobManager();
  const restUrl = `http://127.0.0.1:${jm.restPort}`;

  const dir = testDir('drive-by');
  const marker = join(dir, 'main-ran');
  const markerJob = join(dir, 'MarkerJob.ts');
  const jobSource = `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'main ran');\n`;
  writeFileSync(markerJob, jobSource);
  // The attacker is assumed to know a jar id (the worst case): one uploaded by the user.
  const knownJarId = await uploadJob(restUrl, markerJob);

  const attacker = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end(attackerPage(restUrl, jobSource, knownJarId)));
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => attacker.close(() => resolve())));
  const attackerUrl = `http://localhost:${(attacker.address() as AddressInfo).port}/`;

  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const page = await browser.newPage();
  await page.goto(attackerUrl);
  await waitFor('the drive-by attempts', () => page.evaluate('window.done === true'));
  await page.waitForTimeout(1000); // the form post's response
  const results = (await page.evaluate('window.results')) as string[];
  t.comment(`observed by the page: ${results.join(', ')}`);
  t.ok(results.includes('jars-unreadable'), 'the jar list cannot be read from another origin (no Access-Control-Allow-Origin)');
  t.ok(results.includes('upload-cors:error'), 'the CORS upload fails in the browser');

  const jars = (await getJson(`${restUrl}/jars`)).body.files as Array<{ id: string }>;
  t.same(jars.map((j) => j.id), [knownJarId], 'no jar was added');
  t.same((await getJson(`${restUrl}/jobs`)).body.jobs, [], 'no job started');
  t.notOk(existsSync(marker), "the program's main never ran");
  const log = cluster.logFiles().filter((f) => f.includes('standalonesession') && f.endsWith('.log')).map((f) => cluster.readLog(f)).join('\n');
  t.notMatch(log, /Unhandled exception in REST handler/);

  // The same plan from the user's own tools (no Origin) does run main: the marker would have shown a drive-by.
  await fetch(`${restUrl}/jars/${knownJarId}/plan`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: '{}' });
  t.ok(existsSync(marker), 'main runs for a request without a foreign Origin');
  t.equal(readFileSync(marker, 'utf8'), 'main ran');
});

t.test('the dashboard with rest.authentication.token: log in once, then it works', { skip: chromiumMissing() ?? false }, async (t) => {
  if (!existsSync(DASHBOARD_INDEX)) throw new Error(`${DASHBOARD_INDEX} is missing: build the dashboard first (node web-dashboard/build.mjs)`);
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const token = 'dashboard-token-42';
  appendFileSync(join(cluster.confDir, 'config.yaml'), `rest.authentication.token: ${token}\n`);
  const jm = await cluster.startJobManager();
  await cluster.startTaskManager(jm.rpcPort);
  const restUrl = `http://localhost:${jm.restPort}`;
  t.equal((await fetch(`${restUrl}/overview`)).status, 401);

  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const page = await browser.newPage();
  await page.goto(`${restUrl}/#/overview`);
  await page.locator('.login input[name="token"]').fill('wrong');
  await page.locator('.login button[type="submit"]').click();
  await waitForTexts(page, '.login .error-text', (texts) => texts.some((x) => x.includes('Wrong REST token')), 'the refusal');
  await page.locator('.login input[name="token"]').fill(token);
  await page.locator('.login button[type="submit"]').click();
  await waitForTexts(page, '[data-stat="taskmanagers"] .statistic-value', (texts) => texts[0] === '1', 'the overview after logging in');
  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === 'tsflink-rest-session');
  t.ok(session, 'a session cookie');
  t.equal(session?.httpOnly, true);
  t.equal(session?.sameSite, 'Strict');
  t.notOk(cookies.some((c) => c.value.includes(token)), 'the cookie does not hold the token');

  // ?token= logs a fresh browser in and leaves the address bar clean.
  const context = await browser.newContext();
  const other = await context.newPage();
  await other.goto(`${restUrl}/?token=${token}#/overview`);
  await waitForTexts(other, '[data-stat="taskmanagers"] .statistic-value', (texts) => texts[0] === '1', 'the overview via ?token=');
  t.notMatch(other.url(), 'token=');
});
