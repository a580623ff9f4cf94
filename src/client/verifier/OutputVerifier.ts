import { EVENTS_PER_WINDOW, WINDOW_SIZE_MS, parseTimestamp } from '../generator/ClickEventGenerator.js';

export type ProblemKind = 'wrong' | 'missing' | 'duplicate';

export interface WindowProblem {
  kind: ProblemKind;
  page: string;
  'window-start': number;
  /** The count of the record (wrong, duplicate); 0 for a missing window. */
  count: number;
}

export interface WindowTotals {
  ok: number;
  wrong: number;
  missing: number;
  duplicate: number;
}

/** What the verifier serves over HTTP (and the JobManager at GET /playground/verifier). */
export interface VerifierReport {
  status: 'RUNNING' | 'UNAVAILABLE';
  topic: string;
  windows: WindowTotals;
  'latest-window-end': number;
  updated: number;
  problems: WindowProblem[];
}

export const MAX_PROBLEMS = 20;

type Bucket = 'ok' | 'wrong' | 'duplicate';

interface WindowRecords {
  records: number;
  /** Some record of the window has a count other than 1000 (or is not a 15 s window). */
  wrong: boolean;
}

interface PageWindows {
  /** Window starts seen, ascending. */
  starts: number[];
  windows: Map<number, WindowRecords>;
}

function bucketOf(window: WindowRecords): Bucket {
  return window.wrong ? 'wrong' : window.records > 1 ? 'duplicate' : 'ok';
}

/**
 * Checks the playground's `output` as read (read_committed, from the beginning): every (page, window) must appear
 * exactly once with count 1000, and per page the 15 s windows must follow each other without a gap. Every window seen
 * is in exactly one bucket: wrong (some record's count is not 1000), else duplicate (more than one record), else ok.
 *
 * Missing windows are the gaps in the generator's event-time sequence, per page from the first good window of the topic
 * up to the page's newest good one. Windows after a page's newest are not missing: they may still be open, or their
 * records not read yet (a page's windows spread over both partitions). Wrong windows do not stretch the range: the
 * processing-time windows of a job run without --event-time are wrong, not the end of decades of missing ones.
 *
 * With the exactly-once sink, a window written again after a restore stays invisible to a read_committed reader (its
 * transaction is aborted): a duplicate is a bug, not a restore.
 */
export class OutputVerifier {
  private readonly pages = new Map<string, PageWindows>();
  private readonly recorded: WindowProblem[] = [];
  private readonly buckets: Record<Bucket, number> = { ok: 0, wrong: 0, duplicate: 0 };
  /** The first good window of the topic: where every page's sequence starts. */
  private firstGood = Number.POSITIVE_INFINITY;
  private latestWindowEnd = -1;
  private lastChange: number;

  constructor(private readonly now: () => number = Date.now) {
    this.lastChange = now();
  }

  /** One record value of `output`: `{"windowStart":"…","windowEnd":"…","page":"/help","count":1000}`. Throws if malformed. */
  add(value: string): void {
    const record = parseRecord(value);
    this.lastChange = this.now();
    this.latestWindowEnd = Math.max(this.latestWindowEnd, record.windowEnd);
    let page = this.pages.get(record.page);
    if (!page) this.pages.set(record.page, (page = { starts: [], windows: new Map() }));
    const wrong = record.count !== EVENTS_PER_WINDOW || record.windowEnd - record.windowStart !== WINDOW_SIZE_MS || record.windowStart % WINDOW_SIZE_MS !== 0;
    if (!wrong) this.firstGood = Math.min(this.firstGood, record.windowStart);
    let window = page.windows.get(record.windowStart);
    const seen = window !== undefined;
    if (window) {
      this.buckets[bucketOf(window)]--;
      window.records++;
      window.wrong ||= wrong;
    } else {
      page.windows.set(record.windowStart, (window = { records: 1, wrong }));
      insertSorted(page.starts, record.windowStart);
    }
    this.buckets[bucketOf(window)]++;
    if (seen || wrong) this.record({ kind: seen ? 'duplicate' : 'wrong', page: record.page, 'window-start': record.windowStart, count: record.count });
  }

  totals(): WindowTotals {
    let missing = 0;
    for (const page of this.pages.values()) {
      const range = this.sequence(page);
      if (range) missing += (range.last - this.firstGood) / WINDOW_SIZE_MS + 1 - (range.to - range.from);
    }
    return { ok: this.buckets.ok, wrong: this.buckets.wrong, missing, duplicate: this.buckets.duplicate };
  }

  report(status: VerifierReport['status'], topic: string): VerifierReport {
    return {
      status,
      topic,
      windows: this.totals(),
      'latest-window-end': this.latestWindowEnd,
      updated: this.lastChange,
      problems: [...this.recorded, ...this.missingWindows()].slice(-MAX_PROBLEMS),
    };
  }

  /**
   * The part of a page's windows that must have no gap: from the first good window of the topic to the page's newest
   * good window (`last`), as the index range [from, to) of `starts`. Undefined while the page has no good window.
   */
  private sequence({ starts, windows }: PageWindows): { from: number; to: number; last: number } | undefined {
    let to = starts.length;
    while (to > 0 && windows.get(starts[to - 1]!)!.wrong) to--;
    if (to === 0 || starts[to - 1]! < this.firstGood) return undefined;
    let from = 0;
    while (starts[from]! < this.firstGood) from++;
    return { from, to, last: starts[to - 1]! };
  }

  private record(problem: WindowProblem): void {
    this.recorded.push(problem);
    if (this.recorded.length > MAX_PROBLEMS) this.recorded.shift();
  }

  /** The newest gaps (at most MAX_PROBLEMS), oldest first; found between the windows seen, not by scanning time. */
  private missingWindows(): WindowProblem[] {
    const gaps: WindowProblem[] = [];
    for (const [page, windows] of this.pages) {
      const range = this.sequence(windows);
      if (!range) continue;
      const { starts } = windows;
      let found = 0;
      for (let i = range.to - 1; i >= range.from && found < MAX_PROBLEMS; i--) {
        const previous = i > range.from ? starts[i - 1]! : this.firstGood - WINDOW_SIZE_MS;
        for (let start = starts[i]! - WINDOW_SIZE_MS; start > previous && found < MAX_PROBLEMS; start -= WINDOW_SIZE_MS, found++) {
          gaps.push({ kind: 'missing', page, 'window-start': start, count: 0 });
        }
      }
    }
    return gaps.sort((a, b) => a['window-start'] - b['window-start'] || a.page.localeCompare(b.page)).slice(-MAX_PROBLEMS);
  }
}

function parseRecord(value: string): { windowStart: number; windowEnd: number; page: string; count: number } {
  let json: { windowStart?: unknown; windowEnd?: unknown; page?: unknown; count?: unknown };
  try {
    json = JSON.parse(value) as typeof json;
  } catch {
    throw new Error(`Not a JSON record: ${value}`);
  }
  if (typeof json.windowStart !== 'string' || typeof json.windowEnd !== 'string' || typeof json.page !== 'string' || typeof json.count !== 'number') {
    throw new Error(`Not a window count (windowStart, windowEnd, page, count): ${value}`);
  }
  return { windowStart: parseTimestamp(json.windowStart), windowEnd: parseTimestamp(json.windowEnd), page: json.page, count: json.count };
}

function insertSorted(values: number[], value: number): void {
  let i = values.length;
  while (i > 0 && values[i - 1]! > value) i--;
  values.splice(i, 0, value);
}
