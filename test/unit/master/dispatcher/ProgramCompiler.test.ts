// The main() of uploaded programs runs in a thread of its own: whatever it does (exit, spin, allocate, throw, never
// call execute) fails its own request with a clear error within the limits, while this event loop keeps running.
import t from 'tap';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Configuration } from '../../../../src/common/config/Configuration.js';
import { ProgramOptions } from '../../../../src/common/config/options.js';
import { SystemClock } from '../../../../src/common/time/Clock.js';
import { SystemScheduledExecutor } from '../../../../src/common/time/ScheduledExecutor.js';
import { buildJobGraph } from '../../../../src/graph/JobGraph.js';
import { extractPipeline, MISSING_JOB_MESSAGE } from '../../../../src/graph/JobProgram.js';
import { jsonPlan } from '../../../../src/graph/JsonPlan.js';
import { Dispatcher, JobSubmissionError } from '../../../../src/master/dispatcher/Dispatcher.js';
import { ProgramCompiler, ProgramInvocationError, programLimits, type ProgramLimits } from '../../../../src/master/dispatcher/ProgramCompiler.js';
import type { JobMasterServices } from '../../../../src/master/jobmaster/JobMaster.js';
import type { ResourceManager } from '../../../../src/master/resourcemanager/ResourceManager.js';
import { testingLogger } from '../../../testing/runtime/TestingLogger.js';

const job = (file: string) => pathToFileURL(join(import.meta.dirname, '..', '..', '..', 'fixtures', 'jobs', file)).href;
const LIMITS: ProgramLimits = { timeoutMs: 60_000, memoryBytes: 512 * 1024 * 1024, maxConcurrent: 4, maxWaiting: 16 };

function compiler(limits: Partial<ProgramLimits> = {}) {
  const { log, sink } = testingLogger('ProgramCompiler');
  return { programs: new ProgramCompiler({ ...LIMITS, ...limits }, SystemClock, SystemScheduledExecutor, log), sink };
}

/** Counts this event loop's ticks (every 50 ms) while `action` runs: a main() on this loop would starve them. */
async function ticksDuring<T>(action: () => Promise<T>): Promise<{ result: PromiseSettledResult<T>; ticks: number; elapsed: number }> {
  let ticks = 0;
  const interval = setInterval(() => ticks++, 50);
  const started = Date.now();
  try {
    const [result] = await Promise.allSettled([action()]);
    return { result: result!, ticks, elapsed: Date.now() - started };
  } finally {
    clearInterval(interval);
  }
}

const rejection = (result: PromiseSettledResult<unknown>): Error => {
  if (result.status !== 'rejected') throw new Error('expected the call to fail');
  return result.reason as Error;
};

t.test('a good program: the description of the same job graph as built in process, and the thread is gone', async (t) => {
  const { programs, sink } = compiler();
  const described = await programs.createJobGraph({ name: 'yielding', moduleUrl: job('YieldingMain.ts'), programArgs: ['job-a'], defaultParallelism: 2 });
  const local = buildJobGraph(await extractPipeline(job('YieldingMain.ts'), ['job-a']), { defaultParallelism: 2 });
  t.equal(described.planHash, local.planHash, 'the plan hash TaskManagers check against');
  t.equal(described.jobName, 'job-a');
  t.same(jsonPlan('x', described), jsonPlan('x', local), 'the same plan JSON');
  t.same(
    described.vertices.map((v) => v.operators),
    local.vertices.map((v) => v.operators.map(({ operatorId, name, parallelism, maxParallelism }) => ({ operatorId, name, parallelism, maxParallelism }))),
  );
  for (const vertex of described.vertices) {
    for (const edge of [...vertex.inputs, ...vertex.outputs]) {
      t.ok(described.vertices.includes(edge.source) && described.vertices.includes(edge.target), 'edges join vertices of the same description');
    }
  }
  t.notOk(JSON.stringify(described.vertices.map((v) => ({ ...v, inputs: v.inputs.length, outputs: v.outputs.length }))).includes('function'));
  t.equal(programs.activeThreads, 0, 'its thread was terminated');
  t.match(sink.matching('Built the job graph of yielding'), [/in \d+ ms/]);
});

t.test('process.exit() in main() fails the request, not this process', async (t) => {
  const { programs, sink } = compiler();
  const { result } = await ticksDuring(() => programs.createJobGraph({ name: 'exiting', moduleUrl: job('ExitingMain.ts'), programArgs: ['7'], defaultParallelism: 1 }));
  const error = rejection(result);
  t.type(error, ProgramInvocationError);
  t.equal(error.message, 'The main method caused an error: the program called process.exit(7).');
  t.match(sink.matching('Could not build the job graph of exiting'), [/process\.exit\(7\)/], 'logged');
  t.equal(programs.activeThreads, 0);
});

t.test('a main() that spins forever is stopped at the time limit while this event loop keeps ticking', async (t) => {
  const { programs } = compiler({ timeoutMs: 4000 });
  const { result, ticks, elapsed } = await ticksDuring(() => programs.createJobGraph({ name: 'spinning', moduleUrl: job('SpinningMain.ts'), programArgs: [], defaultParallelism: 1 }));
  t.equal(
    rejection(result).message,
    'The program did not finish within 4 s (jobmanager.program.timeout): its main() must build the pipeline and call execute() in that time. The thread that ran it was stopped.',
  );
  t.ok(elapsed >= 4000 && elapsed < 10_000, `failed at the limit (${elapsed} ms)`);
  t.ok(ticks >= (elapsed / 50) * 0.25, `the event loop kept running: ${ticks} ticks of 50 ms in ${elapsed} ms`);
  t.equal(programs.activeThreads, 0, 'the spinning thread was terminated');
});

t.test('a main() that allocates without bound is stopped at the memory limit', async (t) => {
  const { programs } = compiler({ memoryBytes: 64 * 1024 * 1024, timeoutMs: 50_000 });
  const fits = await programs.createJobGraph({ name: 'yielding', moduleUrl: job('YieldingMain.ts'), programArgs: ['small'], defaultParallelism: 1 });
  t.equal(fits.jobName, 'small', 'a program that allocates little fits in the same limit');
  const { result, ticks, elapsed } = await ticksDuring(() => programs.createJobGraph({ name: 'allocating', moduleUrl: job('AllocatingMain.ts'), programArgs: [], defaultParallelism: 1 }));
  t.equal(rejection(result).message, 'The main method caused an error: the program ran out of memory; its heap is limited to 64 mb (jobmanager.program.memory).');
  t.ok(elapsed < 50_000, `before the time limit (${elapsed} ms)`);
  t.ok(ticks > 0, 'the event loop kept running');
  t.equal(programs.activeThreads, 0);
});

t.test('a main() that throws: its message, with its stack as the cause', async (t) => {
  const { programs } = compiler();
  const error = rejection((await ticksDuring(() => programs.createJobGraph({ name: 'throws', moduleUrl: job('MainThrows.ts'), programArgs: [], defaultParallelism: 1 }))).result);
  t.equal(error.message, 'The main method caused an error: main() refused to run: missing --input-topic');
  t.match((error.cause as Error).stack, /MainThrows\.ts/, 'the stack of the thread that ran main()');
});

t.test('a main() that never calls execute(), and one that awaits forever', async (t) => {
  const { programs } = compiler();
  const noExecute = rejection((await ticksDuring(() => programs.createJobGraph({ name: 'no-execute', moduleUrl: job('NoExecute.ts'), programArgs: [], defaultParallelism: 1 }))).result);
  t.equal(noExecute.message, MISSING_JOB_MESSAGE);
  t.equal((noExecute as ProgramInvocationError).missingJob, true);
  const noMain = rejection((await ticksDuring(() => programs.createJobGraph({ name: 'no-main', moduleUrl: job('NoMain.ts'), programArgs: [], defaultParallelism: 1 }))).result);
  t.match(noMain.message, /does not export a main\(args\) function/);
  const never = rejection((await ticksDuring(() => programs.createJobGraph({ name: 'never', moduleUrl: job('NeverSettlingMain.ts'), programArgs: [], defaultParallelism: 1 }))).result);
  t.match(never.message, /^The main method caused an error: main\(\) never returned/);
});

t.test('programs run concurrently, each in its own thread: a spinning one does not hold up a good one', async (t) => {
  const { programs } = compiler({ timeoutMs: 6000 });
  const spinning = programs.createJobGraph({ name: 'spinning', moduleUrl: job('SpinningMain.ts'), programArgs: [], defaultParallelism: 1 });
  const good = await programs.createJobGraph({ name: 'good', moduleUrl: job('YieldingMain.ts'), programArgs: ['job-b'], defaultParallelism: 1 });
  t.equal(good.jobName, 'job-b');
  t.equal(programs.activeThreads, 1, 'the spinning one still runs');
  await t.rejects(spinning, /did not finish within 6 s/);
});

t.test('at most jobmanager.program.max-concurrent threads run; later calls wait their turn, and beyond the queue are refused', async (t) => {
  const { programs } = compiler({ timeoutMs: 3000, maxConcurrent: 1, maxWaiting: 2 });
  const spinning = programs.createJobGraph({ name: 'spinning', moduleUrl: job('SpinningMain.ts'), programArgs: [], defaultParallelism: 1 });
  const waiting = Array.from({ length: 2 }, (_, i) =>
    programs.createJobGraph({ name: `good-${i}`, moduleUrl: job('YieldingMain.ts'), programArgs: [`job-${i}`], defaultParallelism: 1 }),
  );
  await t.rejects(
    programs.createJobGraph({ name: 'one too many', moduleUrl: job('YieldingMain.ts'), programArgs: [], defaultParallelism: 1 }),
    /Too many programs are running on the JobManager \(1 at once, jobmanager.program.max-concurrent, and 2 waiting\)/,
  );
  t.equal(programs.activeThreads, 1, 'only the spinning one runs; the others wait');
  await t.rejects(spinning, /did not finish within 3 s/);
  const graphs = await Promise.all(waiting);
  t.same(graphs.map((g) => g.jobName), waiting.map((_, i) => `job-${i}`), 'then every waiting one ran, in order');
  t.equal(programs.activeThreads, 0);
});

t.test('close() stops threads that still run a main(); later calls are refused', async (t) => {
  const { programs } = compiler();
  const spinning = programs.createJobGraph({ name: 'spinning', moduleUrl: job('SpinningMain.ts'), programArgs: [], defaultParallelism: 1 });
  await new Promise((resolve) => setTimeout(resolve, 200));
  await programs.close();
  await t.rejects(spinning, { message: "The JobManager shut down while the program's main() ran." });
  await t.rejects(programs.createJobGraph({ name: 'late', moduleUrl: job('YieldingMain.ts'), programArgs: [], defaultParallelism: 1 }), /shutting down/);
  t.equal(programs.activeThreads, 0);
});

t.test('the limits are read from jobmanager.program.timeout and jobmanager.program.memory', async (t) => {
  t.same(programLimits(new Configuration()), { timeoutMs: 60_000, memoryBytes: 512 * 1024 * 1024, maxConcurrent: 2, maxWaiting: 16 }, 'defaults: 60 s, 512 MiB, 2 at once');
  t.same(
    programLimits(
      new Configuration([
        [ProgramOptions.PROGRAM_TIMEOUT.key, '90 s'],
        [ProgramOptions.PROGRAM_MEMORY.key, '1g'],
      ]),
    ),
    { timeoutMs: 90_000, memoryBytes: 1024 ** 3, maxConcurrent: 2, maxWaiting: 16 },
  );
  t.throws(() => programLimits(new Configuration([[ProgramOptions.PROGRAM_MEMORY.key, '12 parsecs']])), /Could not parse value '12 parsecs' for key 'jobmanager.program.memory'/);
});

t.test("the Dispatcher's compile (REST plan and run, rescaling) goes through a program thread with the configured limits", async (t) => {
  const configuration = new Configuration([
    [ProgramOptions.PROGRAM_TIMEOUT.key, '3 s'],
    ['parallelism.default', '3'],
  ]);
  const services = { configuration, clock: SystemClock, executor: SystemScheduledExecutor } as unknown as JobMasterServices;
  const { log } = testingLogger('Dispatcher');
  const dispatcher = new Dispatcher(services, new EventEmitter() as unknown as ResourceManager, '/nonexistent', log);
  t.teardown(() => dispatcher.close());

  const { jobGraph, defaultParallelism } = await dispatcher.compile({ name: 'yielding.js', moduleUrl: job('YieldingMain.ts'), programArgs: ['planned'], parallelism: undefined });
  t.equal(defaultParallelism, 3, 'parallelism.default');
  t.same(jobGraph.vertices.map((v) => v.parallelism), [3], 'source and sink chained, at the default parallelism');

  const { result, ticks, elapsed } = await ticksDuring(() => dispatcher.compile({ name: 'spin.js', moduleUrl: job('SpinningMain.ts'), programArgs: [], parallelism: 1 }));
  const spun = rejection(result);
  t.type(spun, JobSubmissionError);
  t.match(spun.message, /^Could not run the job program spin\.js: The program did not finish within 3 s \(jobmanager\.program\.timeout\)/);
  t.ok(ticks >= (elapsed / 50) * 0.25, `the event loop kept running (${ticks} ticks in ${elapsed} ms)`);

  const exited = rejection((await ticksDuring(() => dispatcher.compile({ name: 'exit.js', moduleUrl: job('ExitingMain.ts'), programArgs: [], parallelism: 1 }))).result);
  t.equal(exited.message, 'Could not run the job program exit.js: The main method caused an error: the program called process.exit(3).');
  const noJob = rejection((await ticksDuring(() => dispatcher.compile({ name: 'none.js', moduleUrl: job('NoExecute.ts'), programArgs: [], parallelism: 1 }))).result);
  t.equal(noJob.message, MISSING_JOB_MESSAGE, "Flink's message alone, as the CLI expects it");
});
