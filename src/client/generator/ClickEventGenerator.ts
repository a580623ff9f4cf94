import { CompressionTypes, Kafka, logLevel, type Producer } from 'kafkajs';

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

/**
 * The sequence Flink's generator writes: pages in turn, each page's timestamps from epoch 0 in steps of 15 ms, so every
 * page has exactly 1000 events in every 15 s window, whatever the wall-clock rate.
 */
export function* clickEvents(): Generator<string> {
  const step = WINDOW_SIZE_MS / EVENTS_PER_WINDOW;
  for (let i = 0; ; i++) {
    const page = PAGES[i % PAGES.length]!;
    const timestamp = Math.floor(i / PAGES.length) * step;
    yield `{"timestamp":"${formatTimestamp(timestamp)}","page":"${page}"}`;
  }
}

export interface GeneratorOptions {
  bootstrapServers: string;
  topic: string;
  /** Events per second; 0 means as fast as possible; undefined means Flink's pace (a 2 ms pause per event). */
  rate: number | undefined;
  /** Stop after this many complete windows (× 6 pages × 1000 events). */
  maxWindows: number | undefined;
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
  const total = options.maxWindows === undefined ? Number.POSITIVE_INFINITY : options.maxWindows * PAGES.length * EVENTS_PER_WINDOW;
  const events = clickEvents();
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
          await new Promise((r) => setTimeout(r, 10));
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
  options.log?.(`Wrote ${written} click events to ${options.topic}.`);
  return written;
}

async function send(producer: Producer, topic: string, events: Generator<string>, count: number): Promise<void> {
  const messages = new Array<{ value: string }>(count);
  for (let i = 0; i < count; i++) messages[i] = { value: events.next().value as string };
  await producer.send({ topic, messages, acks: -1, compression: CompressionTypes.None });
}
