/**
 * Hands out checkpoint ids (Flink's CheckpointIDCounter): they only grow, also across restores, because sinks commit
 * by checkpoint id. Asynchronous, so that a counter shared by standby JobManagers (ZooKeeper) fits the same interface.
 */
export interface CheckpointIDCounter {
  /** The next id, and moves past it. */
  getAndIncrement(): Promise<number>;
  /** The id the next call of getAndIncrement returns. */
  get(): Promise<number>;
  /** Ids go on from `next` (after a restore from checkpoint `next - 1`); never moves backwards. */
  setCount(next: number): Promise<void>;
  /** The job reached a terminal state: what the counter keeps outside this process is removed. */
  shutdown(): Promise<void>;
}

/** The counter of a JobManager without high availability: in memory, starting at 1. */
export class StandaloneCheckpointIDCounter implements CheckpointIDCounter {
  private next = 1;

  async getAndIncrement(): Promise<number> {
    return this.next++;
  }

  async get(): Promise<number> {
    return this.next;
  }

  async setCount(next: number): Promise<void> {
    this.next = Math.max(this.next, next);
  }

  async shutdown(): Promise<void> {}
}
