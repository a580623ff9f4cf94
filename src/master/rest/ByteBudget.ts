/**
 * A semaphore of bytes: how much request-body memory the REST endpoint may hold at once, over all requests
 * (`rest.server.max-buffered-content-length`). Acquiring never waits: what does not fit is refused.
 */
export class ByteBudget {
  private used = 0;

  constructor(readonly capacity: number) {}

  get inUse(): number {
    return this.used;
  }

  /** Takes `bytes` if they fit next to what is held; false (and nothing taken) otherwise. */
  tryAcquire(bytes: number): boolean {
    if (bytes < 0 || this.used + bytes > this.capacity) return false;
    this.used += bytes;
    return true;
  }

  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }
}
