/**
 * The worker-thread entry that runs one uploaded program's main() for the JobManager (see ProgramCompiler): it builds
 * the job graph with a pipeline executor of its own (compileJobGraph), posts the graph's function-free description or
 * the error, and is then terminated. Nothing here runs on the JobManager's event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { compileJobGraph, MISSING_JOB_MESSAGE } from '../../graph/JobProgram.js';
import type { JobGraphDescription } from '../../graph/JobGraph.js';

/** What the JobManager hands the thread (as workerData). */
export interface ProgramThreadInput {
  moduleUrl: string;
  programArgs: string[];
  defaultParallelism: number;
  /**
   * Two Int32 slots the thread sets before it honours a process.exit() of the program: [1, exit code]. (A message
   * posted right before exiting may be lost; a store into shared memory is not.)
   */
  exitSignal: SharedArrayBuffer;
}

/** What the thread posts back, once. */
export type ProgramThreadResult =
  | { kind: 'graph'; graph: JobGraphDescription }
  | { kind: 'failed'; message: string; stack: string | undefined; missingJob: boolean };

const input = workerData as ProgramThreadInput;
const exitSignal = new Int32Array(input.exitSignal);

// In a worker, process.exit() ends the thread only; the JobManager learns the code from exitSignal.
const exit = process.exit.bind(process);
process.exit = ((code?: number | string | null) => {
  Atomics.store(exitSignal, 1, Number(code ?? process.exitCode ?? 0) | 0);
  Atomics.store(exitSignal, 0, 1);
  return exit(code as number);
}) as typeof process.exit;

let result: ProgramThreadResult;
try {
  result = { kind: 'graph', graph: await compileJobGraph(input.moduleUrl, input.programArgs, input.defaultParallelism) };
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  result = { kind: 'failed', message, stack: stackWithCauses(error), missingJob: message === MISSING_JOB_MESSAGE };
}
parentPort!.postMessage(result);

/** The error's stack and its causes' (`Caused by: …`, as Java prints them): the program's own frames are in a cause. */
function stackWithCauses(error: unknown): string | undefined {
  const stacks: string[] = [];
  for (let e = error; e instanceof Error && stacks.length < 10; e = e.cause) stacks.push(e.stack ?? `${e.name}: ${e.message}`);
  return stacks.length > 0 ? stacks.join('\nCaused by: ') : undefined;
}
