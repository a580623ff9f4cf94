// Runs once before the test files (tap's `before`): prepares the run's directory. Services start on demand: the Kafka
// broker when the first test asks for it (test/testing/testRun.ts), chromium when a browser test launches it
// (test/testing/browser.ts), so `npm run test:unit` needs neither.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { removeStaleNetworks } from '../testing/netns/TestingNetwork.js';
import { TEST_RUN_FILE, writeRunFile } from '../testing/testRun.js';

// A run that was killed before its 'after' step left its broker and processes behind: clean those up first.
if (existsSync(TEST_RUN_FILE)) {
  console.log('# cleaning up after an aborted earlier test run');
  execFileSync(process.execPath, [...process.execArgv, join(import.meta.dirname, 'after.ts')], { stdio: 'inherit' });
}

// Test hosts (network namespaces) of test processes that died without removing them.
const staleNetworks = removeStaleNetworks();
if (staleNetworks > 0) console.log(`# removed ${staleNetworks} test network(s) left behind by ended test processes`);

const root = mkdtempSync(join(tmpdir(), 'tsflink-test-'));
mkdirSync(dirname(TEST_RUN_FILE), { recursive: true });
writeRunFile(root);
console.log(`# test dirs under ${root}`);
