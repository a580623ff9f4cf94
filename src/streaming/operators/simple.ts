import { SystemClock, type Clock } from '../../common/time/Clock.js';
import type { Collector, ProcessFunctionContext } from '../../job/functions.js';
import { AbstractStreamOperator, type OperatorContext, type Output } from './StreamOperator.js';

export class StreamMap extends AbstractStreamOperator {
  constructor(name: string, output: Output, private readonly fn: (value: any) => any) {
    super(name, output);
  }
  processElement(value: unknown, timestamp: number | undefined): void {
    this.output.collect(this.fn(value), timestamp);
  }
}

export class StreamFilter extends AbstractStreamOperator {
  constructor(name: string, output: Output, private readonly fn: (value: any) => boolean) {
    super(name, output);
  }
  processElement(value: unknown, timestamp: number | undefined): void {
    if (this.fn(value)) this.output.collect(value, timestamp);
  }
}

/** flatMap and process: the function gets a collector that stamps outputs with the input's timestamp. */
export class StreamFlatMap extends AbstractStreamOperator {
  private timestamp: number | undefined;
  private readonly collector: Collector<unknown> = { collect: (v) => this.output.collect(v, this.timestamp) };

  constructor(name: string, output: Output, private readonly fn: (value: any, out: Collector<any>) => void) {
    super(name, output);
  }
  processElement(value: unknown, timestamp: number | undefined): void {
    this.timestamp = timestamp;
    this.fn(value, this.collector);
  }
}

export class ProcessOperator extends AbstractStreamOperator {
  private timestamp: number | undefined;
  private readonly collector: Collector<unknown> = { collect: (v) => this.output.collect(v, this.timestamp) };
  private readonly context: ProcessFunctionContext;

  constructor(
    name: string,
    output: Output,
    private readonly fn: (value: any, ctx: ProcessFunctionContext, out: Collector<any>) => void,
    operatorContext: OperatorContext,
    clock: Clock = SystemClock,
  ) {
    super(name, output);
    this.context = {
      timestamp: () => this.timestamp,
      currentWatermark: () => operatorContext.currentWatermark(),
      currentProcessingTime: () => clock.now(),
    };
  }
  processElement(value: unknown, timestamp: number | undefined): void {
    this.timestamp = timestamp;
    this.fn(value, this.context, this.collector);
  }
}
