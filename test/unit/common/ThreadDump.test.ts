import t from 'tap';
import { threadDump } from '../../../src/common/process/ThreadDump.js';

t.test('the main thread first with its stack, then the workers by thread id with what they do and how busy they were', async (t) => {
  const dump = threadDump(
    [
      { threadId: 9, name: 'Task thread 9', state: 'WAITING', details: ['idle: kept for the next subtask'], utilization: 0 },
      { threadId: 4, name: 'ClickEvent Source (1/2)#0', state: 'RUNNABLE', details: ['subtask abc RUNNING'], utilization: 0.426 },
    ],
    1,
  );
  t.same(dump.threadInfos.map((i) => i.threadName), ['main', 'ClickEvent Source (1/2)#0', 'Task thread 9']);
  t.match(dump.threadInfos[0]!.stringifiedThreadInfo, /^"main" Id=0 RUNNABLE\n\tat [^\n]+\n\t\.\.\.\n\t- event loop: \d+ active resources/, 'one frame, as asked');
  t.equal(
    dump.threadInfos[1]!.stringifiedThreadInfo,
    '"ClickEvent Source (1/2)#0" Id=4 RUNNABLE\n\t- subtask abc RUNNING\n\t- event loop utilization since the thread started: 43 %\n\n',
  );
});

t.test('a depth asked for over RPC is bounded', async (t) => {
  t.notMatch(threadDump([], -5).threadInfos[0]!.stringifiedThreadInfo, /\tat /, 'a negative depth shows no frame');
  t.match(threadDump([], 2 ** 31 - 1).threadInfos[0]!.stringifiedThreadInfo, /^"main" Id=0 RUNNABLE\n\tat /);
});
