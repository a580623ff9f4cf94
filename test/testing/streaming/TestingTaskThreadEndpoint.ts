import type { TaskThreadEndpoint } from '../../../src/streaming/TaskThreadEndpoint.js';
import type { FromTaskThread, ToTaskThread } from '../../../src/taskmanager/task/thread-protocol.js';

type Sent<K extends FromTaskThread['type']> = Extract<FromTaskThread, { type: K }>;

interface Waiter {
  matches(message: FromTaskThread): boolean;
  resolve(message: FromTaskThread): void;
  reject(error: Error): void;
  description: string;
}

/**
 * A TaskThreadEndpoint for unit tests: the StreamTask runs in the test's own thread, and the test plays the
 * TaskExecutor's main thread. It records what the task sends, delivers what the test sends (held, like a MessagePort,
 * until the task listens), and lets the test wait for a message. Once the task closes it, what it would still send is
 * dropped (as a closed port drops it) and waits for messages that never came fail, listing what did.
 */
export class TestingTaskThreadEndpoint implements TaskThreadEndpoint {
  readonly sent: FromTaskThread[] = [];
  private listener: ((message: ToTaskThread) => void) | undefined;
  private readonly held: ToTaskThread[] = [];
  private readonly waiters = new Set<Waiter>();
  private closed = false;

  get isClosed(): boolean {
    return this.closed;
  }

  send(message: FromTaskThread): void {
    if (this.closed) return;
    this.sent.push(message);
    for (const waiter of this.waiters) {
      if (!waiter.matches(message)) continue;
      this.waiters.delete(waiter);
      waiter.resolve(message);
    }
  }

  onMessage(listener: (message: ToTaskThread) => void): void {
    this.listener = listener;
    for (const message of this.held.splice(0)) listener(message);
  }

  close(): void {
    this.closed = true;
    const sent = this.sent.map((m) => m.type).join(', ');
    for (const waiter of this.waiters) waiter.reject(new Error(`The task closed its endpoint without sending ${waiter.description}; it sent: ${sent}`));
    this.waiters.clear();
  }

  /** A message from the TaskExecutor's side, to the task. */
  deliver(message: ToTaskThread): void {
    if (this.closed) return;
    if (this.listener) this.listener(message);
    else this.held.push(message);
  }

  /** The messages of one type the task sent so far (optionally on one channel), in order. */
  sentOfType<K extends FromTaskThread['type']>(type: K, channel?: string): Array<Sent<K>> {
    return this.sent.filter((m): m is Sent<K> => m.type === type && (channel === undefined || (m as { channel?: string }).channel === channel));
  }

  /**
   * Resolves with the first message of `type` matching `predicate`, among those sent from index `from` on (the ones
   * sent already included).
   */
  waitFor<K extends FromTaskThread['type']>(type: K, predicate: (message: Sent<K>) => boolean = () => true, from = 0): Promise<Sent<K>> {
    const matches = (m: FromTaskThread): boolean => m.type === type && predicate(m as Sent<K>);
    const found = this.sent.slice(from).find(matches);
    if (found) return Promise.resolve(found as Sent<K>);
    const description = `a matching '${type}' message`;
    if (this.closed) return Promise.reject(new Error(`The task closed its endpoint without sending ${description}.`));
    return new Promise<Sent<K>>((resolve, reject) => {
      this.waiters.add({ matches, resolve: (m) => resolve(m as Sent<K>), reject, description });
    });
  }
}
