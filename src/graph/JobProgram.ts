import { runWithPipelineExecutor, type Pipeline } from '../job/transformations.js';
import { TsFlinkError } from '../common/errors.js';
import { buildJobGraph, describeJobGraph, type JobGraphDescription } from './JobGraph.js';

/** The program is not a usable job: no `main`, `main` threw, or it never called `execute()`. */
export class ProgramInvocationError extends TsFlinkError {}

/** Thrown by the capturing executor to stop `main` once it handed over its pipeline (Flink's ProgramAbortException). */
class ProgramAbort extends Error {}

export const MISSING_JOB_MESSAGE = "The program didn't contain a Flink job. Perhaps you forgot to call execute() on the execution environment.";

/**
 * Runs a job module's `main(args)` in "build only" mode and returns the pipeline it handed to `execute()`: the
 * JobManager's program thread does this to get the job graph (compileJobGraph), the CLI for `flink info`, and every
 * subtask does it again to get its own operators (functions cannot be shipped, so each thread rebuilds them from the
 * same program).
 */
export async function extractPipeline(moduleUrl: string, args: readonly string[]): Promise<Pipeline> {
  let module: Record<string, unknown>;
  try {
    module = (await import(moduleUrl)) as Record<string, unknown>;
  } catch (error) {
    throw new ProgramInvocationError(`Could not load the job program: ${(error as Error).message}`, { cause: error });
  }
  const main = typeof module.main === 'function' ? module.main : typeof module.default === 'function' ? module.default : undefined;
  if (!main) {
    throw new ProgramInvocationError('The job program does not export a main(args) function (as `export function main` or the default export).');
  }
  let captured: Pipeline | undefined;
  const capture = {
    execute: async (pipeline: Pipeline): Promise<never> => {
      captured = pipeline;
      throw new ProgramAbort('pipeline captured');
    },
  };
  try {
    await runWithPipelineExecutor(capture, () => (main as (args: string[]) => unknown)([...args]));
  } catch (error) {
    if (!(error instanceof ProgramAbort) || !captured) {
      throw new ProgramInvocationError(`The main method caused an error: ${(error as Error)?.message ?? String(error)}`, { cause: error });
    }
  }
  if (!captured) throw new ProgramInvocationError(MISSING_JOB_MESSAGE);
  return captured;
}

/**
 * Runs a job module's `main(args)` and returns the description of the job graph it builds: what the JobManager needs.
 * The JobManager never calls this on its own event loop: it runs it in a program thread
 * (master/dispatcher/program-thread.ts) with a time and a memory limit, and gets the description back.
 */
export async function compileJobGraph(moduleUrl: string, args: readonly string[], defaultParallelism: number): Promise<JobGraphDescription> {
  return describeJobGraph(buildJobGraph(await extractPipeline(moduleUrl, args), { defaultParallelism }));
}
