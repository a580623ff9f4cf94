import type { ComponentChildren } from 'preact';
import { Card, Message, UsageBar } from '../../components/common';
import { formatBytes, formatCount, formatDuration, isNumber, list, text } from '../../format';
import type { MetricValue } from '../../types';

/** A metric collection's string values as numbers, by id (values that are not numbers are left out). */
export function metricValues(values: readonly MetricValue[] | undefined): Map<string, number> {
  const result = new Map<string, number>();
  for (const entry of list(values)) {
    if (entry === null || typeof entry !== 'object' || typeof entry.id !== 'string') continue;
    const value = Number(entry.value);
    if (entry.value !== undefined && entry.value !== '' && Number.isFinite(value)) result.set(entry.id, value);
  }
  return result;
}

interface UsageRow {
  label: string;
  used: unknown;
  max: unknown;
  format?: (value: unknown) => string;
}

/** Used-of-capacity bars (heap, managed memory, …); "—" where a figure is missing. */
export function UsageCard({ title, rows, note }: { title: string; rows: readonly UsageRow[]; note?: ComponentChildren }) {
  return (
    <Card title={title}>
      <table class="table usage-table">
        <tbody>
          {rows.map((row) => (
            <tr key={row.label}>
              <th scope="row">{row.label}</th>
              <td>
                <UsageBar used={row.used} max={row.max} format={row.format ?? formatBytes} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {note !== undefined && <Message>{note}</Message>}
    </Card>
  );
}

/** CPU load as reported (a 0…1 share), as a percentage. */
export function formatLoad(value: unknown): string {
  return isNumber(value) ? `${(value * 100).toFixed(1)}%` : '—';
}

export interface GarbageCollector {
  name?: unknown;
  count?: unknown;
  time?: unknown;
}

/** Collections and their time per garbage collector. */
export function GarbageCollectorsCard({ collectors }: { collectors: readonly GarbageCollector[] }) {
  return (
    <Card title="Garbage Collection">
      {collectors.length === 0 ? (
        <Message>No garbage collector figures.</Message>
      ) : (
        <table class="table">
          <thead>
            <tr>
              <th>Collector</th>
              <th class="num">Count</th>
              <th class="num">Time</th>
            </tr>
          </thead>
          <tbody>
            {collectors.map((gc, i) => (
              <tr key={i}>
                <td>{text(gc.name)}</td>
                <td class="num">{formatCount(gc.count)}</td>
                <td class="num">{formatDuration(gc.time)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}
