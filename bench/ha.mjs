// JobManager failover with high availability (ZooKeeper), ClickEventCount -p 2 exactly-once at the playground's pace
// (the generator at 1000 events/s), two JobManagers and two TaskManagers, two scenarios of --runs runs each (default 5):
//   kept:     kill -9 of the leading JobManager; the TaskManagers keep the subtasks running and the new leader takes
//             them over (reconciliation);
//   tm-lost:  kill -9 of the leading JobManager and of one TaskManager at once (a replacement TaskManager is started):
//             the new leader cannot take the job over and restarts it from its latest checkpoint, as Flink does.
// Each run measures from the kill:
//   - a new leader serving REST (its /overview answers 200),
//   - the job RUNNING again (every subtask) under it,
//   - the first checkpoint completed under it,
//   - records reprocessed: 0 when no subtask restarted (every subtask still at its attempt number from before the
//     kill: the same readers went on); else the input between the checkpoint the job restored from and the end of the
//     input at the kill (the source keeps up with the generator, so that is what it had read and reads again).
// The kill comes at a random moment of the 1 s checkpoint interval. The killed JobManager is started again as the new
// standby before the next run.
//   npm run bench:ha [-- --runs 5 --session-timeout 10000]
// Starts its own ZooKeeper, Kafka and cluster on free loopback ports.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runGenerator } from '../dist/client/generator/ClickEventGenerator.js';
import { readCheckpoint } from '../dist/master/checkpoint/CheckpointMetadata.js';
import { argument, benchEnvironment, freePort, json, root, until } from './harness.mjs';

const RUNS = argument('--runs', 5);
const SESSION_TIMEOUT = argument('--session-timeout', 10_000);

const zooKeeperPort = await freePort();
const haDir = mkdtempSync(join(tmpdir(), 'tsflink-bench-ha-zookeeper-'));
const zooKeeperEnv = { ...process.env, ZOOKEEPER_PORT: String(zooKeeperPort), ZOOKEEPER_DATA_DIR: join(haDir, 'zookeeper') };
process.on('exit', () => {
  try { execFileSync(join(root, 'bin', 'zookeeper.sh'), ['stop'], { env: zooKeeperEnv, stdio: 'ignore' }); } catch {}
  rmSync(haDir, { recursive: true, force: true });
});
try {
  execFileSync(join(root, 'bin', 'zookeeper.sh'), ['start'], { env: zooKeeperEnv, stdio: 'inherit' });
  const { brokers, kafka, start, flink } = await benchEnvironment('ha', [
    'high-availability.type: zookeeper',
    `high-availability.zookeeper.quorum: 127.0.0.1:${zooKeeperPort}`,
    `high-availability.zookeeper.client.session-timeout: ${SESSION_TIMEOUT}`,
    `high-availability.storageDir: file://${join(haDir, 'storage')}`,
    // The checkpoint a new leader restores from must stay readable here until its offsets are read.
    'execution.checkpointing.num-retained: 20',
  ]);

  const generator = new AbortController();
  void runGenerator({ bootstrapServers: brokers, topic: 'input', rate: 1000, maxWindows: undefined }, generator.signal).catch(() => undefined);

  const startJobManager = async () => {
    const { child, ports } = await start('jobmanager.sh', ['-D', 'rest.port=0', '-D', 'jobmanager.rpc.port=0']);
    return { child, rest: `http://127.0.0.1:${ports.rest}` };
  };
  const startTaskManager = async () => (await start('taskmanager.sh', ['-D', 'taskmanager.numberOfTaskSlots=1'])).child;
  const status = async (rest) => { try { return (await fetch(`${rest}/overview`, { signal: AbortSignal.timeout(1000) })).status; } catch { return undefined; } };
  const jobManagers = [await startJobManager()];
  await until(async () => (await status(jobManagers[0].rest)) === 200);
  jobManagers.push(await startJobManager());
  const taskManagers = [await startTaskManager(), await startTaskManager()];
  const leader = () => until(async () => { for (const jm of jobManagers) if ((await status(jm.rest)) === 200) return jm; return undefined; });
  let current = await leader();
  await until(async () => (await json(`${current.rest}/overview`)).taskmanagers === 2);

  const jobArgs = ['--bootstrap.servers', brokers, '--event-time', '--checkpointing', '--delivery-guarantee', 'exactly-once'];
  const submitted = flink(['run', '-d', '-p', '2', join(root, 'examples', 'streaming', 'ClickEventCount.ts'), ...jobArgs]);
  const jobId = /JobID ([0-9a-f]{32})/.exec(submitted)[1];
  const running = (rest) => until(async () => (await json(`${rest}/jobs/${jobId}`))['status-counts']?.RUNNING === 6);
  await running(current.rest);

  const admin = kafka.admin();
  await admin.connect();
  const inputEnd = async () => (await admin.fetchTopicOffsets('input')).reduce((sum, p) => sum + Number(p.offset), 0);
  const latestCompleted = async (rest) => { try { return (await json(`${rest}/jobs/${jobId}/checkpoints`)).latest?.completed?.id ?? 0; } catch { return 0; } };
  /** Every subtask's attempt number, vertex by vertex. */
  const attempts = async (rest) => {
    const job = await json(`${rest}/jobs/${jobId}`);
    const numbers = [];
    for (const vertex of job.vertices) numbers.push(...(await json(`${rest}/jobs/${jobId}/vertices/${vertex.id}`)).subtasks.map((s) => s.attempt));
    return numbers.join(',');
  };
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

  for (const scenario of ['kept', 'tm-lost']) {
    const results = [];
    for (let run = 1; run <= RUNS; run++) {
      const before = await latestCompleted(current.rest);
      await until(async () => (await latestCompleted(current.rest)) >= before + 2);
      // A kill at a random moment of the checkpoint interval (1 s), not right after a checkpoint.
      await new Promise((r) => setTimeout(r, Math.random() * 1000));
      const attemptsBefore = await attempts(current.rest);
      const restoredBefore = (await json(`${current.rest}/jobs/${jobId}/checkpoints`)).latest.restored?.restore_timestamp;
      const lastId = await latestCompleted(current.rest);
      const killed = current;
      const t0 = performance.now();
      killed.child.kill('SIGKILL');
      if (scenario === 'tm-lost') taskManagers.shift().kill('SIGKILL');
      const endAtKill = await inputEnd();
      jobManagers.splice(jobManagers.indexOf(killed), 1);
      if (scenario === 'tm-lost') taskManagers.push(await startTaskManager());
      current = await leader();
      const rest = performance.now() - t0;
      await running(current.rest);
      const jobRunning = performance.now() - t0;
      await until(async () => (await latestCompleted(current.rest)) > lastId);
      const checkpoint = performance.now() - t0;
      const restored = (await json(`${current.rest}/jobs/${jobId}/checkpoints`)).latest.restored;
      let reprocessed = 0;
      let how = 'subtasks kept';
      if ((await attempts(current.rest)) !== attemptsBefore) {
        if (!restored || restored.restore_timestamp === restoredBefore) throw new Error('The subtasks restarted, but no restore was reported.');
        const metadata = await readCheckpoint(restored.external_path.replace(/^file:/, ''));
        const positions = new Map();
        JSON.stringify(metadata, (key, value) => { if (value && typeof value === 'object' && 'splitId' in value && 'position' in value) positions.set(value.splitId, Number(value.position)); return value; });
        reprocessed = endAtKill - [...positions.values()].reduce((a, b) => a + b, 0);
        how = `restarted from checkpoint ${restored.id}`;
      }
      results.push({ rest, jobRunning, checkpoint, reprocessed });
      console.log(`${scenario} run ${run}: new leader serving REST ${rest.toFixed(0)} ms, job RUNNING ${jobRunning.toFixed(0)} ms, first checkpoint ${checkpoint.toFixed(0)} ms (${how}); records reprocessed ${reprocessed}`);
      jobManagers.push(await startJobManager());
    }
    console.log(
      `${scenario}: median of ${RUNS} (session timeout ${SESSION_TIMEOUT} ms): new leader serving REST ${median(results.map((r) => r.rest)).toFixed(0)} ms, job RUNNING ${median(results.map((r) => r.jobRunning)).toFixed(0)} ms, first checkpoint ${median(results.map((r) => r.checkpoint)).toFixed(0)} ms, records reprocessed ${median(results.map((r) => r.reprocessed))}`,
    );
  }
  generator.abort();
  await admin.disconnect();
  process.exit(0);
} catch (error) {
  console.error(error);
  process.exit(1);
}
