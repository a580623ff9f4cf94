// Runs once before the test files (tap's `before`): starts one real Kafka broker on free loopback ports for the whole run.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort } from '../testing/ports.js';
import { REPO_ROOT, TEST_RUN_FILE, type TestRun } from '../testing/testRun.js';

// A run that was killed before its 'after' step left its broker and processes behind: clean those up first.
if (existsSync(TEST_RUN_FILE)) {
  console.log('# cleaning up after an aborted earlier test run');
  execFileSync(process.execPath, [...process.execArgv, join(import.meta.dirname, 'after.ts')], { stdio: 'inherit' });
}

// The browser tests drive Debian's chromium; a fresh machine gets it from the project's own script (root needed).
if (!existsSync('/usr/bin/chromium')) {
  try {
    execFileSync(join(REPO_ROOT, 'scripts', 'install-chromium.sh'), { stdio: 'inherit' });
  } catch {
    console.log('# chromium could not be installed (scripts/install-chromium.sh): the browser tests will say so');
  }
}

const root = mkdtempSync(join(tmpdir(), 'tsflink-test-'));
const port = await freePort();
let controllerPort = await freePort();
while (controllerPort === port) controllerPort = await freePort();
const dataDir = join(root, 'kafka');
const started = Date.now();
execFileSync(join(REPO_ROOT, 'bin', 'kafka.sh'), ['start'], {
  env: { ...process.env, KAFKA_PORT: String(port), KAFKA_CONTROLLER_PORT: String(controllerPort), KAFKA_DATA_DIR: dataDir },
  stdio: ['ignore', 'inherit', 'inherit'],
});
const run: TestRun = { root, kafka: { bootstrapServers: `127.0.0.1:${port}`, port, controllerPort, dataDir } };
mkdirSync(dirname(TEST_RUN_FILE), { recursive: true });
writeFileSync(TEST_RUN_FILE, JSON.stringify(run, null, 2));
console.log(`# Kafka for this test run at 127.0.0.1:${port} (started in ${Date.now() - started} ms); test dirs under ${root}`);
