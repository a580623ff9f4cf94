import { threadId as currentThreadId } from 'node:worker_threads';

/**
 * Thread dumps in Flink's shape (ThreadDumpInfo: `{"threadInfos":[{"threadName", "stringifiedThreadInfo"}]}`), for a
 * Node process: its main thread (the event loop, whose stack is the one answering the request) and its worker threads
 * (a TaskManager's subtasks, a JobManager's program runs), each with what it is doing. Node cannot take the stack of
 * another thread without stopping it, so a worker thread's entry says what runs there and how busy its event loop
 * was, not where it stands.
 */
export interface ThreadInfo {
  threadName: string;
  stringifiedThreadInfo: string;
}

export interface ThreadDumpInfo {
  threadInfos: ThreadInfo[];
}

/** A worker thread as the dump describes it. */
export interface WorkerThreadDescription {
  threadId: number;
  /** What runs there, e.g. the subtask's name `ClickEvent Source (1/2)#0`, or `idle`. */
  name: string;
  /** Java's Thread.State closest to what it does: RUNNABLE while it runs something, WAITING while idle. */
  state: 'RUNNABLE' | 'WAITING';
  /** Lines after the header, e.g. `subtask state: RUNNING`. */
  details: string[];
  /** How busy the thread's event loop has been since it started, 0..1 (Worker.performance.eventLoopUtilization). */
  utilization: number;
}

/** Flink's `cluster.thread-dump.stacktrace-max-depth` default. */
export const DEFAULT_STACK_DEPTH = 8;
/** The most frames of the main thread a dump shows, whatever it is asked for (the depth may come over RPC). */
const MAX_STACK_DEPTH = 1024;

/** The dump of this process: the main thread, then `workers` by thread id. */
export function threadDump(workers: readonly WorkerThreadDescription[], maxDepth = DEFAULT_STACK_DEPTH): ThreadDumpInfo {
  const depth = Math.max(0, Math.min(maxDepth, MAX_STACK_DEPTH));
  return { threadInfos: [mainThreadInfo(depth), ...[...workers].sort((a, b) => a.threadId - b.threadId).map(workerThreadInfo)] };
}

function mainThreadInfo(maxDepth: number): ThreadInfo {
  const frames = (new Error().stack ?? '')
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .slice(1); // this function
  const lines = [`"main" Id=${currentThreadId} RUNNABLE`];
  for (const frame of frames.slice(0, maxDepth)) lines.push(`\t${frame.trim()}`);
  if (frames.length > maxDepth) lines.push('\t...');
  lines.push(`\t- event loop: ${activeResources()}`);
  return { threadName: 'main', stringifiedThreadInfo: `${lines.join('\n')}\n\n` };
}

function workerThreadInfo(worker: WorkerThreadDescription): ThreadInfo {
  const lines = [
    `"${worker.name}" Id=${worker.threadId} ${worker.state}`,
    ...worker.details.map((d) => `\t- ${d}`),
    `\t- event loop utilization since the thread started: ${Math.round(worker.utilization * 100)} %`,
  ];
  return { threadName: worker.name, stringifiedThreadInfo: `${lines.join('\n')}\n\n` };
}

/** `12 active resources (TCPServerWrap ×3, Timeout ×5, …)`: what keeps the event loop alive. */
function activeResources(): string {
  const counts = new Map<string, number>();
  for (const resource of process.getActiveResourcesInfo()) counts.set(resource, (counts.get(resource) ?? 0) + 1);
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const parts = [...counts].sort((a, b) => b[1] - a[1]).map(([name, n]) => (n > 1 ? `${name} ×${n}` : name));
  return `${total} active resources${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`;
}
