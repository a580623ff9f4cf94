import { Logger, LogSink } from '../../../src/common/Logger.js';

/** A log sink that keeps its lines (and prints them when TSFLINK_TEST_LOG=1). */
export class CollectingLogSink extends LogSink {
  readonly lines: string[] = [];

  constructor() {
    super(undefined, process.env.TSFLINK_TEST_LOG === '1', 'DEBUG');
  }

  override write(line: string): void {
    this.lines.push(line);
    super.write(line);
  }

  /** The lines containing `text`. */
  matching(text: string | RegExp): string[] {
    return this.lines.filter((line) => (typeof text === 'string' ? line.includes(text) : text.test(line)));
  }
}

/** A logger for a component under test, with the sink its lines go to. */
export function testingLogger(namespace = 'test'): { log: Logger; sink: CollectingLogSink } {
  const sink = new CollectingLogSink();
  return { log: new Logger(sink, namespace), sink };
}
