// scripts/check-layering.mjs over the fixture trees in test/fixtures/layering/: each rule fires at the right file and
// line with its id, and only there; the clean tree passes.
import t from 'tap';
import { fileURLToPath } from 'node:url';

interface Violation {
  file: string;
  line: number;
  rule: string;
  message: string;
}

interface LayeringScript {
  checkLayering(root: string): { modules: number; violations: Violation[] };
  formatViolation(violation: Violation): string;
  IMPORT_RULES: Record<string, { title: string }>;
  CYCLE_RULE: Record<string, { title: string }>;
}

// The script is plain JavaScript without declarations: load it by URL and give it the type above.
const scriptUrl = new URL('../../../scripts/check-layering.mjs', import.meta.url).href;
const { checkLayering, formatViolation, IMPORT_RULES, CYCLE_RULE } = (await import(scriptUrl)) as LayeringScript;

const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/layering/${name}`, import.meta.url));
const repositoryRoot = fileURLToPath(new URL('../../..', import.meta.url));

/** `file:line rule` for each violation, the shape the assertions below compare. */
const where = (violations: Violation[]) => violations.map((v) => `${v.file}:${v.line} ${v.rule}`);

t.test('the rule table holds R1 to R6, each with a title', async (t) => {
  t.same(Object.keys({ ...IMPORT_RULES, ...CYCLE_RULE }), ['R1', 'R2', 'R3', 'R4', 'R5', 'R6']);
  for (const { title } of Object.values({ ...IMPORT_RULES, ...CYCLE_RULE })) t.match(title, /\w/);
});

t.test('the clean tree passes: allowed edges of every rule, a cycle that is type-only on one side', async (t) => {
  const { modules, violations } = checkLayering(fixture('clean'));
  t.same(violations, []);
  t.equal(modules, 20);
});

t.test('R1: the DataStream API imports neither runtime modules (even type-only) nor packages', async (t) => {
  const { violations } = checkLayering(fixture('r1'));
  t.same(where(violations), ['src/job/DataStream.ts:4 R1', 'src/job/windowing.ts:1 R1', 'src/job/windowing.ts:2 R1']);
  t.match(violations[0]!.message, /src\/master\/JobMaster\.ts/);
  t.match(violations[2]!.message, /the package yaml/);
});

t.test('R2: generated code only from rpc/ directories (src/rpc/, src/**/rpc/; not rpc-utils/)', async (t) => {
  const { violations } = checkLayering(fixture('r2'));
  t.same(where(violations), [
    'src/common/rpc-utils/codec.ts:1 R2',
    'src/master/jobmaster/JobMaster.ts:1 R2',
    'src/master/rest/logHandlers.ts:1 R2',
  ]);
  t.match(violations[1]!.message, /src\/generated\/tsflink\/v1\/jobmaster\.ts/);
});

t.test('R3: type-only gateway imports pass, value imports of a gateway and any import of other code fail', async (t) => {
  const { violations } = checkLayering(fixture('r3'));
  // Passing: JobMaster.ts (`import type`), ResourceManager.ts (`import { type … }`), rpc/JobMasterConnection.ts
  // (`export type … from`).
  t.same(where(violations), [
    'src/master/jobmaster/TaskExecutorClients.ts:1 R3',
    'src/taskmanager/TaskExecutor.ts:1 R3',
    'src/taskmanager/TaskManagerRunner.ts:1 R3',
  ]);
  t.match(violations[0]!.message, /TaskExecutorGateway\.ts as a value/);
  t.match(violations[1]!.message, /master code src\/master\/jobmaster\/JobMaster\.ts \(even type-only\)/);
  t.match(violations[2]!.message, /JobMasterGateway\.ts as a value/, 'one value binding next to a type one is a value import');
});

t.test('R4: task-thread code reaches no master/, rpc/, grpc, and of taskmanager/ only the thread protocol', async (t) => {
  const { violations } = checkLayering(fixture('r4'));
  t.same(where(violations), [
    'src/connectors/kafka/KafkaSource.ts:1 R4',
    'src/state/KeyedStateBackend.ts:1 R4',
    'src/streaming/StreamTask.ts:2 R4',
    'src/streaming/operators/WindowOperator.ts:1 R4',
  ]);
  t.match(violations[1]!.message, /@grpc\/grpc-js/);
  t.match(violations[2]!.message, /src\/taskmanager\/task\/Task\.ts/);
});

t.test('R5: kafkajs only in its home module (the Kafka connector and the client tools import it from there), classic-level only in state/', async (t) => {
  const { violations } = checkLayering(fixture('r5'));
  t.same(where(violations), [
    'src/connectors/files/FileSink.ts:1 R5',
    'src/connectors/kafka/KafkaSource.ts:1 R5',
    'src/master/dispatcher/Dispatcher.ts:1 R5',
    'src/streaming/StateCache.ts:1 R5',
  ]);
  t.match(violations[1]!.message, /^kafkajs is imported only in src\/connectors\/kafka\/kafkajs\.ts$/);
  t.match(violations[3]!.message, /^classic-level is imported only under src\/state\/\*\*$/);
});

t.test('R6: runtime cycles are reported once each as the chain of files, type-only ones not at all', async (t) => {
  const { violations } = checkLayering(fixture('r6'));
  t.same(
    violations.map((v) => `${v.file}:${v.line} ${v.rule} ${v.message}`),
    [
      'src/common/a.ts:1 R6 import cycle: src/common/a.ts → src/common/c.ts → src/common/b.ts → src/common/a.ts',
      // dynamic import() and `export * from` are runtime imports
      'src/metrics/MetricGroup.ts:4 R6 import cycle: src/metrics/MetricGroup.ts → src/metrics/MetricRegistry.ts → src/metrics/MetricGroup.ts',
    ],
    'graph/JobGraph ⇄ JobVertex and graph/StreamGraph ⇄ StreamNode are type-only on one side',
  );
});

t.test('a violation prints as <file>:<line>: <rule id> <what is wrong>', async (t) => {
  const [first] = checkLayering(fixture('r2')).violations;
  t.equal(
    formatViolation(first!),
    'src/common/rpc-utils/codec.ts:1: R2 only modules in an rpc/ directory import generated code, not src/generated/tsflink/v1/common.ts',
  );
});

t.test('a root without src/ is an error, not an empty pass', async (t) => {
  t.throws(() => checkLayering(fixture('no-such-tree')), /no src\/ directory/);
});

t.test("the repository's own src/ is read (its violations are not asserted here)", async (t) => {
  const { modules, violations } = checkLayering(repositoryRoot);
  t.ok(modules > 100, `${modules} modules`);
  t.ok(violations.every((v) => /^R[1-6]$/.test(v.rule)), `${violations.length} violations, each of a rule R1 to R6`);
});
