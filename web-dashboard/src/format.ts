// Display helpers. Every one accepts whatever the server sent and answers "—" for anything it cannot show.

const NONE = '—';

/** Flink's Long.MIN_VALUE watermark: no watermark yet. */
const NO_WATERMARK = '-9223372036854775808';

const counts = new Intl.NumberFormat('en-US');

export function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** The array itself, or an empty one when the server sent something else. */
export function list<T>(value: readonly T[] | null | undefined): readonly T[] {
  return Array.isArray(value) ? value : [];
}

export function text(value: unknown): string {
  if (typeof value === 'string') return value === '' ? NONE : value;
  if (isNumber(value) || typeof value === 'boolean') return String(value);
  return NONE;
}

export function formatCount(value: unknown): string {
  return isNumber(value) ? counts.format(value) : NONE;
}

const BYTE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

export function formatBytes(value: unknown): string {
  if (!isNumber(value) || value < 0) return NONE;
  let unit = 0;
  let amount = value;
  while (amount >= 1024 && unit < BYTE_UNITS.length - 1) {
    amount /= 1024;
    unit++;
  }
  return unit === 0 ? `${amount} B` : `${amount.toFixed(amount < 10 ? 2 : 1)} ${BYTE_UNITS[unit]}`;
}

/** `1h 2m 3s`, `4s`, `250ms`. */
export function formatDuration(value: unknown): string {
  if (!isNumber(value) || value < 0) return NONE;
  if (value < 1000) return `${Math.round(value)}ms`;
  let seconds = Math.floor(value / 1000);
  const parts: string[] = [];
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    const amount = Math.floor(seconds / size);
    seconds %= size;
    if (amount > 0 && parts.length < 3) parts.push(`${amount}${unit}`);
  }
  return parts.join(' ');
}

/** A short span where the milliseconds matter (checkpoint durations): `250ms`, `1.23s`, then as formatDuration. */
export function formatLatency(value: unknown): string {
  if (isNumber(value) && value >= 1000 && value < 60_000) return `${(value / 1000).toFixed(2)}s`;
  return formatDuration(value);
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** Local `yyyy-MM-dd HH:mm:ss`; epoch-relative values ≤ 0 (Flink's "unset") are shown as "—". */
export function formatTime(value: unknown): string {
  if (!isNumber(value) || value <= 0) return NONE;
  const d = new Date(value);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Local `HH:mm:ss`, for recent events such as checkpoints. */
export function formatTimeOfDay(value: unknown): string {
  if (!isNumber(value) || value <= 0) return NONE;
  const d = new Date(value);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** `HH:mm:ss.SSS` local, for timeline axes. */
export function formatClock(value: number): string {
  const d = new Date(value);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** An event-time watermark: UTC with milliseconds (event time need not be wall-clock time). */
export function formatWatermark(value: number | undefined): string {
  if (value === undefined) return 'No Watermark';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return d.toISOString().replace('T', ' ').replace('Z', '');
}

/** A `…TimeMsPerSecond` metric as the dashboard's percentage: round(x / 10), at most 100. */
export function msPerSecondPercent(value: unknown): string {
  return isNumber(value) ? `${Math.min(100, Math.max(0, Math.round(value / 10)))}%` : NONE;
}

/** The lowest watermark of a vertex's subtasks, or undefined when none has one. */
export function lowWatermark(values: readonly { value?: unknown }[]): number | undefined {
  let low: number | undefined;
  for (const { value } of values) {
    if (value === NO_WATERMARK) continue;
    const n = typeof value === 'string' ? Number(value) : value;
    if (isNumber(n) && (low === undefined || n < low)) low = n;
  }
  return low;
}

/** Splits program arguments as a POSIX shell would for words, quotes and backslashes: `--a "b c" 'd'` → --a, b c, d. */
export function splitArguments(line: string): string[] {
  const args: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else current += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) current += line[++i];
      else current += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      current += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) args.push(current);
      current = '';
      inWord = false;
    } else {
      current += c;
      inWord = true;
    }
  }
  if (inWord) args.push(current);
  return args;
}
