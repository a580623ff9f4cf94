import type { ConnectorContext, Sink, SinkWriter } from '../../job/connectors.js';
import type { StreamOperator } from './StreamOperator.js';

/**
 * Hands records to a sink writer, one batch per unit of work, and waits until the writer has them acknowledged
 * (at-least-once). The writer is created when the task opens, since it connects to an external system.
 */
export class SinkOperator implements StreamOperator {
  private buffer: unknown[] = [];
  private writer: SinkWriter<unknown> | undefined;

  constructor(
    readonly name: string,
    private readonly sink: Sink<unknown>,
    private readonly context: ConnectorContext,
  ) {}

  async open(): Promise<void> {
    this.writer = await this.sink.createWriter(this.context);
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

  async close(): Promise<void> {
    if (!this.writer) return;
    await this.flush();
    await this.writer.close();
  }
}
