import t from 'tap';
import { stackSamples } from '../../../src/streaming/StackSampler.js';

// A V8 CPU profile's node tree (Profiler.stop) as stacks. The profiling itself runs in the subtasks' threads of a real
// cluster in test/it/rest-diagnostics.test.ts.
const node = (id: number, functionName: string, hitCount: number, children: number[] = [], url = '', lineNumber = -1) => ({
  id,
  callFrame: { functionName, url, lineNumber },
  hitCount,
  children,
});

t.test('every node with hits is a stack from the outermost frame in; idle time is one (idle) stack; frames name file and line', async (t) => {
  const nodes = [
    node(1, '(root)', 0, [2, 5, 6]),
    node(2, 'processMail', 1, [3, 4], 'file:///opt/tsflink/dist/streaming/StreamTask.js', 120),
    node(3, 'processBatch', 5, [], 'file:///opt/tsflink/dist/streaming/StreamTask.js', 200),
    node(4, '', 2, [], 'file:///opt/job/ClickEventCount.js', 9),
    node(5, '(idle)', 40),
    node(6, '(garbage collector)', 3),
  ];
  t.same(stackSamples(nodes), [
    { frames: ['(idle)'], count: 40 },
    { frames: ['processMail (StreamTask.js:121)', 'processBatch (StreamTask.js:201)'], count: 5 },
    { frames: ['(garbage collector)'], count: 3 },
    { frames: ['processMail (StreamTask.js:121)', '(anonymous) (ClickEventCount.js:10)'], count: 2 },
    { frames: ['processMail (StreamTask.js:121)'], count: 1 },
  ]);
});

t.test('at most 2000 stacks, the most frequent; at most 128 frames each', async (t) => {
  const deep = [node(1, '(root)', 0, [2]), ...Array.from({ length: 200 }, (_, i) => node(i + 2, `f${i}`, i === 199 ? 1 : 0, i === 199 ? [] : [i + 3]))];
  t.equal(stackSamples(deep)[0]!.frames.length, 128);
  t.equal(stackSamples(deep)[0]!.frames[0], 'f0', 'the outermost frames are kept');
  const wide = [node(1, '(root)', 0, Array.from({ length: 2500 }, (_, i) => i + 2)), ...Array.from({ length: 2500 }, (_, i) => node(i + 2, `g${i}`, i + 1))];
  const samples = stackSamples(wide);
  t.equal(samples.length, 2000);
  t.equal(samples.at(-1)!.count, 501);
});
