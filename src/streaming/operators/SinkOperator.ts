import type { ConnectorContext, RestoredSinkState, Sink, SinkWriter } from '../../job/connectors.js';
import type { OperatorSubtaskState } from '../../state/StateHandles.js';
import type { StreamOperator } from './StreamOperator.js';

/**
 * Hands records to a sink writer, one batch per unit of work, and waits until the writer has taken them. At a
 * checkpoint barrier the writer snapshots (flushes, or pre-commits a transaction); it learns when the checkpoint
 * completes. The writer is created when the task opens, since it connects to an external system.
 */
export class SinkOperator implements StreamOperator {
  private buffer: unknown[] = [];
  private writer: SinkWriter<unknown> | undefined;

  constructor(
    readonly name: string,
    private readonly sink: Sink<unknown>,
    private readonly context: ConnectorContext,
    private readonly restored: readonly RestoredSinkState[],
  ) {}

  async open(): Promise<void> {
    this.writer = await this.sink.createWriter(this.context, this.restored);
  }

  processElement(value: unknown): void {
    this.buffer.push(value);
  }

  processWatermark(): void {}

  async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    await this.writer!.write(batch);
  }

  async snapshotState(checkpointId: number): Promise<OperatorSubtaskState | undefined> {
    await this.flush();
    const state = await this.writer!.snapshotState?.(checkpointId);
    return state === undefined ? undefined : { sinkWriter: state };
  }

  async notifyCheckpointComplete(checkpointId: number): Promise<void> {
    await this.writer!.notifyCheckpointComplete?.(checkpointId);
  }

  async notifyCheckpointAborted(checkpointId: number): Promise<void> {
    await this.writer!.notifyCheckpointAborted?.(checkpointId);
  }

  async finish(): Promise<void> {
    await this.flush();
    const writer = this.writer;
    this.writer = undefined;
    await writer?.close();
  }

  /** Without a clean finish: the writer aborts (nothing uncovered by a checkpoint is committed). */
  async close(): Promise<void> {
    const writer = this.writer;
    this.writer = undefined;
    if (writer) await (writer.abort ? writer.abort() : writer.close());
  }
}
