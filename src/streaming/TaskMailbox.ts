/** One unit of work of a task: an input batch, a timer, a checkpoint call. */
export type Mail = () => void | Promise<void>;

/**
 * The queue of a task's mailbox (Flink's TaskMailbox): everything that touches the operators is put here, from any
 * callback, and the task's one mailbox loop takes it out, so the operators never see two calls at once.
 */
export class TaskMailbox {
  private readonly mails: Mail[] = [];
  private wake: (() => void) | undefined;

  put(mail: Mail): void {
    this.mails.push(mail);
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** The oldest mail, if any. */
  tryTake(): Mail | undefined {
    return this.mails.shift();
  }

  /** Resolves once a mail is there (at once if one is). */
  waitForMail(): Promise<void> {
    if (this.mails.length > 0) return Promise.resolve();
    return new Promise<void>((resolve) => (this.wake = resolve));
  }
}
