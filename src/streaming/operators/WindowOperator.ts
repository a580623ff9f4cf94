import { SystemClock, type Clock } from '../../common/time/Clock.js';
import { TimeWindow, type AggregateFunction, type Collector, type Key, type ProcessWindowFunctionContext } from '../../job/functions.js';
import type { WindowAssigner } from '../../job/windowing.js';
import { assignToKeyGroup } from '../../state/KeyGroupRangeAssignment.js';
import { PersistentTimerService } from '../../state/InternalTimerService.js';
import type { KeyedStateBackend } from '../../state/KeyedStateBackend.js';
import type { OperatorContext, Output, StreamOperator } from './StreamOperator.js';

const WINDOW_STATE = '_window-contents';
const TIMERS = '_window-timers';

/**
 * Keyed windows with incremental aggregation (Flink's WindowOperator): one accumulator per key and window in keyed
 * state, one timer per key and window at its last timestamp, kept in keyed state as well so both are checkpointed. Event-time windows fire when the watermark passes them;
 * processing-time windows when the wall clock does. An element for an event-time window the watermark already passed
 * is late: it is dropped and counted (no allowed lateness).
 */
export class WindowOperator implements StreamOperator {
  private readonly timers: PersistentTimerService;
  private scheduledProcessingTimer: number | undefined;
  private currentKey: Key | undefined;
  private currentWindow = new TimeWindow(0, 0);
  private readonly collector: Collector<unknown>;
  private readonly windowContext: ProcessWindowFunctionContext;

  constructor(
    readonly name: string,
    private readonly output: Output,
    private readonly context: OperatorContext,
    private readonly keySelector: (value: any) => Key,
    private readonly assigner: WindowAssigner,
    private readonly aggregate: AggregateFunction<any, any, any>,
    private readonly windowFunction: ((key: any, ctx: ProcessWindowFunctionContext, elements: Iterable<any>, out: Collector<any>) => void) | undefined,
    private readonly state: KeyedStateBackend,
    /** Processing time: when a processing-time window's element arrives and what is due when its timer fires. */
    private readonly clock: Clock = SystemClock,
  ) {
    this.timers = new PersistentTimerService(state, TIMERS);
    this.collector = { collect: (value) => this.output.collect(value, this.currentWindow.maxTimestamp()) };
    const operator = this;
    this.windowContext = {
      get window() {
        return operator.currentWindow;
      },
      currentWatermark: () => this.context.currentWatermark(),
      currentProcessingTime: () => this.clock.now(),
    };
  }

  /** Timers come back with restored state: they live in the state backend too. */
  async open(): Promise<void> {
    await this.timers.restore();
    if (!this.assigner.isEventTime) this.scheduleProcessingTimer();
  }

  processElement(value: unknown, timestamp: number | undefined): void {
    const key = this.keySelector(value);
    const eventTime = this.assigner.isEventTime;
    let time: number;
    if (eventTime) {
      if (timestamp === undefined) {
        throw new Error(
          `Record has no timestamp for event-time window operator '${this.name}'. Is the time characteristic set to 'ProcessingTime', or did you forget to call 'WatermarkStrategy.withTimestampAssigner(...)'?`,
        );
      }
      time = timestamp;
    } else {
      time = this.clock.now();
    }
    const keyGroup = assignToKeyGroup(key, this.context.maxParallelism);
    for (const window of this.assigner.assignWindows(time)) {
      const fireAt = window.maxTimestamp();
      if (eventTime && fireAt <= this.context.currentWatermark()) {
        this.context.countLateRecord();
        continue;
      }
      let accumulator = this.state.get<unknown>(WINDOW_STATE, keyGroup, key, window.start);
      if (accumulator === undefined) {
        accumulator = this.aggregate.createAccumulator();
        this.timers.register(fireAt, keyGroup, key, window.start);
        if (!eventTime) this.scheduleProcessingTimer();
      }
      this.state.put(WINDOW_STATE, keyGroup, key, window.start, this.aggregate.add(value, accumulator));
    }
  }

  processWatermark(timestamp: number): void {
    if (this.assigner.isEventTime) this.fire(timestamp);
    this.output.emitWatermark(timestamp);
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {}

  private fire(upTo: number): void {
    for (const timer of this.timers.popDue(upTo)) {
      const accumulator = this.state.get<unknown>(WINDOW_STATE, timer.keyGroup, timer.key, timer.namespace);
      if (accumulator === undefined) continue;
      this.state.remove(WINDOW_STATE, timer.keyGroup, timer.key, timer.namespace);
      this.currentKey = timer.key;
      this.currentWindow = new TimeWindow(timer.namespace, timer.time + 1);
      const result = this.aggregate.getResult(accumulator);
      if (this.windowFunction) this.windowFunction(this.currentKey, this.windowContext, [result], this.collector);
      else this.collector.collect(result);
    }
  }

  private scheduleProcessingTimer(): void {
    const next = this.timers.peekTime();
    if (next === undefined || (this.scheduledProcessingTimer !== undefined && this.scheduledProcessingTimer <= next)) return;
    this.scheduledProcessingTimer = next;
    this.context.registerProcessingTimer(next + 1, () => {
      this.scheduledProcessingTimer = undefined;
      this.fire(this.clock.now() - 1);
      this.scheduleProcessingTimer();
    });
  }
}
