import type { KeyedStateBackend, StateKey } from './KeyedStateBackend.js';

export interface Timer {
  time: number;
  keyGroup: number;
  key: StateKey;
  namespace: number;
}

/**
 * Timers of one subtask by time (Flink's InternalTimerService), each for a (key, namespace) and stored with its key
 * group. Registering the same timer twice keeps one.
 */
export class InternalTimerService {
  /** Distinct timer times, ascending. */
  private readonly times: number[] = [];
  private readonly byTime = new Map<number, Map<StateKey, Map<number, Timer>>>();

  /** Returns whether the timer is new. */
  register(time: number, keyGroup: number, key: StateKey, namespace: number): boolean {
    let byKey = this.byTime.get(time);
    if (!byKey) {
      byKey = new Map();
      this.byTime.set(time, byKey);
      this.times.splice(upperBound(this.times, time), 0, time);
    }
    let byNamespace = byKey.get(key);
    if (!byNamespace) byKey.set(key, (byNamespace = new Map()));
    if (byNamespace.has(namespace)) return false;
    byNamespace.set(namespace, { time, keyGroup, key, namespace });
    return true;
  }

  /** Removes and returns every timer with time <= `time`, earliest first. */
  popDue(time: number): Timer[] {
    const due: Timer[] = [];
    while (this.times.length > 0 && this.times[0]! <= time) {
      const t = this.times.shift()!;
      for (const byNamespace of this.byTime.get(t)!.values()) due.push(...byNamespace.values());
      this.byTime.delete(t);
    }
    return due;
  }

  /** The earliest timer time, if any. */
  peekTime(): number | undefined {
    return this.times[0];
  }

}

function upperBound(sorted: number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Timers kept in keyed state as well as in memory, so they are checkpointed with the state and rebuilt on restore:
 * one entry per (key, time) in state `stateName`, holding the timers' namespaces.
 */
export class PersistentTimerService {
  private readonly queue = new InternalTimerService();

  constructor(
    private readonly backend: KeyedStateBackend,
    private readonly stateName: string,
  ) {}

  /** Rebuilds the in-memory queue from the state (after a restore). */
  async restore(): Promise<void> {
    await this.backend.forEach<number[]>(this.stateName, (keyGroup, key, time, namespaces) => {
      for (const namespace of namespaces) this.queue.register(time, keyGroup, key, namespace);
    });
  }

  register(time: number, keyGroup: number, key: StateKey, namespace: number): void {
    if (!this.queue.register(time, keyGroup, key, namespace)) return;
    const namespaces = this.backend.get<number[]>(this.stateName, keyGroup, key, time) ?? [];
    this.backend.put(this.stateName, keyGroup, key, time, [...namespaces, namespace]);
  }

  popDue(time: number): Timer[] {
    const due = this.queue.popDue(time);
    for (const timer of due) this.backend.remove(this.stateName, timer.keyGroup, timer.key, timer.time);
    return due;
  }

  peekTime(): number | undefined {
    return this.queue.peekTime();
  }
}
