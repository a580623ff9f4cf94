/**
 * What a fake recorded, in order, and a way to wait for a record without polling: a test awaits `waitFor(...)` and
 * is resumed by the record itself (no timers). Used by the Testing* fakes of the runtime.
 */
export class RecordedCalls<T> {
  readonly items: T[] = [];
  private waiters: Array<{ ready: () => boolean; resolve: () => void }> = [];

  get length(): number {
    return this.items.length;
  }

  get last(): T | undefined {
    return this.items[this.items.length - 1];
  }

  record(item: T): void {
    this.items.push(item);
    const ready = this.waiters.filter((w) => w.ready());
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve();
  }

  /** The first record matching `predicate`, recorded already or when it is. */
  async waitFor(predicate: (item: T) => boolean = () => true): Promise<T> {
    await this.until(() => this.items.some(predicate));
    return this.items.find(predicate)!;
  }

  /** Resolves once `count` records were made. */
  async waitForCount(count: number): Promise<T[]> {
    await this.until(() => this.items.length >= count);
    return this.items.slice(0, count);
  }

  private until(ready: () => boolean): Promise<void> {
    if (ready()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ ready, resolve }));
  }
}
