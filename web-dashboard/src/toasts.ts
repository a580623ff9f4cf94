// Error notifications ("Server Response Message: …"). A message is shown once per page visit: the dashboard polls every
// refresh interval, and a failing call would otherwise announce the same failure on every tick.

export interface Toast {
  id: number;
  message: string;
}

const SHOWN_FOR_MS = 10_000;

type Listener = (toasts: readonly Toast[]) => void;

class ToastStore {
  private toasts: readonly Toast[] = [];
  private readonly seen = new Set<string>();
  private readonly listeners = new Set<Listener>();
  private nextId = 1;

  show(message: string): void {
    if (this.seen.has(message)) return;
    this.seen.add(message);
    const toast = { id: this.nextId++, message };
    this.update([...this.toasts, toast].slice(-5));
    setTimeout(() => this.dismiss(toast.id), SHOWN_FOR_MS);
  }

  dismiss(id: number): void {
    this.update(this.toasts.filter((t) => t.id !== id));
  }

  /** After a navigation every failure may be announced again. */
  forgetShown(): void {
    this.seen.clear();
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    listener(this.toasts);
    return () => this.listeners.delete(listener);
  }

  private update(toasts: readonly Toast[]): void {
    this.toasts = toasts;
    for (const listener of this.listeners) listener(toasts);
  }
}

export const toasts = new ToastStore();
