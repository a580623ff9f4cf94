// ClickEventCount's deserialization schema: a record is a click event exactly when it has the playground's shape;
// anything else throws (and so goes to the source's error path), never a count under a wrong page or window.
// The example imports 'tsflink', which resolves to dist/ (built by `npm install`'s prepare step).
import { isUtf8 } from 'node:buffer';
import t from 'tap';
import { deserializeClickEvent, parseTimestamp } from '../../../examples/streaming/ClickEventCount.js';

const value = (text: string) => Buffer.from(text, 'utf8');

t.test('the playground shape reads; extra fields are ignored', async (t) => {
  t.same(deserializeClickEvent(value('{"timestamp":"01-01-1970 00:00:15:000","page":"/help"}')), { timestamp: 15_000, page: '/help' });
  t.same(deserializeClickEvent(value('{"page":"","timestamp":"29-02-2024 23:59:59:999","x":1}')), { timestamp: Date.UTC(2024, 1, 29, 23, 59, 59, 999), page: '' });
  const page = 'p'.repeat(1024 * 1024);
  t.equal(deserializeClickEvent(value(JSON.stringify({ timestamp: '01-01-1970 00:00:00:000', page }))).page, page, 'a 1 MiB page');
  t.equal(deserializeClickEvent(value('{"timestamp":"01-01-1970 00:00:00:000","page":"Grüße"}')).page, 'Grüße');
});

t.test('everything else throws', async (t) => {
  const bad: Array<[string, Buffer, RegExp]> = [
    ['malformed JSON', value('{"timestamp":'), /JSON/],
    ['empty', value(''), /JSON/],
    ['not an object', value('[1]'), /not a JSON object/],
    ['JSON null', value('null'), /not a JSON object/],
    ['a string', value('"page"'), /not a JSON object/],
    ['no page', value('{"timestamp":"01-01-1970 00:00:00:000"}'), /"page" string/],
    ['a number as page', value('{"timestamp":"01-01-1970 00:00:00:000","page":7}'), /"page" string/],
    ['no timestamp', value('{"page":"/a"}'), /"timestamp" string/],
    ['epoch millis as timestamp', value('{"page":"/a","timestamp":0}'), /"timestamp" string/],
    ['a timestamp of another format', value('{"page":"/a","timestamp":"1970-01-01T00:00:00Z"}'), /does not match/],
    ['31 February', value('{"page":"/a","timestamp":"31-02-2024 00:00:00:000"}'), /out of range/],
    ['29 February of a common year', value('{"page":"/a","timestamp":"29-02-2023 00:00:00:000"}'), /out of range/],
    ['hour 24', value('{"page":"/a","timestamp":"01-01-2024 24:00:00:000"}'), /out of range/],
    ['invalid UTF-8', Buffer.concat([value('{"timestamp":"01-01-1970 00:00:00:000","page":"'), Buffer.from([0xc3, 0x28]), value('"}')]), /not valid UTF-8/],
  ];
  for (const [name, record, error] of bad) t.throws(() => deserializeClickEvent(record), error, name);
  t.equal(parseTimestamp('30-04-2024 00:00:00:000'), Date.UTC(2024, 3, 30));
  t.throws(() => parseTimestamp('31-04-2024 00:00:00:000'), /out of range/);
});

t.test('parseTimestamp agrees with Date.UTC on every day of leap and common years, and rejects what Date.UTC would roll over', async (t) => {
  const p2 = (n: number) => String(n).padStart(2, '0');
  for (const year of [1900, 1970, 2000, 2023, 2024]) {
    for (let month = 1; month <= 12; month++) {
      const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
      for (let day = 1; day <= 31; day++) {
        const text = `${p2(day)}-${p2(month)}-${year} 23:59:58:007`;
        if (day <= days) t.equal(parseTimestamp(text), Date.UTC(year, month - 1, day, 23, 59, 58, 7), text);
        else t.throws(() => parseTimestamp(text), /out of range/, text);
      }
    }
  }
  for (const text of ['01-01-1970 00:00:00:00a', '01/01/1970 00:00:00:000', '01-01-1970T00:00:00:000', '01-01-1970 00:00:00.000', '0a-01-1970 00:00:00:000', '01-01-1970 00:00:00:0000']) {
    t.throws(() => parseTimestamp(text), /does not match/, text);
  }
  t.throws(() => parseTimestamp('00-01-1970 00:00:00:000'), /out of range/);
  t.throws(() => parseTimestamp('01-13-1970 00:00:00:000'), /out of range/);
  t.throws(() => parseTimestamp('01-01-1970 00:60:00:000'), /out of range/);
});

t.test('records of the generator’s shape, and every one-byte change of them, read as JSON.parse reads them', async (t) => {
  /** The schema's rules on JSON.parse alone: what deserializeClickEvent must do on every input. */
  const reference = (record: Buffer): { timestamp: number; page: string } => {
    if (!isUtf8(record)) throw new Error('Click event is not valid UTF-8.');
    const json = JSON.parse(record.toString('utf8')) as { timestamp?: unknown; page?: unknown } | null;
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error('Click event is not a JSON object.');
    if (typeof json.page !== 'string') throw new Error('Click event without a "page" string.');
    if (typeof json.timestamp !== 'string') throw new Error('Click event without a "timestamp" string.');
    return { timestamp: parseTimestamp(json.timestamp), page: json.page };
  };
  const outcome = (read: () => unknown) => {
    try {
      return { value: read() };
    } catch (error) {
      return { error: (error as Error).message };
    }
  };
  const records = ['{"timestamp":"31-12-2024 23:59:59:999","page":"/help"}', '{"timestamp":"01-01-1970 00:00:00:015","page":""}'];
  const replacements = [0x00, 0x1f, 0x20, 0x22, 0x2f, 0x30, 0x39, 0x3a, 0x5c, 0x7b, 0x7d, 0x7e, 0x7f, 0x80, 0xc3, 0xff];
  let checked = 0;
  for (const text of records) {
    const record = value(text);
    t.same(deserializeClickEvent(record), reference(record), text);
    for (let at = 0; at < record.length; at++) {
      for (const byte of replacements) {
        const changed = Buffer.from(record);
        changed[at] = byte;
        t.strictSame(outcome(() => deserializeClickEvent(changed)), outcome(() => reference(changed)), `${text} with byte ${at} = ${byte}`);
        checked++;
      }
      const shorter = Buffer.concat([record.subarray(0, at), record.subarray(at + 1)]);
      t.strictSame(outcome(() => deserializeClickEvent(shorter)), outcome(() => reference(shorter)), `${text} without byte ${at}`);
    }
  }
  t.ok(checked > 1500);
});
