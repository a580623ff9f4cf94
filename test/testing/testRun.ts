import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The repository root. */
export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');

/**
 * Written by test/setup/before.ts, read by every test file and by test/setup/after.ts. TSFLINK_TEST_RUN_FILE names
 * another one, so that two tap runs in one checkout do not share (and stop) each other's broker.
 */
export const TEST_RUN_FILE = process.env.TSFLINK_TEST_RUN_FILE ? resolve(process.env.TSFLINK_TEST_RUN_FILE) : join(REPO_ROOT, '.tap', 'test-run.json');

export interface TestRun {
  /** A directory for this whole test run; every test's processes keep their pid files, logs and data below it. */
  root: string;
  kafka: { bootstrapServers: string; port: number; controllerPort: number; dataDir: string };
}

export function testRun(): TestRun {
  if (!existsSync(TEST_RUN_FILE)) {
    throw new Error(`${TEST_RUN_FILE} is missing: run tests through tap (npm test), whose 'before' step starts Kafka.`);
  }
  return JSON.parse(readFileSync(TEST_RUN_FILE, 'utf8')) as TestRun;
}

/** A fresh directory under the test run's root. */
export function testDir(prefix: string): string {
  return mkdtempSync(join(testRun().root, `${prefix}-`));
}
