import { useEffect, useState } from 'preact/hooks';

type Listener = (tick: number) => void;

/**
 * The one refresh timer every page polls on (Flink's StatusService.refresh$): it ticks every `refresh-interval` ms from
 * GET ./config, ticks at once after a navigation (and restarts its period), and stops while the tab is hidden.
 */
class RefreshTimer {
  count = 0;
  private intervalMs = 3000;
  private started = false;
  private handle: ReturnType<typeof setTimeout> | undefined;
  private readonly listeners = new Set<Listener>();

  start(intervalMs: number): void {
    this.intervalMs = intervalMs > 0 ? intervalMs : 3000;
    if (this.started) return;
    this.started = true;
    document.addEventListener('visibilitychange', () => {
      if (document.hidden) this.cancel();
      else this.tick();
    });
    this.schedule();
  }

  tick(): void {
    this.count++;
    for (const listener of this.listeners) listener(this.count);
    this.schedule();
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    listener(this.count);
    return () => this.listeners.delete(listener);
  }

  private schedule(): void {
    this.cancel();
    if (this.started && !document.hidden) this.handle = setTimeout(() => this.tick(), this.intervalMs);
  }

  private cancel(): void {
    if (this.handle !== undefined) clearTimeout(this.handle);
    this.handle = undefined;
  }
}

export const refresh = new RefreshTimer();

/** The refresh timer's current tick; the component re-renders on every tick. */
export function useTick(): number {
  const [tick, setTick] = useState(refresh.count);
  useEffect(() => refresh.subscribe(setTick), []);
  return tick;
}
