import t from 'tap';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { extractPipeline } from '../../../src/graph/JobProgram.js';
import { StreamExecutionEnvironment } from '../../../src/job/index.js';

const YIELDING_MAIN = pathToFileURL(join(import.meta.dirname, '..', '..', 'fixtures', 'jobs', 'YieldingMain.ts')).href;

t.test('two programs compiled at once in one process each hand over their own pipeline', async (t) => {
  // The JobManager compiles submissions concurrently (two `flink run`s, a plan request during a run): each main must
  // reach the executor of its own compilation across its awaits, not the one installed last.
  const names = ['job-a', 'job-b', 'job-c'];
  const pipelines = await Promise.all(names.map((name) => extractPipeline(YIELDING_MAIN, [name])));
  t.same(
    pipelines.map((p) => p.jobName),
    names,
  );
  t.same(
    pipelines.map((p) => p.sinks[0]!.input!.transformation.name),
    names.map((name) => `Numbers of ${name}`),
  );
});

t.test('outside a compilation, execute() says that no cluster runs the program', async (t) => {
  await extractPipeline(YIELDING_MAIN, ['first']);
  const env = StreamExecutionEnvironment.getExecutionEnvironment();
  await t.rejects(env.execute('stray'), /No tsflink cluster is running this program/);
});
