import { Session } from 'node:inspector';
import type { StackSample } from '../taskmanager/task/thread-protocol.js';

/** The most distinct stacks one sampling returns (the most frequent ones; a flame graph shows no more). */
const MAX_STACKS = 2000;
/** The deepest stack kept; deeper ones are cut at their outermost MAX_DEPTH frames. */
const MAX_DEPTH = 128;
/** V8's sampling interval, µs. */
const SAMPLING_INTERVAL_US = 1000;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

let running: Promise<unknown> = Promise.resolve();

/**
 * On-CPU stack samples of this thread for `durationMs` (the dashboard's flame graph), from V8's sampling profiler in
 * this thread's own isolate: the profiler samples on a thread of its own, so the subtask runs on undisturbed and is
 * seen wherever it is busy. Time the thread spent idle in its event loop is one stack, `(idle)` (off-CPU). Samplings
 * of one thread run one after the other (an isolate has one profiler).
 */
export function sampleStacks(durationMs: number): Promise<StackSample[]> {
  const sampled = running.then(() => profile(durationMs));
  running = sampled.catch(() => undefined);
  return sampled;
}

async function profile(durationMs: number): Promise<StackSample[]> {
  const session = new Session();
  session.connect();
  const post = <T = unknown>(method: string, params: object = {}) =>
    new Promise<T>((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result as T))));
  try {
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: SAMPLING_INTERVAL_US });
    await post('Profiler.start');
    await new Promise((resolve) => setTimeout(resolve, durationMs));
    const { profile } = await post<{ profile: { nodes: ProfileNode[] } }>('Profiler.stop');
    return stackSamples(profile.nodes);
  } finally {
    session.disconnect();
  }
}

/** The profile's tree as stacks with their hit counts (idle time as `(idle)`); the most frequent MAX_STACKS. */
export function stackSamples(nodes: readonly ProfileNode[]): StackSample[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const node of nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const samples: StackSample[] = [];
  for (const node of nodes) {
    const count = node.hitCount ?? 0;
    if (count === 0) continue;
    const frames: string[] = [];
    for (let id: number | undefined = node.id; id !== undefined; id = parentOf.get(id)) {
      const frame = byId.get(id)!.callFrame;
      if (frame.functionName === '(root)') break;
      frames.push(frameName(frame));
    }
    frames.reverse();
    samples.push({ frames: frames.slice(0, MAX_DEPTH), count });
  }
  return samples.sort((a, b) => b.count - a.count).slice(0, MAX_STACKS);
}

/** `function (file.js:line)`, or V8's own names for time outside JavaScript: `(garbage collector)`, `(program)`. */
function frameName({ functionName, url, lineNumber }: ProfileNode['callFrame']): string {
  const name = functionName || '(anonymous)';
  if (!url) return name;
  return `${name} (${url.slice(url.lastIndexOf('/') + 1)}:${lineNumber + 1})`;
}
