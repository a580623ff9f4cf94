/**
 * Counts consecutive failed checkpoints and fails the job over once more fail than it tolerates (Flink's
 * CheckpointFailureManager with `execution.checkpointing.tolerable-failed-checkpoints`; -1 tolerates every failure).
 * Failures caused by the job failing over anyway (aborted checkpoints) do not count.
 */
export class CheckpointFailureManager {
  private consecutiveFailures = 0;

  constructor(
    private readonly tolerableFailures: number,
    private readonly failJob: (reason: string) => void,
  ) {}

  handleCheckpointSuccess(): void {
    this.consecutiveFailures = 0;
  }

  handleCheckpointFailure(reason: string): void {
    this.consecutiveFailures++;
    if (this.tolerableFailures >= 0 && this.consecutiveFailures > this.tolerableFailures) {
      this.consecutiveFailures = 0;
      this.failJob(`Exceeded checkpoint tolerable failure threshold (${this.tolerableFailures}): ${reason}`);
    }
  }
}
