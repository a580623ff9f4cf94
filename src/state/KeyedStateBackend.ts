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
  /** Every entry of one state (e.g. to rebuild timers after a restore). */
  forEach<V>(state: string, action: (keyGroup: number, key: StateKey, namespace: number, value: V) => void): Promise<void>;
}

