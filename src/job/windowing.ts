import { TimeWindow } from './functions.js';

/** Assigns each element to windows (Flink's WindowAssigner); tsflink has tumbling windows. */
export interface WindowAssigner {
  readonly isEventTime: boolean;
  readonly description: string;
  assignWindows(timestamp: number): TimeWindow[];
}

class TumblingWindows implements WindowAssigner {
  constructor(
    readonly sizeMs: number,
    readonly offsetMs: number,
    readonly isEventTime: boolean,
  ) {
    if (!(sizeMs > 0)) throw new RangeError('A tumbling window needs a size > 0 ms.');
    if (!(Math.abs(offsetMs) < sizeMs)) throw new RangeError('The offset must be smaller than the window size.');
  }

  get description(): string {
    return `Tumbling${this.isEventTime ? 'EventTime' : 'ProcessingTime'}Windows(${this.sizeMs})`;
  }

  assignWindows(timestamp: number): TimeWindow[] {
    const start = timestamp - ((((timestamp - this.offsetMs) % this.sizeMs) + this.sizeMs) % this.sizeMs);
    return [new TimeWindow(start, start + this.sizeMs)];
  }
}

export const TumblingEventTimeWindows = {
  of(sizeMs: number, offsetMs = 0): WindowAssigner {
    return new TumblingWindows(sizeMs, offsetMs, true);
  },
};

export const TumblingProcessingTimeWindows = {
  of(sizeMs: number, offsetMs = 0): WindowAssigner {
    return new TumblingWindows(sizeMs, offsetMs, false);
  },
};
