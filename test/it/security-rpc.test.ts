// Every internal port of a running cluster refuses strangers: the attacks of issue 14 against the JobManager's RPC
// port, a TaskManager's RPC port and its data port, by a process that does not hold the cluster's key. Each is refused
// at the TLS handshake; the fake TaskManager receives nothing; the job does not notice (every window exactly 1000).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { credentials, Metadata, Server, ServerCredentials, status, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import t from 'tap';
import { JobMasterServiceClient, UpdateTaskExecutionStateRequest } from '../../src/generated/tsflink/jobmaster/v1/jobmaster.js';
import { RegisterTaskExecutorRequest, ResourceManagerServiceClient } from '../../src/generated/tsflink/resourcemanager/v1/resourcemanager.js';
import { RequestPartitionsRequest, ShuffleServiceClient } from '../../src/generated/tsflink/shuffle/v1/shuffle.js';
import { SubmitTaskRequest, TaskExecutorServiceClient, TaskExecutorServiceService } from '../../src/generated/tsflink/taskexecutor/v1/taskexecutor.js';
import { generateSelfSignedCertificate } from '../../src/common/security/SelfSignedCertificate.js';
import { expectUnaffected, startClickEventCount } from '../testing/clickEventCountUnderAttack.js';
import { getJson, waitFor } from '../testing/waitFor.js';

t.setTimeout(300_000);

function unary<T>(invoke: (done: (error: ServiceError | null, value?: T) => void) => void): Promise<ServiceError | T> {
  return new Promise((resolve) => invoke((error, value) => resolve(error ?? (value as T))));
}

const deadline = () => ({ deadline: Date.now() + 5000 });

t.test('strangers get nowhere on any internal port, and the running job does not notice', async (t) => {
  const running = await startClickEventCount(t, { prefix: 'security-rpc' });
  const { cluster, jm, jobId } = running;
  const victim = running.taskManagers[0]!;
  const victimPorts = await victim.process.ports();
  const clusterCertificate = readFileSync(join(cluster.confDir, 'cluster-certificate', 'cluster.pem'), 'utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/)![0];

  // What a stranger can do: plaintext; TLS trusting the (public) cluster certificate but holding no key; TLS with a
  // certificate of its own that claims the cluster's name.
  const own = generateSelfSignedCertificate({ commonName: 'tsflink cluster', dnsNames: ['tsflink-cluster'], validityDays: 1 });
  const strangers: Array<[string, ChannelCredentials]> = [
    ['plaintext', credentials.createInsecure()],
    ['TLS without a client certificate', credentials.createSsl(Buffer.from(clusterCertificate))],
    ['TLS with a self-made certificate', credentials.createSsl(Buffer.from(clusterCertificate), Buffer.from(own.keyPem), Buffer.from(own.certPem))],
  ];
  const options = { 'grpc.ssl_target_name_override': 'tsflink-cluster' };

  // The fake TaskManager: a TaskExecutor service that records whatever reaches it (job code, program arguments).
  const received: string[] = [];
  const fake = new Server();
  fake.addService(TaskExecutorServiceService, Object.fromEntries(Object.keys(TaskExecutorServiceService).map((method) => [method, (call: any, callback: any) => {
    received.push(`${method}: ${JSON.stringify(call.request ?? {}).slice(0, 200)}`);
    callback?.({ code: status.UNIMPLEMENTED });
  }])));
  const fakePort = await new Promise<number>((resolve, reject) => fake.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  t.teardown(() => fake.forceShutdown());

  const { body: taskManagers } = await getJson(`${jm.restUrl}/taskmanagers`);
  const liveId: string = taskManagers.taskmanagers[0].id;
  const { body: job } = await getJson(`${jm.restUrl}/jobs/${jobId}`);

  for (const [who, channel] of strangers) {
    const rm = new ResourceManagerServiceClient(`127.0.0.1:${jm.rpcPort}`, channel, options);
    for (const resourceId of [liveId, 'fake-taskmanager']) {
      const registration = RegisterTaskExecutorRequest.fromPartial({ resourceId, address: `127.0.0.1:${fakePort}`, hostname: 'fake', dataPort: fakePort, numberOfSlots: 100_000 });
      const result = await unary((done) => rm.registerTaskExecutor(registration, new Metadata(), deadline(), done));
      t.equal((result as ServiceError).code, status.UNAVAILABLE, `${who}: registering as ${resourceId} is refused at the handshake`);
    }
    rm.close();

    const jobMaster = new JobMasterServiceClient(`127.0.0.1:${jm.rpcPort}`, channel, options);
    const forged = UpdateTaskExecutionStateRequest.fromPartial({ jobId, attemptId: 'a'.repeat(32), state: 'FAILED', resourceId: liveId, failure: { name: 'Error', message: 'forged', stack: '' } });
    const update = await unary((done) => jobMaster.updateTaskExecutionState(forged, new Metadata(), deadline(), done));
    t.equal((update as ServiceError).code, status.UNAVAILABLE, `${who}: a forged FAILED report is refused`);
    jobMaster.close();

    const taskExecutor = new TaskExecutorServiceClient(`127.0.0.1:${victimPorts.rpc}`, channel, options);
    const submit = SubmitTaskRequest.fromPartial({ descriptor: { jobId: '../..', jobName: 'evil', vertexId: '../../x', attemptId: '../x', jobModule: Buffer.from('process.exit(3)') } });
    const submitted = await unary((done) => taskExecutor.submitTask(submit, new Metadata(), deadline(), done));
    t.equal((submitted as ServiceError).code, status.UNAVAILABLE, `${who}: SubmitTask with a jobId of ../.. is refused`);
    taskExecutor.close();

    const shuffle = new ShuffleServiceClient(`127.0.0.1:${victimPorts.data}`, channel, options);
    const stream = shuffle.requestPartitions(new Metadata());
    const ended = new Promise<ServiceError | undefined>((resolve) => {
      stream.on('error', (e: ServiceError) => resolve(e));
      stream.on('end', () => resolve(undefined));
    });
    stream.on('data', () => t.fail(`${who}: the data port sent data to a stranger`));
    for (let i = 0; i < 1000; i++) stream.write(RequestPartitionsRequest.fromPartial({ requests: [{ channelId: `unknown-${i}`, request: { $case: 'subscribe', value: true } }] }));
    const error = await ended;
    t.equal(error?.code, status.UNAVAILABLE, `${who}: the data port refuses partition requests`);
    shuffle.close();
  }

  t.same(received, [], 'no call, job code or argument reached the fake TaskManager');
  t.equal((await getJson(`${jm.restUrl}/overview`)).body.taskmanagers, 2, 'the real TaskManagers are still the registered ones');
  const { body: after } = await getJson(`${jm.restUrl}/taskmanagers`);
  t.same(after.taskmanagers.map((tm: any) => tm.id).sort(), taskManagers.taskmanagers.map((tm: any) => tm.id).sort());
  t.same(after.taskmanagers.map((tm: any) => tm.slotsNumber), [1, 1], 'no 100 000-slot TaskManager');
  t.equal(job.state, 'RUNNING');
  const jmLog = cluster.logFiles().filter((f) => f.includes('standalonesession')).map((f) => cluster.readLog(f)).join('\n');
  t.notMatch(jmLog, /fake-taskmanager|Registering TaskManager with ResourceID fake/, 'the JobManager never saw the fake registration');

  await t.test('a holder of the cluster key (a stale or rogue member) can do only what its role allows', async (t) => {
    // The key and certificate every process of this cluster uses.
    const pem = readFileSync(join(cluster.confDir, 'cluster-certificate', 'cluster.pem'));
    const member = credentials.createSsl(Buffer.from(clusterCertificate), pem, Buffer.from(clusterCertificate));
    const jmLog = () => cluster.logFiles().filter((f) => f.includes('standalonesession')).map((f) => cluster.readLog(f)).join('\n');
    const tmLogs = () => cluster.logFiles().filter((f) => f.includes('taskexecutor')).map((f) => cluster.readLog(f)).join('\n');

    // Attempt ids are in the logs: "<vertex> (i/2)#0 (<attempt>) switched from … on <host:port> (<resource id>)".
    const attempts = [...jmLog().matchAll(/(ClickEvent \w+) \(\d\/2\)#0 \(([0-9a-f]{32})\) switched from INITIALIZING to RUNNING on \S+ \((\S+)\)/g)].map((m) => ({ vertex: m[1]!, attemptId: m[2]!, resourceId: m[3]! }));
    t.equal(attempts.length, 4, 'the source and counter attempts of the running job, as the log shows them');

    const rm = new ResourceManagerServiceClient(`127.0.0.1:${jm.rpcPort}`, member, options);
    const slots = (n: number) => ({ slots: Array.from({ length: n }, (_, slotIndex) => ({ slotIndex, allocationId: '', jobId: '' })) });
    const takeover = RegisterTaskExecutorRequest.fromPartial({ resourceId: liveId, address: `127.0.0.1:${fakePort}`, hostname: 'fake', dataPort: fakePort, numberOfSlots: 1, slotReport: slots(1), pid: 1 });
    const takeoverReply = await unary<any>((done) => rm.registerTaskExecutor(takeover, new Metadata(), deadline(), done));
    t.match(takeoverReply, { response: { $case: 'rejection', value: { reason: /registered and alive/ } } }, "a live TaskManager's id cannot be taken over");
    const guessed = RegisterTaskExecutorRequest.fromPartial({ ...takeover, previousRegistrationId: 'a'.repeat(32) });
    t.match(await unary<any>((done) => rm.registerTaskExecutor(guessed, new Metadata(), deadline(), done)), { response: { $case: 'rejection' } }, 'nor with a guessed registration id');
    const huge = RegisterTaskExecutorRequest.fromPartial({ ...takeover, resourceId: 'fake-taskmanager', numberOfSlots: 100_000, slotReport: slots(100_000) });
    t.match(await unary<any>((done) => rm.registerTaskExecutor(huge, new Metadata(), deadline(), done)), { response: { $case: 'rejection', value: { reason: /1 to 1024 slots/ } } }, 'no 100 000-slot TaskManager');
    rm.close();

    const jobMaster = new JobMasterServiceClient(`127.0.0.1:${jm.rpcPort}`, member, options);
    const victimAttempt = attempts[0]!;
    const forged = UpdateTaskExecutionStateRequest.fromPartial({ jobId, attemptId: victimAttempt.attemptId, state: 'FAILED', resourceId: victimAttempt.resourceId, registrationId: 'b'.repeat(32), failure: { name: 'Error', message: 'forged', stack: '' } });
    const update = await unary((done) => jobMaster.updateTaskExecutionState(forged, new Metadata(), deadline(), done));
    t.equal((update as ServiceError).code, status.PERMISSION_DENIED, 'a FAILED report for a real attempt without its TaskManager\'s registration is refused');
    jobMaster.close();

    const taskExecutor = new TaskExecutorServiceClient(`127.0.0.1:${victimPorts.rpc}`, member, options);
    const submit = SubmitTaskRequest.fromPartial({ descriptor: { jobId: '../..', jobName: 'evil', vertexId: '../../x', attemptId: '../x', jobModule: Buffer.from('process.exit(3)') } });
    const submitted = await unary((done) => taskExecutor.submitTask(submit, new Metadata(), deadline(), done));
    t.equal((submitted as ServiceError).code, status.PERMISSION_DENIED, 'SubmitTask without the fencing tokens of its ResourceManager is refused');
    taskExecutor.close();

    // Subscribing to a real channel (producer attempt - consumer attempt) with a guessed secret: nothing is sent.
    const source = attempts.find((a) => a.vertex === 'ClickEvent Source')!;
    const counter = attempts.find((a) => a.vertex === 'ClickEvent Counter')!;
    const producer = running.taskManagers.find((tm) => tm.resourceId === source.resourceId)!;
    const shuffle = new ShuffleServiceClient(`127.0.0.1:${(await producer.process.ports()).data}`, member, options);
    const stream = shuffle.requestPartitions(new Metadata());
    let received = 0;
    stream.on('data', () => received++);
    stream.on('error', () => undefined);
    stream.write(RequestPartitionsRequest.fromPartial({ requests: [{ channelId: `${source.attemptId}-${counter.attemptId}`, secret: 'c'.repeat(32), request: { $case: 'subscribe', value: true } }] }));
    stream.write(RequestPartitionsRequest.fromPartial({ requests: [{ channelId: `${source.attemptId}-${counter.attemptId}`, secret: '', request: { $case: 'credit', value: 1000 } }] }));
    await waitFor('the refused subscription logged', () => /Dropped 1 partition request subscription\(s\).*wrong secret/.test(tmLogs()));
    t.equal(received, 0, 'no record of the channel reached the intruder');
    stream.cancel();
    shuffle.close();
  });

  await expectUnaffected(t, running);
});
