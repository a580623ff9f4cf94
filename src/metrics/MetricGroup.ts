import type { Counter, GaugeValue, MetricGroup } from '../job/metrics.js';
import { Gauge, MeterView, metricValue, SimpleCounter, type Countable, type Metric } from './Metrics.js';

/**
 * One reported value (Flink's MetricDump): the operator it belongs to ('' for the task or process itself), the
 * groups below it (dot-separated; a key-value group is `key=value`), its name and its value. Plain data, so it crosses
 * worker threads and gRPC as it is.
 */
export type MetricEntry = [operator: string, groups: string, name: string, value: GaugeValue];

/** Flink's MetricQueryService filter: a space, '.', ':' or ',' in a scope component or name becomes '_'. */
export function sanitizeMetricName(name: string): string {
  return name.replace(/[ .:,=]/g, '_');
}

/**
 * A group of metrics and sub-groups (Flink's AbstractMetricGroup). The root of a component (a task, an operator, a
 * process) owns the views: `updateViews()` samples every rate below it.
 */
export class ComponentMetricGroup implements MetricGroup {
  private readonly metrics = new Map<string, Metric>();
  private readonly children = new Map<string, ComponentMetricGroup>();
  private readonly views: MeterView[];

  constructor(
    private readonly segment = '',
    root?: ComponentMetricGroup,
  ) {
    this.views = root ? root.views : [];
  }

  counter(name: string): Counter {
    const existing = this.metrics.get(name);
    if (existing instanceof SimpleCounter) return existing;
    const counter = new SimpleCounter();
    this.metrics.set(name, counter);
    return counter;
  }

  /** A rate over `counter`: events per second (Flink's `meter(name, new MeterView(counter))`). */
  meter(name: string, counter: Countable): MeterView {
    const view = new MeterView(counter);
    this.metrics.set(name, view);
    this.views.push(view);
    return view;
  }

  gauge(name: string, read: () => GaugeValue): void {
    this.metrics.set(name, new Gauge(read));
  }

  addGroup(name: string, value?: string): ComponentMetricGroup {
    const segment = value === undefined ? sanitizeMetricName(name) : `${sanitizeMetricName(name)}=${sanitizeMetricName(value)}`;
    let child = this.children.get(segment);
    if (!child) {
      child = new ComponentMetricGroup(segment, this);
      this.children.set(segment, child);
    }
    return child;
  }

  updateViews(now = Date.now()): void {
    for (const view of this.views) view.update(now);
  }

  /** Appends every metric of this group and its sub-groups to `out`. A gauge that throws is left out. */
  dump(operator: string, out: MetricEntry[], groups = ''): MetricEntry[] {
    for (const [name, metric] of this.metrics) {
      let value: GaugeValue;
      try {
        value = metricValue(metric);
      } catch {
        continue;
      }
      out.push([operator, groups, sanitizeMetricName(name), value]);
    }
    for (const child of this.children.values()) child.dump(operator, out, groups ? `${groups}.${child.segment}` : child.segment);
    return out;
  }
}

/** The REST id of an entry within its component: `[operator.][groups.]name`, key-value groups as `key.value`. */
export function metricId(entry: MetricEntry): string {
  const [operator, groups, name] = entry;
  const parts = [operator, groups.replace(/=/g, '.'), name].filter((p) => p !== '');
  return parts.join('.');
}

/** A value as REST metric collections report it: always a string (NaN and infinities as Java prints them). */
export function metricValueString(value: GaugeValue): string {
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (value === Number.POSITIVE_INFINITY) return 'Infinity';
    if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
  }
  return String(value);
}
