// Flink's test_ha_datastream.sh, against tsflink: an HA session cluster on a real ZooKeeper runs ClickEventCount -p 2
// exactly-once; the leading JobManager is killed (kill -9) three times — a standby takes over each time and the killed
// one comes back as a new standby — while another loop kill -9s a TaskManager whenever the completed-checkpoint count
// changes and starts a replacement. Afterwards every window is there exactly once with count 1000 (read_committed), and
// "Recovered JobGraph" was logged exactly three times, once by each new leader.
import t from 'tap';
import { runGenerator } from '../../src/client/generator/ClickEventGenerator.js';
import { CLICK_EVENT_COUNT_JOB } from '../testing/clickEventCountUnderAttack.js';
import { committedWindows, configureCluster, EVENTS_PER_WINDOW, haOptions, leadingJobManager, restRole } from '../testing/ha.js';
import { createTopics, expectExactWindows, parseWindows, submitJob, waitForRunning } from '../testing/jobs.js';
import { testRun } from '../testing/testRun.js';
import { type ClusterProcess, TestingCluster } from '../testing/TestingCluster.js';
import { getJson, waitFor } from '../testing/waitFor.js';
import { TestingZooKeeperEnsemble } from '../testing/zookeeper/TestingZooKeeperEnsemble.js';

const LEADER_KILLS = 3;
const WINDOWS_PER_ROUND = 2;

type JobManager = Awaited<ReturnType<TestingCluster['startJobManager']>>;

async function latestCheckpointId(restUrl: string, jobId: string): Promise<number | undefined> {
  try {
    return (await getJson(`${restUrl}/jobs/${jobId}/checkpoints`)).body.latest?.completed?.id;
  } catch {
    return undefined;
  }
}

t.test('three leader kills while TaskManagers are killed on every completed checkpoint: every window exactly once', async (t) => {
  const zooKeeper = await TestingZooKeeperEnsemble.start(1);
  t.teardown(() => zooKeeper.close());
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  configureCluster(cluster, {
    ...haOptions(cluster, zooKeeper.quorum, '/ha-datastream'),
    'taskmanager.numberOfTaskSlots': '1',
    // Restarts come often here; keep their backoff short.
    'restart-strategy.type': 'fixed-delay',
    'restart-strategy.fixed-delay.attempts': '1000',
    'restart-strategy.fixed-delay.delay': '500 ms',
  });
  const topics = await createTopics('ha-datastream');
  const jobManagers: JobManager[] = [await cluster.startJobManager()];
  await waitFor('a leader', async () => (await restRole(jobManagers[0]!.restUrl)) === 'leader');
  jobManagers.push(await cluster.startJobManager());
  const taskManagers: ClusterProcess[] = [];
  for (let i = 0; i < 2; i++) taskManagers.push((await cluster.startTaskManager(jobManagers[0]!.rpcPort)).process);

  const leader = (): Promise<JobManager> => leadingJobManager(jobManagers);

  let current = await leader();
  await waitFor('TaskManagers registered', async () => (await getJson(`${current.restUrl}/overview`)).body.taskmanagers === 2);
  const bootstrap = testRun().kafka.bootstrapServers;
  const args = ['--bootstrap.servers', bootstrap, '--input-topic', topics.input, '--output-topic', topics.output, '--event-time', '--checkpointing', '--delivery-guarantee', 'exactly-once'];
  const jobId = await submitJob(current.restUrl, CLICK_EVENT_COUNT_JOB, args, 2);
  await waitForRunning(current.restUrl, jobId, 6);

  // The TaskManager killer: each time the completed-checkpoint id changes, one TaskManager dies and a new one starts.
  let killing = true;
  let taskManagerKills = 0;
  const killer = (async () => {
    let seen: number | undefined;
    while (killing) {
      const id = await latestCheckpointId(current.restUrl, jobId);
      if (id !== undefined && seen !== undefined && id !== seen && taskManagerKills < 4) {
        const victim = taskManagers.splice(Math.floor(Math.random() * taskManagers.length), 1)[0]!;
        victim.kill('SIGKILL');
        taskManagerKills++;
        taskManagers.push((await cluster.startTaskManager(current.rpcPort)).process);
      }
      if (id !== undefined) seen = id;
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  t.teardown(async () => {
    killing = false;
    await killer;
  });

  let windows = 0;
  let lastCheckpoint = 0;
  for (let round = 0; round <= LEADER_KILLS; round++) {
    // New input each round, then two checkpoints completed under the current leader.
    const written = await runGenerator({ bootstrapServers: bootstrap, topic: topics.input, rate: 0, maxWindows: windows + WINDOWS_PER_ROUND, startIndex: windows * EVENTS_PER_WINDOW });
    t.equal(written, WINDOWS_PER_ROUND * EVENTS_PER_WINDOW);
    windows += WINDOWS_PER_ROUND;
    const floor = lastCheckpoint;
    lastCheckpoint = await waitFor(
      `two checkpoints under the leader of round ${round}`,
      async () => {
        const id = await latestCheckpointId(current.restUrl, jobId);
        return id !== undefined && id >= floor + 2 ? id : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 200 },
    );
    if (round === LEADER_KILLS) break;
    const killed = current;
    killed.process.kill('SIGKILL');
    jobManagers.splice(jobManagers.indexOf(killed), 1);
    current = await leader();
    t.not(current, killed, `round ${round}: a standby took over`);
    jobManagers.push(await cluster.startJobManager());
  }
  killing = false;
  await killer;

  expectExactWindows(t, parseWindows(await committedWindows(topics.output, windows)), windows);
  t.ok(taskManagerKills >= 1, `TaskManagers were killed along the way (${taskManagerKills})`);
  // Flink counts log files; here restarted JobManagers may append to a killed one's file, so the lines are counted.
  const logs = cluster.logFiles().filter((f) => f.includes('standalonesession')).map((f) => cluster.readLog(f)).join('');
  t.equal(logs.split(`Recovered JobGraph(jobId: ${jobId}).`).length - 1, LEADER_KILLS, 'Recovered JobGraph exactly three times, once per new leader');
});
