import type { KeyGroupRange } from './KeyGroupRangeAssignment.js';

export type StateKey = string | number;

/**
 * Keyed state of one subtask, addressed by (state name, key group, key, namespace): everything of a key group lives
 * together, so a snapshot or a rescaled restore handles contiguous key-group ranges.
 */
export interface KeyedStateBackend {
  readonly keyGroupRange: KeyGroupRange;
  get<V>(state: string, keyGroup: number, key: StateKey, namespace: number): V | undefined;
  put<V>(state: string, keyGroup: number, key: StateKey, namespace: number, value: V): void;
  remove(state: string, keyGroup: number, key: StateKey, namespace: number): void;
  /** Number of entries, for metrics and tests. */
  size(): number;
}

/** Keyed state on the heap: key group → state → namespace → key → value. */
export class HeapKeyedStateBackend implements KeyedStateBackend {
  private readonly groups = new Map<number, Map<string, Map<number, Map<StateKey, unknown>>>>();
  private entries = 0;

  constructor(readonly keyGroupRange: KeyGroupRange) {}

  get<V>(state: string, keyGroup: number, key: StateKey, namespace: number): V | undefined {
    return this.groups.get(keyGroup)?.get(state)?.get(namespace)?.get(key) as V | undefined;
  }

  put<V>(state: string, keyGroup: number, key: StateKey, namespace: number, value: V): void {
    this.checkKeyGroup(keyGroup);
    let states = this.groups.get(keyGroup);
    if (!states) this.groups.set(keyGroup, (states = new Map()));
    let namespaces = states.get(state);
    if (!namespaces) states.set(state, (namespaces = new Map()));
    let keys = namespaces.get(namespace);
    if (!keys) namespaces.set(namespace, (keys = new Map()));
    if (!keys.has(key)) this.entries++;
    keys.set(key, value);
  }

  remove(state: string, keyGroup: number, key: StateKey, namespace: number): void {
    const namespaces = this.groups.get(keyGroup)?.get(state);
    const keys = namespaces?.get(namespace);
    if (keys?.delete(key)) {
      this.entries--;
      if (keys.size === 0) namespaces!.delete(namespace);
    }
  }

  size(): number {
    return this.entries;
  }

  private checkKeyGroup(keyGroup: number): void {
    if (keyGroup < this.keyGroupRange.startKeyGroup || keyGroup > this.keyGroupRange.endKeyGroup) {
      throw new Error(
        `Key group ${keyGroup} is not in this subtask's range [${this.keyGroupRange.startKeyGroup}, ${this.keyGroupRange.endKeyGroup}]: records were partitioned for another parallelism.`,
      );
    }
  }
}
