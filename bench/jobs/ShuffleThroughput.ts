// The data plane alone, for `npm run bench:shuffle`: every source subtask generates records of `--record-bytes` bytes
// as fast as the job takes them, a rebalance sends them round-robin to every counter subtask (so with two
// TaskManagers half of them cross to the other one), and the counters drop them. No Kafka, no state.
import { ParameterTool, StreamExecutionEnvironment, WatermarkStrategy, type ReaderOutput, type Sink, type Source } from 'tsflink';

interface Payload {
  i: number;
  text: string;
}

function generator(recordBytes: number): Source<Payload> {
  const text = 'x'.repeat(Math.max(0, recordBytes - 16));
  return {
    connectorName: 'Generator',
    createReader: (context) => {
      let output: ReaderOutput<Payload> | undefined;
      let paused = false;
      let closed = false;
      let next = 0;
      const splitId = `generator-${context.subtaskIndex}`;
      const emit = () => {
        if (paused || closed || !output) return;
        for (let n = 0; n < 1000; n++, next++) output.collect({ i: next, text }, splitId, undefined, recordBytes, String(next + 1));
        setImmediate(emit);
      };
      return {
        start: async (out) => {
          output = out;
          out.addSplit(splitId, '0');
          setImmediate(emit);
        },
        pause: () => void (paused = true),
        resume: () => {
          if (!paused) return;
          paused = false;
          setImmediate(emit);
        },
        close: async () => void (closed = true),
      };
    },
  };
}

const discard: Sink<Payload> = {
  connectorName: 'Discard',
  createWriter: async () => ({ write: async () => undefined, close: async () => undefined }),
};

export async function main(args: string[]): Promise<void> {
  const params = ParameterTool.fromArgs(args);
  const env = StreamExecutionEnvironment.getExecutionEnvironment();
  env.disableOperatorChaining();
  env
    .fromSource(generator(params.getInt('record-bytes', 1024)), WatermarkStrategy.noWatermarks<Payload>(), 'Generator')
    .rebalance()
    .map((p: Payload) => p)
    .name('Receiver')
    .sinkTo(discard)
    .name('Discard');
  await env.execute('Shuffle throughput');
}
