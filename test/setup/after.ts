// Runs once after all test files (tap's `after`): kills any cluster process a test left behind, stops Kafka if a test
// started it, and removes the run's directory.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { removeStaleNetworks } from '../testing/netns/TestingNetwork.js';
import { kafkaDataDir, REPO_ROOT, TEST_RUN_FILE } from '../testing/testRun.js';

// Test hosts (network namespaces) of test processes that died without removing them.
const staleNetworks = removeStaleNetworks();
if (staleNetworks > 0) console.log(`# removed ${staleNetworks} test network(s) left behind by ended test processes`);

if (existsSync(TEST_RUN_FILE)) {
  const run = JSON.parse(readFileSync(TEST_RUN_FILE, 'utf8')) as { root: string };
  let leftovers = 0;
  for (const file of findPidFiles(run.root)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const pid = Number(line.trim().split(/\s+/)[0]);
      if (!pid) continue;
      try {
        process.kill(pid, 'SIGKILL');
        leftovers++;
      } catch {
        // already gone
      }
    }
  }
  if (leftovers > 0) console.log(`# killed ${leftovers} cluster process(es) left behind by tests`);
  // Also when the broker's start was interrupted: its pid file is in the data directory.
  if (existsSync(kafkaDataDir(run.root))) {
    execFileSync(join(REPO_ROOT, 'bin', 'kafka.sh'), ['stop'], {
      env: { ...process.env, KAFKA_DATA_DIR: kafkaDataDir(run.root) },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  }
  if (process.env.TSFLINK_KEEP_TEST_RUN) console.log(`# kept the test run's directory ${run.root} (TSFLINK_KEEP_TEST_RUN)`);
  else rmSync(run.root, { recursive: true, force: true });
  rmSync(TEST_RUN_FILE, { force: true });
}

function findPidFiles(dir: string): string[] {
  const found: string[] = [];
  if (!existsSync(dir)) return found;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.name === 'kafka') continue;
    // Not through symlinks: a job's upload directory links node_modules/tsflink back to the repository.
    if (entry.isDirectory()) found.push(...findPidFiles(path));
    else if (entry.isFile() && entry.name.endsWith('.pid')) found.push(path);
  }
  return found;
}
