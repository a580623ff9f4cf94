import t from 'tap';
import { formatTimestamp, PAGES } from '../../../src/client/generator/ClickEventGenerator.js';
import { MAX_PROBLEMS, OutputVerifier } from '../../../src/client/verifier/OutputVerifier.js';

const W = 15_000;

/** An `output` record as ClickEventCount writes it. */
function record(page: string, window: number, count = 1000, bounds: { start?: number; end?: number } = {}): string {
  const start = bounds.start ?? window * W;
  const end = bounds.end ?? start + W;
  return `{"windowStart":"${formatTimestamp(start)}","windowEnd":"${formatTimestamp(end)}","page":${JSON.stringify(page)},"count":${count}}`;
}

function windows(verifier: OutputVerifier, from: number, to: number, pages: readonly string[] = PAGES): void {
  for (let w = from; w < to; w++) for (const page of pages) verifier.add(record(page, w));
}

t.test('complete windows of every page are ok; the report has the service shape', async (t) => {
  const verifier = new OutputVerifier(() => 42);
  t.same(verifier.report('RUNNING', 'output'), {
    status: 'RUNNING',
    topic: 'output',
    windows: { ok: 0, wrong: 0, missing: 0, duplicate: 0 },
    'latest-window-end': -1,
    updated: 42,
    problems: [],
  });
  windows(verifier, 0, 4);
  const report = verifier.report('UNAVAILABLE', 'output');
  t.same(report.windows, { ok: 24, wrong: 0, missing: 0, duplicate: 0 });
  t.equal(report['latest-window-end'], 4 * W);
  t.equal(report.status, 'UNAVAILABLE');
  t.same(report.problems, []);
});

t.test('pages run ahead of each other: windows after a page\'s newest are open, not missing', async (t) => {
  const verifier = new OutputVerifier();
  windows(verifier, 0, 5, ['/help']);
  windows(verifier, 0, 2, ['/news']);
  t.same(verifier.totals(), { ok: 7, wrong: 0, missing: 0, duplicate: 0 });
});

t.test('a gap before a page\'s newest window is missing until its record arrives (records of two partitions interleave)', async (t) => {
  const verifier = new OutputVerifier();
  windows(verifier, 0, 2);
  windows(verifier, 3, 5, ['/help']);
  t.same(verifier.totals(), { ok: 14, wrong: 0, missing: 1, duplicate: 0 });
  t.same(verifier.report('RUNNING', 'output').problems, [{ kind: 'missing', page: '/help', 'window-start': 2 * W, count: 0 }]);
  verifier.add(record('/help', 2));
  t.same(verifier.totals(), { ok: 15, wrong: 0, missing: 0, duplicate: 0 });
  t.same(verifier.report('RUNNING', 'output').problems, []);
});

t.test('a page whose first windows never came is missing them: every page starts at the topic\'s first window', async (t) => {
  const verifier = new OutputVerifier();
  windows(verifier, 0, 3, ['/help']);
  windows(verifier, 2, 3, ['/shop']);
  t.same(verifier.totals(), { ok: 4, wrong: 0, missing: 2, duplicate: 0 });
  t.same(
    verifier.report('RUNNING', 'output').problems.map((p) => [p.page, p['window-start']]),
    [['/shop', 0], ['/shop', W]],
  );
});

t.test('a count other than 1000 is wrong, and so is a window that is not 15 s', async (t) => {
  const verifier = new OutputVerifier();
  windows(verifier, 0, 1);
  verifier.add(record('/help', 1, 999));
  verifier.add(record('/index', 1, 1000, { start: W, end: W + 10_000 }));
  t.same(verifier.totals(), { ok: 6, wrong: 2, missing: 0, duplicate: 0 });
  t.same(verifier.report('RUNNING', 'output').problems, [
    { kind: 'wrong', page: '/help', 'window-start': W, count: 999 },
    { kind: 'wrong', page: '/index', 'window-start': W, count: 1000 },
  ]);
});

t.test('wrong windows do not stretch the sequence: processing-time windows after event-time ones are wrong, not missing', async (t) => {
  const verifier = new OutputVerifier();
  windows(verifier, 0, 3);
  const today = Math.floor(Date.UTC(2026, 10, 24, 19, 56) / W);
  for (const page of PAGES) verifier.add(record(page, today, 1251));
  t.same(verifier.totals(), { ok: 18, wrong: 6, missing: 0, duplicate: 0 });
  t.equal(verifier.report('RUNNING', 'output')['latest-window-end'], (today + 1) * W);
  verifier.add(record('/help', 2, 999));
  verifier.add(record('/help', 4));
  t.same(verifier.totals(), { ok: 18, wrong: 7, missing: 1, duplicate: 0 }, 'a wrong window inside the sequence is there, only wrong');
  t.same(verifier.report('RUNNING', 'output').problems.at(-1), { kind: 'missing', page: '/help', 'window-start': 3 * W, count: 0 });
});

t.test('a window written twice is a duplicate (not ok); a wrong window stays wrong when it comes again', async (t) => {
  const verifier = new OutputVerifier();
  windows(verifier, 0, 2);
  verifier.add(record('/jobs', 1));
  verifier.add(record('/jobs', 1));
  verifier.add(record('/about', 0, 7));
  verifier.add(record('/about', 0, 7));
  t.same(verifier.totals(), { ok: 10, wrong: 1, missing: 0, duplicate: 1 });
  t.same(
    verifier.report('RUNNING', 'output').problems.map((p) => p.kind),
    ['duplicate', 'duplicate', 'duplicate', 'duplicate'],
    'every extra record is a problem',
  );
  verifier.add(record('/jobs', 1, 500));
  t.same(verifier.totals(), { ok: 10, wrong: 2, missing: 0, duplicate: 0 }, 'a duplicate with a wrong count makes the window wrong');
});

t.test('problems: the last 20 of them; gaps are found between windows, not by scanning time', async (t) => {
  const verifier = new OutputVerifier();
  for (let w = 0; w < 30; w++) verifier.add(record('/help', w, w % 10 === 0 ? 1 : 1000));
  // A good window a billion windows later: that many gaps, counted, not listed one by one.
  verifier.add(record('/help', 1_000_000_000));
  const report = verifier.report('RUNNING', 'output');
  t.equal(report.windows.missing, 1_000_000_000 - 30);
  t.equal(report.problems.length, MAX_PROBLEMS);
  t.same(report.problems.at(-1), { kind: 'missing', page: '/help', 'window-start': (1_000_000_000 - 1) * W, count: 0 });
});

t.test('malformed records are refused with the reason', async (t) => {
  const verifier = new OutputVerifier();
  t.throws(() => verifier.add('not json'), /Not a JSON record: not json/);
  t.throws(() => verifier.add('{"page":"/help","count":1000}'), /Not a window count/);
  t.throws(() => verifier.add('{"windowStart":"1970-01-01","windowEnd":"x","page":"/help","count":1000}'), /does not match dd-MM-yyyy HH:mm:ss:SSS/);
  t.same(verifier.totals(), { ok: 0, wrong: 0, missing: 0, duplicate: 0 });
});
