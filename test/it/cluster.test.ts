// 1 JobManager + 2 TaskManagers as real processes: registration, slot counts, TaskManager loss, JobManager restart.
import t from 'tap';
import { TestingCluster } from '../testing/TestingCluster.js';
import { getJson, waitFor } from '../testing/waitFor.js';

t.test('TaskManagers register, are lost when killed, and re-register with a restarted JobManager', async (t) => {
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const jm = await cluster.startJobManager();
  const tm1 = await cluster.startTaskManager(jm.rpcPort);
  const tm2 = await cluster.startTaskManager(jm.rpcPort);

  const overview = await waitFor('2 TaskManagers', async () => {
    const { body } = await getJson(`${jm.restUrl}/overview`);
    return body.taskmanagers === 2 ? body : undefined;
  });
  t.equal(overview['slots-total'], 4);
  t.equal(overview['slots-available'], 4);
  t.equal(overview['jobs-running'], 0);

  const { body: list } = await getJson(`${jm.restUrl}/v1/taskmanagers`);
  t.same(list.taskmanagers.map((tm: any) => tm.id).sort(), [tm1.resourceId, tm2.resourceId].sort());
  for (const tm of list.taskmanagers) {
    t.equal(tm.slotsNumber, 2);
    t.equal(tm.freeSlots, 2);
    t.type(tm.timeSinceLastHeartbeat, 'number');
    t.ok(tm.hardware.cpuCores > 0);
  }
  const { status, body: detail } = await getJson(`${jm.restUrl}/taskmanagers/${encodeURIComponent(tm1.resourceId)}`);
  t.equal(status, 200);
  t.equal(detail.id, tm1.resourceId);
  t.same(detail.allocatedSlots, []);
  await waitFor('heap metrics from a heartbeat', async () => (await getJson(`${jm.restUrl}/taskmanagers/${encodeURIComponent(tm1.resourceId)}`)).body.metrics.heapUsed > 0);

  // kill -9 one TaskManager: the JobManager notices (connection drop, at the latest heartbeat.timeout = 5 s).
  const killedAt = Date.now();
  tm1.process.kill('SIGKILL');
  await waitFor('1 TaskManager after kill -9', async () => (await getJson(`${jm.restUrl}/overview`)).body.taskmanagers === 1, { timeoutMs: 15_000 });
  t.comment(`TaskManager loss noticed after ${Date.now() - killedAt} ms`);
  const { body: afterKill } = await getJson(`${jm.restUrl}/taskmanagers`);
  t.same(afterKill.taskmanagers.map((tm: any) => tm.id), [tm2.resourceId]);

  const tm3 = await cluster.startTaskManager(jm.rpcPort);
  await waitFor('2 TaskManagers again', async () => (await getJson(`${jm.restUrl}/overview`)).body.taskmanagers === 2);

  // Restart the JobManager on the same ports: both TaskManagers register with the new one.
  t.equal(await jm.process.stop(), 0, 'JobManager exits 0 on SIGTERM');
  const jm2 = await cluster.startJobManager(['-D', `jobmanager.rpc.port=${jm.rpcPort}`, '-D', `rest.port=${jm.restPort}`]);
  const restartedAt = Date.now();
  await waitFor('both TaskManagers re-registered', async () => {
    const { body } = await getJson(`${jm2.restUrl}/taskmanagers`);
    const ids = body.taskmanagers.map((tm: any) => tm.id).sort();
    return ids.length === 2 && ids.join() === [tm2.resourceId, tm3.resourceId].sort().join();
  }, { timeoutMs: 60_000 });
  t.comment(`TaskManagers re-registered ${Date.now() - restartedAt} ms after the JobManager restarted`);

  const jmLog = cluster.logFiles().find((f) => /^flink-.+-standalonesession-0-.+\.log$/.test(f));
  t.ok(jmLog, 'JobManager log file named like Flink');
  const log = cluster.readLog(jmLog!);
  t.match(log, `Registering TaskManager with ResourceID ${tm1.resourceId}`);
  t.match(log, `TaskManager with id ${tm1.resourceId}`);
  t.ok(cluster.logFiles().some((f) => /^flink-.+-taskexecutor-1-.+\.log$/.test(f)), 'a second TaskManager on the host logs to its own index');

  t.equal(await tm2.process.stop(), 0, 'TaskManager exits 0 on SIGTERM');
  await waitFor('TaskManager removed after clean shutdown', async () => (await getJson(`${jm2.restUrl}/overview`)).body.taskmanagers === 1);
});

t.test('a TaskManager started before its JobManager keeps retrying and registers when it appears', async (t) => {
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const { freePort } = await import('../testing/ports.js');
  const rpcPort = await freePort();
  const tm = await cluster.startTaskManager(rpcPort);
  await waitFor('a failed registration attempt in the TaskManager output', () => tm.process.output.includes('Could not reach the ResourceManager'));
  const jm = await cluster.startJobManager(['-D', `jobmanager.rpc.port=${rpcPort}`]);
  await waitFor('TaskManager registered', async () => {
    const { body } = await getJson(`${jm.restUrl}/taskmanagers`);
    return body.taskmanagers.some((x: any) => x.id === tm.resourceId);
  }, { timeoutMs: 60_000 });
});

t.test('taskmanager.data.port is the port the TaskManager serves its data (shuffle) on, and what it registers', async (t) => {
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const { freePort } = await import('../testing/ports.js');
  const { connect } = await import('node:net');
  const dataPort = await freePort();
  const jm = await cluster.startJobManager();
  const tm = await cluster.startTaskManager(jm.rpcPort, ['-D', `taskmanager.data.port=${dataPort}`]);
  t.equal((await tm.process.ports()).data, dataPort, 'the ports file names the data port');
  await new Promise<void>((resolve, reject) => {
    const socket = connect(dataPort, '127.0.0.1', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
  t.pass(`something listens on 127.0.0.1:${dataPort}`);
  const { body } = await waitFor('the TaskManager registered', async () => {
    const answer = await getJson(`${jm.restUrl}/taskmanagers/${encodeURIComponent(tm.resourceId)}`);
    return answer.status === 200 ? answer : undefined;
  });
  t.equal(body.dataPort, dataPort, 'REST reports the data port it registered');
});
