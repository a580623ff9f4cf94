import { IllegalConfigurationError } from '../errors.js';

const DURATION_UNITS: ReadonlyArray<[readonly string[], number]> = [
  [['d', 'day', 'days'], 86_400_000],
  [['h', 'hour', 'hours'], 3_600_000],
  [['min', 'm', 'minute', 'minutes'], 60_000],
  [['s', 'sec', 'secs', 'second', 'seconds'], 1000],
  [['ms', 'milli', 'millis', 'millisecond', 'milliseconds'], 1],
];

/**
 * Parses a duration as Flink's TimeUtils.parseDuration does: a number followed by an optional unit (`1000`, `500 ms`,
 * `5 s`, `1min`, `2 h`); a bare number is milliseconds. Returns milliseconds.
 */
export function parseDuration(text: string): number {
  const match = /^\s*(\d+)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (!match) throw new IllegalConfigurationError(`Could not parse duration '${text}': expected a number with an optional unit, e.g. "5 s".`);
  const amount = Number(match[1]);
  const unit = match[2]!.toLowerCase();
  if (unit === '') return amount;
  for (const [names, factor] of DURATION_UNITS) {
    if (names.includes(unit)) return amount * factor;
  }
  throw new IllegalConfigurationError(`Time interval unit label '${match[2]}' does not match any of the recognized units: d, h, min, s, ms.`);
}

/** Formats milliseconds the way Flink prints a Duration option back (largest exact unit). */
export function formatDuration(ms: number): string {
  for (const [names, factor] of DURATION_UNITS) {
    if (ms !== 0 && ms % factor === 0) return `${ms / factor} ${names[0]}`;
  }
  return `${ms} ms`;
}
