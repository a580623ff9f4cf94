import { randomBytes } from 'node:crypto';
import { CompressionTypes, Kafka, logLevel, type Producer } from '../../connectors/kafka/kafkajs.js';
import { sleep } from '../../common/time/sleep.js';

/** Flink's ClickEventGenerator constants. */
export const PAGES = ['/help', '/index', '/shop', '/jobs', '/about', '/news'] as const;
export const EVENTS_PER_WINDOW = 1000;
export const WINDOW_SIZE_MS = 15_000;
/** Flink's generator sleeps 2 ms between events (15000 / 6 / 1000 with integer division). */
export const DEFAULT_DELAY_MS = 2;

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** `dd-MM-yyyy HH:mm:ss:SSS` in UTC on a 24-hour clock (Flink's `hh` is a 12-hour clock without AM/PM; tsflink fixes that). */
export function formatTimestamp(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCDate(), 2)}-${pad(d.getUTCMonth() + 1, 2)}-${d.getUTCFullYear()} ${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}:${pad(d.getUTCMilliseconds(), 3)}`;
}

const TIMESTAMP_FORMAT = /^(\d{2})-(\d{2})-(\d{4}) (\d{2}):(\d{2}):(\d{2}):(\d{3})$/;

/** Reads what {@link formatTimestamp} writes; throws on anything else. */
export function parseTimestamp(text: string): number {
  const m = TIMESTAMP_FORMAT.exec(text);
  if (!m) throw new Error(`Timestamp '${text}' does not match dd-MM-yyyy HH:mm:ss:SSS.`);
  const [day, month, year, hour, minute, second, milli] = m.slice(1).map(Number) as [number, number, number, number, number, number, number];
  return Date.UTC(year, month - 1, day, hour, minute, second, milli);
}

const STEP_MS = WINDOW_SIZE_MS / EVENTS_PER_WINDOW;

/**
 * The sequence Flink's generator writes: pages in turn, each page's timestamps from epoch 0 in steps of 15 ms, so every
 * page has exactly 1000 events in every 15 s window, whatever the wall-clock rate. Event i is page `PAGES[i % 6]` at
 * `floor(i / 6) * 15` ms; `startIndex` continues the sequence where an earlier run stopped.
 */
export function* clickEvents(startIndex = 0): Generator<string> {
  for (let i = startIndex; ; i++) {
    const page = PAGES[i % PAGES.length]!;
    const timestamp = Math.floor(i / PAGES.length) * STEP_MS;
    yield `{"timestamp":"${formatTimestamp(timestamp)}","page":"${page}"}`;
  }
}

/** The position of a click event (a record of `input`) in the generator's sequence. */
export function eventIndex(event: string): number {
  const { timestamp, page } = JSON.parse(event) as { timestamp: string; page: string };
  const pageIndex = PAGES.indexOf(page as (typeof PAGES)[number]);
  if (pageIndex < 0) throw new Error(`Unknown page in click event ${event}.`);
  return (parseTimestamp(timestamp) / STEP_MS) * PAGES.length + pageIndex;
}

/**
 * Where a generator writing to `topic` should go on: the index after the newest event in the topic (the largest index
 * among the last record of each partition; sends are in sequence order), 0 for an empty or missing topic. A generator
 * that started over at epoch 0 would only write late events that an event-time job drops.
 */
export async function nextEventIndex(bootstrapServers: string, topic: string, timeoutMs = 60_000): Promise<number> {
  const kafka = new Kafka({ clientId: 'clickevent-generator', brokers: bootstrapServers.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  let tails: Array<{ partition: number; offset: string }>;
  try {
    if (!(await admin.listTopics()).includes(topic)) return 0;
    tails = (await admin.fetchTopicOffsets(topic))
      .filter((p) => BigInt(p.high) > BigInt(p.low))
      .map((p) => ({ partition: p.partition, offset: String(BigInt(p.high) - 1n) }));
  } finally {
    await admin.disconnect();
  }
  if (tails.length === 0) return 0;

  const consumer = kafka.consumer({ groupId: `clickevent-generator-resume-${randomBytes(4).toString('hex')}` });
  await consumer.connect();
  try {
    const last = new Map<number, string>();
    let done!: () => void;
    const allRead = new Promise<void>((resolve) => (done = resolve));
    await consumer.subscribe({ topic });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        if (message.offset !== tails.find((t) => t.partition === partition)?.offset) return;
        last.set(partition, message.value!.toString());
        if (last.size === tails.length) done();
      },
    });
    for (const tail of tails) consumer.seek({ topic, ...tail });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Could not read the newest events of ${topic} within ${timeoutMs} ms.`)), timeoutMs);
    });
    await Promise.race([allRead, timeout]).finally(() => clearTimeout(timer));
    return Math.max(...[...last.values()].map(eventIndex)) + 1;
  } finally {
    await consumer.disconnect();
  }
}

export interface GeneratorOptions {
  bootstrapServers: string;
  topic: string;
  /** Events per second; 0 means as fast as possible; undefined means Flink's pace (a 2 ms pause per event). */
  rate: number | undefined;
  /** Stop after this many complete windows (× 6 pages × 1000 events), counted from event 0. */
  maxWindows: number | undefined;
  /** The index of the first event to write (0: epoch 0). */
  startIndex?: number;
  log?: (line: string) => void;
}

/**
 * Writes click events to Kafka. The producer is idempotent with one request in flight, so a retried send can neither
 * duplicate nor reorder events. Resolves with the number of events written once `maxWindows` are complete, or when
 * `signal` aborts.
 */
export async function runGenerator(options: GeneratorOptions, signal?: AbortSignal): Promise<number> {
  // kafkajs logs retried errors (e.g. a coordinator still loading) at ERROR; failures that matter surface as exceptions.
  const kafka = new Kafka({ clientId: 'clickevent-generator', brokers: options.bootstrapServers.split(','), logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: true });
  await producer.connect();
  const startIndex = options.startIndex ?? 0;
  const end = options.maxWindows === undefined ? Number.POSITIVE_INFINITY : options.maxWindows * PAGES.length * EVENTS_PER_WINDOW;
  const total = Math.max(0, end - startIndex);
  const events = clickEvents(startIndex);
  let written = 0;
  try {
    const started = Date.now();
    while (written < total && !signal?.aborted) {
      let batchSize: number;
      if (options.rate === 0) batchSize = 5000;
      else {
        const perSecond = options.rate ?? 1000 / DEFAULT_DELAY_MS;
        const due = Math.floor(((Date.now() - started) / 1000) * perSecond) - written;
        if (due <= 0) {
          await sleep(10, signal);
          continue;
        }
        batchSize = due;
      }
      batchSize = Math.min(batchSize, 5000, total - written);
      await send(producer, options.topic, events, batchSize);
      written += batchSize;
    }
  } finally {
    await producer.disconnect();
  }
  options.log?.(`Wrote ${written} click events to ${options.topic}, from event ${startIndex} on.`);
  return written;
}

async function send(producer: Producer, topic: string, events: Generator<string>, count: number): Promise<void> {
  const messages = new Array<{ value: string }>(count);
  for (let i = 0; i < count; i++) messages[i] = { value: events.next().value as string };
  await producer.send({ topic, messages, acks: -1, compression: CompressionTypes.None });
}
