import { SystemClock, type Clock } from '../../common/time/Clock.js';
import type { Collector, Key, KeyedProcessFunction, OnTimerContext, TimerService } from '../../job/functions.js';
import type {
  AggregatingState,
  AggregatingStateDescriptor,
  ListState,
  ListStateDescriptor,
  MapState,
  MapStateDescriptor,
  ReducingState,
  ReducingStateDescriptor,
  RuntimeContext,
  ValueState,
  ValueStateDescriptor,
} from '../../job/state.js';
import { assignToKeyGroup } from '../../state/KeyGroupRangeAssignment.js';
import type { KeyedStateBackend } from '../../state/KeyedStateBackend.js';
import { PersistentTimerService } from '../../state/InternalTimerService.js';
import type { OperatorContext, Output, StreamOperator } from './StreamOperator.js';

const EVENT_TIMERS = '_event-timers';
const PROCESSING_TIMERS = '_processing-timers';
/** Keyed state of a KeyedProcessFunction has no namespace. */
const VOID_NAMESPACE = 0;

/**
 * Runs a KeyedProcessFunction (Flink's KeyedProcessOperator): sets the current key for every element and timer, gives
 * the function keyed state bound to that key, and fires its event-time timers as the watermark passes them and its
 * processing-time timers as the wall clock does. State and timers live in the subtask's state backend.
 */
export class KeyedProcessOperator implements StreamOperator {
  private currentKey: Key = '';
  private currentKeyGroup = 0;
  private timestamp: number | undefined;
  private domain: 'EVENT_TIME' | 'PROCESSING_TIME' = 'EVENT_TIME';
  private readonly eventTimers: PersistentTimerService;
  private readonly processingTimers: PersistentTimerService;
  private scheduledProcessingTimer: number | undefined;
  private readonly collector: Collector<unknown>;
  private readonly ctx: OnTimerContext<Key>;

  constructor(
    readonly name: string,
    private readonly output: Output,
    private readonly context: OperatorContext,
    private readonly keySelector: (value: any) => Key,
    private readonly fn: KeyedProcessFunction<Key, unknown, unknown>,
    private readonly state: KeyedStateBackend,
    private readonly clock: Clock = SystemClock,
  ) {
    this.eventTimers = new PersistentTimerService(state, EVENT_TIMERS);
    this.processingTimers = new PersistentTimerService(state, PROCESSING_TIMERS);
    this.collector = { collect: (value) => this.output.collect(value, this.timestamp) };
    const timerService: TimerService = {
      currentProcessingTime: () => this.clock.now(),
      currentWatermark: () => this.context.currentWatermark(),
      registerEventTimeTimer: (time) => this.eventTimers.register(time, this.currentKeyGroup, this.currentKey, VOID_NAMESPACE),
      registerProcessingTimeTimer: (time) => {
        this.processingTimers.register(time, this.currentKeyGroup, this.currentKey, VOID_NAMESPACE);
        this.scheduleProcessingTimer();
      },
    };
    this.ctx = {
      timestamp: () => this.timestamp,
      getCurrentKey: () => this.currentKey,
      timerService: () => timerService,
      currentWatermark: () => this.context.currentWatermark(),
      currentProcessingTime: () => this.clock.now(),
      timeDomain: () => this.domain,
    };
  }

  async open(): Promise<void> {
    await this.eventTimers.restore();
    await this.processingTimers.restore();
    this.scheduleProcessingTimer();
    await this.fn.open?.(this.runtimeContext());
  }

  processElement(value: unknown, timestamp: number | undefined): void {
    this.setCurrentKey(this.keySelector(value));
    this.timestamp = timestamp;
    this.fn.processElement(value, this.ctx, this.collector);
  }

  processWatermark(timestamp: number): void {
    for (const timer of this.eventTimers.popDue(timestamp)) this.onTimer(timer.key, timer.keyGroup, timer.time, 'EVENT_TIME');
    this.output.emitWatermark(timestamp);
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {
    await this.fn.close?.();
  }

  private onTimer(key: Key, keyGroup: number, time: number, domain: 'EVENT_TIME' | 'PROCESSING_TIME'): void {
    this.currentKey = key;
    this.currentKeyGroup = keyGroup;
    this.timestamp = time;
    this.domain = domain;
    this.fn.onTimer?.(time, this.ctx, this.collector);
  }

  private setCurrentKey(key: Key): void {
    this.currentKey = key;
    this.currentKeyGroup = assignToKeyGroup(key, this.context.maxParallelism);
  }

  private scheduleProcessingTimer(): void {
    const next = this.processingTimers.peekTime();
    if (next === undefined || (this.scheduledProcessingTimer !== undefined && this.scheduledProcessingTimer <= next)) return;
    this.scheduledProcessingTimer = next;
    this.context.registerProcessingTimer(next, () => {
      this.scheduledProcessingTimer = undefined;
      for (const timer of this.processingTimers.popDue(this.clock.now())) this.onTimer(timer.key, timer.keyGroup, timer.time, 'PROCESSING_TIME');
      this.scheduleProcessingTimer();
    });
  }

  private runtimeContext(): RuntimeContext {
    const backend = this.state;
    const op = this;
    const read = <V>(name: string) => backend.get<V>(name, op.currentKeyGroup, op.currentKey, VOID_NAMESPACE);
    const write = <V>(name: string, value: V) => backend.put(name, op.currentKeyGroup, op.currentKey, VOID_NAMESPACE, value);
    const clear = (name: string) => backend.remove(name, op.currentKeyGroup, op.currentKey, VOID_NAMESPACE);
    const registered = new Map<string, string>();
    const register = (name: string, kind: string) => {
      const existing = registered.get(name);
      if (existing !== undefined && existing !== kind) throw new Error(`State '${name}' is already registered as ${existing} state.`);
      registered.set(name, kind);
    };
    const context = this.context;
    return {
      getIndexOfThisSubtask: () => context.subtaskIndex,
      getNumberOfParallelSubtasks: () => context.parallelism,
      getMaxNumberOfParallelSubtasks: () => context.maxParallelism,
      getAttemptNumber: () => context.attemptNumber,
      getState<T>(d: ValueStateDescriptor<T>): ValueState<T> {
        register(d.name, 'value');
        return {
          value: () => read<T>(d.name) ?? d.defaultValue,
          update: (value) => (value === undefined || value === null ? clear(d.name) : write(d.name, value)),
          clear: () => clear(d.name),
        };
      },
      getListState<T>(d: ListStateDescriptor<T>): ListState<T> {
        register(d.name, 'list');
        return {
          get: () => [...(read<T[]>(d.name) ?? [])],
          add: (value) => {
            const list = read<T[]>(d.name);
            if (list) list.push(value);
            write(d.name, list ?? [value]);
          },
          addAll: (values) => {
            if (values.length > 0) write(d.name, [...(read<T[]>(d.name) ?? []), ...values]);
          },
          update: (values) => (values.length === 0 ? clear(d.name) : write(d.name, [...values])),
          clear: () => clear(d.name),
        };
      },
      getMapState<UK, UV>(d: MapStateDescriptor<UK, UV>): MapState<UK, UV> {
        register(d.name, 'map');
        const map = () => read<Map<UK, UV>>(d.name);
        const modify = (change: (m: Map<UK, UV>) => void) => {
          const m = map() ?? new Map<UK, UV>();
          change(m);
          if (m.size === 0) clear(d.name);
          else write(d.name, m);
        };
        return {
          get: (key) => map()?.get(key),
          put: (key, value) => modify((m) => m.set(key, value)),
          putAll: (entries) => modify((m) => {
            for (const [k, v] of entries) m.set(k, v);
          }),
          remove: (key) => {
            if (map()?.has(key)) modify((m) => m.delete(key));
          },
          contains: (key) => map()?.has(key) ?? false,
          entries: () => new Map(map() ?? []).entries(),
          keys: () => new Map(map() ?? []).keys(),
          values: () => new Map(map() ?? []).values(),
          isEmpty: () => (map()?.size ?? 0) === 0,
          clear: () => clear(d.name),
        };
      },
      getReducingState<T>(d: ReducingStateDescriptor<T>): ReducingState<T> {
        register(d.name, 'reducing');
        return {
          get: () => read<T>(d.name),
          add: (value) => {
            const current = read<T>(d.name);
            write(d.name, current === undefined ? value : d.reduce(current, value));
          },
          clear: () => clear(d.name),
        };
      },
      getAggregatingState<IN, ACC, OUT>(d: AggregatingStateDescriptor<IN, ACC, OUT>): AggregatingState<IN, OUT> {
        register(d.name, 'aggregating');
        const fn = d.aggregateFunction;
        return {
          get: () => {
            const acc = read<ACC>(d.name);
            return acc === undefined ? undefined : fn.getResult(acc);
          },
          add: (value) => write(d.name, fn.add(value, read<ACC>(d.name) ?? fn.createAccumulator())),
          clear: () => clear(d.name),
        };
      },
    };
  }
}
