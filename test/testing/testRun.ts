import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The repository root. */
export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');

/**
 * Written by test/setup/before.ts, read by every test file and by test/setup/after.ts. TSFLINK_TEST_RUN_FILE names
 * another one, so that two tap runs in one checkout do not share (and stop) each other's broker.
 */
export const TEST_RUN_FILE = process.env.TSFLINK_TEST_RUN_FILE ? resolve(process.env.TSFLINK_TEST_RUN_FILE) : join(REPO_ROOT, '.tap', 'test-run.json');

export interface KafkaBroker {
  bootstrapServers: string;
  port: number;
  controllerPort: number;
  dataDir: string;
}

interface TestRunFile {
  /** A directory for this whole test run; every test's processes keep their pid files, logs and data below it. */
  root: string;
  /** The run's broker, once a test asked for one. */
  kafka?: KafkaBroker;
  /** Why the broker could not be started, if it could not. */
  kafkaError?: string;
}

export interface TestRun {
  root: string;
  /** The run's one Kafka broker, started by the first test that reads this (unit tests never do). */
  readonly kafka: KafkaBroker;
}

/** Where the run keeps its broker's data: fixed, so that test/setup/after.ts finds it whatever happened. */
export function kafkaDataDir(root: string): string {
  return join(root, 'kafka');
}

function readRunFile(): TestRunFile {
  if (!existsSync(TEST_RUN_FILE)) {
    throw new Error(`${TEST_RUN_FILE} is missing: run tests through tap (npm test), whose 'before' step prepares the test run.`);
  }
  return JSON.parse(readFileSync(TEST_RUN_FILE, 'utf8')) as TestRunFile;
}

export function testRun(): TestRun {
  const file = readRunFile();
  return {
    root: file.root,
    get kafka() {
      return ensureKafka();
    },
  };
}

/** A fresh directory under the test run's root. */
export function testDir(prefix: string): string {
  return mkdtempSync(join(readRunFile().root, `${prefix}-`));
}

let broker: KafkaBroker | undefined;

/**
 * The run's Kafka broker. Test files run in parallel, each in its own process: the first one to get here takes a lock
 * file and starts the broker (bin/kafka.sh, a few seconds), the others wait for it to be recorded in the run file.
 */
function ensureKafka(): KafkaBroker {
  if (broker) return broker;
  const initial = readRunFile();
  if (initial.kafka) return (broker = initial.kafka);
  const lock = join(initial.root, 'kafka.lock');
  let fd: number | undefined;
  try {
    fd = openSync(lock, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  if (fd === undefined) return (broker = waitForBroker());
  closeSync(fd);
  try {
    const started = Date.now();
    const port = freePortSync();
    let controllerPort = freePortSync();
    while (controllerPort === port) controllerPort = freePortSync();
    const dataDir = kafkaDataDir(initial.root);
    execFileSync(join(REPO_ROOT, 'bin', 'kafka.sh'), ['start'], {
      env: { ...process.env, KAFKA_PORT: String(port), KAFKA_CONTROLLER_PORT: String(controllerPort), KAFKA_DATA_DIR: dataDir },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    broker = { bootstrapServers: `127.0.0.1:${port}`, port, controllerPort, dataDir };
    updateRunFile({ kafka: broker });
    console.log(`# Kafka for this test run at ${broker.bootstrapServers} (started in ${Date.now() - started} ms)`);
    return broker;
  } catch (error) {
    updateRunFile({ kafkaError: (error as Error).message });
    throw error;
  }
}

function waitForBroker(): KafkaBroker {
  const deadline = Date.now() + 180_000;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    const file = readRunFile();
    if (file.kafka) return file.kafka;
    if (file.kafkaError) throw new Error(`The test run's Kafka broker could not be started: ${file.kafkaError}`);
    if (Date.now() > deadline) throw new Error('Timed out waiting for another test file to start the Kafka broker.');
    Atomics.wait(pause, 0, 0, 100);
  }
}

function updateRunFile(change: Partial<TestRunFile>): void {
  const next = { ...readRunFile(), ...change };
  const tmp = `${TEST_RUN_FILE}.${process.pid}`;
  writeFileSync(tmp, JSON.stringify(next, null, 2));
  renameSync(tmp, TEST_RUN_FILE);
}

/** A port that was free on 127.0.0.1 a moment ago, found synchronously (a short-lived child process asks the OS). */
function freePortSync(): number {
  const script = "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close();})";
  return Number(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', env: {} }));
}

/** Creates the run file (test/setup/before.ts). */
export function writeRunFile(root: string): void {
  writeFileSync(TEST_RUN_FILE, JSON.stringify({ root } satisfies TestRunFile, null, 2));
}
