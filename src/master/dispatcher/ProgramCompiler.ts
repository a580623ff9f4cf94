import { Worker } from 'node:worker_threads';
import type { Configuration } from '../../common/config/Configuration.js';
import { formatDuration } from '../../common/config/durations.js';
import { formatMemorySize } from '../../common/config/memorySizes.js';
import { ProgramOptions } from '../../common/config/options.js';
import { IllegalConfigurationError, TsFlinkError } from '../../common/errors.js';
import type { Logger } from '../../common/Logger.js';
import type { WorkerThreadDescription } from '../../common/process/ThreadDump.js';
import type { Clock } from '../../common/time/Clock.js';
import type { ScheduledExecutor } from '../../common/time/ScheduledExecutor.js';
import type { JobGraphDescription } from '../../graph/JobGraph.js';
import type { ProgramThreadInput, ProgramThreadResult } from './program-thread.js';

/**
 * The thread's entry. `.js` also from the sources: the TypeScript loader the tests run under resolves it to
 * program-thread.ts (as it does for the TaskExecutor's task-thread.js).
 */
const PROGRAM_THREAD = new URL('./program-thread.js', import.meta.url);

const MIB = 1024 * 1024;

/** A program to build the job graph of: where its bundled module is, its arguments, and `-p` (or the default). */
export interface ProgramInvocation {
  /** For messages: the uploaded file's id, or the job's name. */
  name: string;
  moduleUrl: string;
  programArgs: readonly string[];
  defaultParallelism: number;
}

/** The program's main() failed, or could not finish within its limits; the message says which, in Flink's words. */
export class ProgramInvocationError extends TsFlinkError {
  constructor(
    message: string,
    /** main() returned without calling execute(). */
    readonly missingJob = false,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
  }
}

/** What limits a program thread, and how many run at once (jobmanager.program.*). */
export interface ProgramLimits {
  timeoutMs: number;
  memoryBytes: number;
  /** Threads running a main() at once; further calls wait. */
  maxConcurrent: number;
  /** Calls that may wait for a thread; more are refused at once. */
  maxWaiting: number;
}

/** Calls that may wait for a program thread (beyond jobmanager.program.max-concurrent); more are refused at once. */
const MAX_WAITING_PROGRAMS = 16;

export function programLimits(configuration: Configuration): ProgramLimits {
  const maxConcurrent = configuration.get(ProgramOptions.MAX_CONCURRENT_PROGRAMS);
  if (maxConcurrent < 1) throw new IllegalConfigurationError(`${ProgramOptions.MAX_CONCURRENT_PROGRAMS.key} must be at least 1, not ${maxConcurrent}.`);
  return {
    timeoutMs: configuration.get(ProgramOptions.PROGRAM_TIMEOUT),
    memoryBytes: configuration.get(ProgramOptions.PROGRAM_MEMORY),
    maxConcurrent,
    maxWaiting: MAX_WAITING_PROGRAMS,
  };
}

/**
 * Builds the job graph of an uploaded program for the JobManager (Flink's PackagedProgramUtils.createJobGraph): its
 * main() runs in a worker thread of its own — never on the JobManager's event loop — with a pipeline executor that
 * stops it at execute(), a heap limit (`jobmanager.program.memory`) and a time limit (`jobmanager.program.timeout`).
 * What comes back is the graph's function-free description. A program that calls process.exit(), spins, runs out of
 * memory or crashes fails its own request with an error that says so; its thread is terminated, and the JobManager
 * (REST, heartbeats, running jobs) goes on as if nothing happened. Every call gets a fresh thread, so no state of one
 * program reaches another.
 */
export class ProgramCompiler {
  /** The threads running programs now, with the program each runs. */
  private readonly running = new Map<Worker, string>();
  /** Calls waiting for one of the `maxConcurrent` threads, in arrival order. */
  private readonly waiting: Array<{ start: () => void; cancel: (error: Error) => void }> = [];
  private closed = false;
  /** Calls that got their turn and are starting their thread. */
  private starting = 0;

  constructor(
    private readonly limits: ProgramLimits,
    private readonly clock: Clock,
    private readonly executor: ScheduledExecutor,
    private readonly log: Logger,
  ) {}

  /** Threads running a main() now. */
  get activeThreads(): number {
    return this.running.size;
  }

  async createJobGraph(program: ProgramInvocation): Promise<JobGraphDescription> {
    if (this.closed) throw new ProgramInvocationError('The JobManager is shutting down: it runs no more programs.');
    await this.turn();
    try {
      return await this.runInThread(program);
    } finally {
      const next = this.waiting.shift();
      if (next) {
        // The freed thread goes to the first waiting call, before any newcomer can take it.
        this.starting++;
        next.start();
      }
    }
  }

  /** The program threads for a thread dump: each runs one program's main() (Flink runs it in the REST handler). */
  threads(): WorkerThreadDescription[] {
    return [...this.running].map(([worker, name]) => ({
      threadId: worker.threadId,
      name: `program ${name}`,
      state: 'RUNNABLE' as const,
      details: ['running main() to build the job graph'],
      utilization: worker.performance.eventLoopUtilization().utilization,
    }));
  }

  /** Resolves when fewer than `maxConcurrent` threads run; refuses when too many calls wait already. */
  private async turn(): Promise<void> {
    if (this.running.size + this.starting < this.limits.maxConcurrent && this.waiting.length === 0) {
      this.starting++;
      return;
    }
    if (this.waiting.length >= this.limits.maxWaiting) {
      throw new ProgramInvocationError(
        `Too many programs are running on the JobManager (${this.limits.maxConcurrent} at once, jobmanager.program.max-concurrent, and ${this.limits.maxWaiting} waiting). Try again later.`,
      );
    }
    await new Promise<void>((start, cancel) => this.waiting.push({ start, cancel }));
  }

  private async runInThread(program: ProgramInvocation): Promise<JobGraphDescription> {
    this.starting--;
    if (this.closed) throw new ProgramInvocationError('The JobManager is shutting down: it runs no more programs.');
    const exitSignal = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
    const input: ProgramThreadInput = { moduleUrl: program.moduleUrl, programArgs: [...program.programArgs], defaultParallelism: program.defaultParallelism, exitSignal };
    const { timeoutMs, memoryBytes } = this.limits;
    const worker = new Worker(PROGRAM_THREAD, {
      workerData: input,
      resourceLimits: { maxOldGenerationSizeMb: Math.max(1, Math.floor(memoryBytes / MIB)) },
    });
    this.running.set(worker, program.name);
    const started = this.clock.now();
    return new Promise<JobGraphDescription>((resolve, reject) => {
      let settled = false;
      const settle = (outcome: { graph: JobGraphDescription } | { error: ProgramInvocationError }) => {
        if (settled) return;
        settled = true;
        timer.cancel();
        this.running.delete(worker);
        // The thread may still hold timers or sockets main() opened: it ends here whatever it was doing.
        void worker.terminate();
        if ('graph' in outcome) {
          this.log.info(`Built the job graph of ${program.name} in ${this.clock.now() - started} ms.`);
          resolve(outcome.graph);
        } else {
          this.log.warn(`Could not build the job graph of ${program.name}: ${outcome.error.message}`);
          reject(outcome.error);
        }
      };
      const fail = (message: string, cause?: unknown, missingJob = false) => settle({ error: new ProgramInvocationError(message, missingJob, { cause }) });

      const timer = this.executor.schedule(timeoutMs, () =>
        fail(
          `The program did not finish within ${formatDuration(timeoutMs)} (jobmanager.program.timeout): its main() must build the pipeline and call execute() in that time. The thread that ran it was stopped.`,
        ),
      );
      worker.on('message', (result: ProgramThreadResult) => {
        if (result.kind === 'graph') settle({ graph: result.graph });
        else fail(result.message, remoteError(result.message, result.stack), result.missingJob);
      });
      worker.on('messageerror', (error) => fail(`The main method caused an error: its job graph could not be received: ${error.message}`, error));
      worker.on('error', (error: Error & { code?: string }) => {
        if (error.code === 'ERR_WORKER_OUT_OF_MEMORY') {
          fail(`The main method caused an error: the program ran out of memory; its heap is limited to ${formatMemorySize(memoryBytes)} (jobmanager.program.memory).`, error);
        } else {
          fail(`The main method caused an error: ${error.message}`, error);
        }
      });
      worker.on('exit', (code) => {
        const signal = new Int32Array(exitSignal);
        if (this.closed) {
          fail("The JobManager shut down while the program's main() ran.");
        } else if (Atomics.load(signal, 0) === 1) {
          fail(`The main method caused an error: the program called process.exit(${Atomics.load(signal, 1)}).`);
        } else {
          fail(
            `The main method caused an error: main() never returned; its thread ended (exit code ${code}) with nothing left to wait for, e.g. awaiting a promise that is never settled.`,
          );
        }
      });
    });
  }

  /** Stops every thread still running a main() (JobManager shutdown); their requests fail. */
  async close(): Promise<void> {
    this.closed = true;
    for (const waiting of this.waiting.splice(0)) waiting.cancel(new ProgramInvocationError('The JobManager is shutting down: it runs no more programs.'));
    await Promise.all([...this.running.keys()].map((worker) => worker.terminate()));
  }
}

/** The thread's error, as far as it can cross: its message and stack. */
function remoteError(message: string, stack: string | undefined): Error {
  const error = new Error(message);
  if (stack !== undefined) error.stack = stack;
  return error;
}
