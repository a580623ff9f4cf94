// The programs of the golden plans (test/fixtures/plans/), bundled as an upload is and compiled in a program thread,
// arrive at the operator ids and plan hashes of the version that wrote the golden savepoints: the description the
// JobManager gets from the thread is the graph TaskManagers rebuild.
import t from 'tap';
import { build } from 'esbuild';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { storeJobModule } from '../../../../src/common/jobModules.js';
import { SystemClock } from '../../../../src/common/time/Clock.js';
import { SystemScheduledExecutor } from '../../../../src/common/time/ScheduledExecutor.js';
import { ProgramCompiler } from '../../../../src/master/dispatcher/ProgramCompiler.js';
import { testingLogger } from '../../../testing/runtime/TestingLogger.js';

const ROOT = join(import.meta.dirname, '..', '..', '..', '..');
const VERSION = '0.1.0-cae3dfc';

interface GoldenPlan {
  program: string;
  args: string[];
  parallelism: number;
  planHash: string;
  vertices: Array<{ id: string; name: string; parallelism: number; maxParallelism: number; operators: Array<{ operatorId: string; name: string }>; inputs: unknown[] }>;
}

/**
 * The program bundled as `flink run` bundles it, except that `tsflink` is these sources (the built package is not
 * there in unit tests): the same module instances the program thread's pipeline executor lives in.
 */
async function bundle(program: string): Promise<Buffer> {
  const result = await build({
    entryPoints: [join(ROOT, program)],
    bundle: true,
    write: false,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'silent',
    plugins: [
      {
        name: 'tsflink-sources',
        setup(b) {
          b.onResolve({ filter: /^tsflink(\/.*)?$/ }, ({ path }) => {
            const entry = path === 'tsflink' ? 'src/job/index.js' : `src/${path.slice('tsflink/'.length)}/index.js`;
            return { path: pathToFileURL(join(ROOT, entry)).href, external: true };
          });
        },
      },
    ],
  });
  return Buffer.from(result.outputFiles[0]!.contents);
}

t.test(`programs compiled in a program thread keep the operator ids and plan hashes of ${VERSION}`, async (t) => {
  const golden = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'plans', `${VERSION}.json`), 'utf8')) as GoldenPlan[];
  const dir = mkdtempSync(join(tmpdir(), 'tsflink-golden-plans-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const { log } = testingLogger();
  const programs = new ProgramCompiler({ timeoutMs: 60_000, memoryBytes: 512 * 1024 * 1024, maxConcurrent: 2, maxWaiting: 16 }, SystemClock, SystemScheduledExecutor, log);
  t.ok(golden.length >= 4);
  for (const plan of golden) {
    const moduleUrl = storeJobModule(dir, await bundle(plan.program));
    const graph = await programs.createJobGraph({ name: plan.program, moduleUrl, programArgs: plan.args, defaultParallelism: plan.parallelism });
    const label = `${plan.program} ${plan.args.join(' ')} -p ${plan.parallelism}`;
    t.equal(graph.planHash, plan.planHash, `${label}: plan hash`);
    t.same(
      graph.vertices.map((v) => ({
        id: v.id,
        name: v.name,
        parallelism: v.parallelism,
        maxParallelism: v.maxParallelism,
        operators: v.operators.map((n) => ({ operatorId: n.operatorId, name: n.name })),
        inputs: v.inputs.map((e) => ({ source: e.source.id, shipStrategy: e.shipStrategy })),
      })),
      plan.vertices.map((v) => ({ ...v, operators: v.operators.map((n) => ({ operatorId: n.operatorId, name: n.name })) })),
      `${label}: vertices, operator ids and edges`,
    );
  }
});
