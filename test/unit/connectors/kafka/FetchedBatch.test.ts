// The batch kafkajs's consumer hands a reader: tsflink's (offsets compared as numbers) has the same fields and answers
// the same as kafkajs 2.2.4's own class, compiled here from its source: records before the fetched offset, control
// records and records of aborted transactions are left out, offsets beyond 2^53 compare exactly.
import { readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname } from 'node:path';
import t from 'tap';
import '../../../../src/connectors/kafka/kafkajs.js';
import { recordsFrom } from '../../../../src/connectors/kafka/fetched-batch.js';
import { filterAbortedMessages } from '../../../../src/connectors/kafka/read-committed.js';

const require = createRequire(import.meta.url);
const file = require.resolve('kafkajs/src/consumer/batch.js');
type Batch = Record<string, unknown> & { firstOffset(): string | null; lastOffset(): string; offsetLag(): string; offsetLagLow(): string; isEmpty(): boolean };
type BatchClass = new (topic: string, fetchedOffset: string, partitionData: object) => Batch;

/** kafkajs's Batch compiled from its file, with tsflink's read_committed filter (kafkajs's own is the known bug). */
function kafkajsBatch(): BatchClass {
  type CompilableModule = Module & { _compile(source: string, filename: string): void; paths: string[]; require(id: string): unknown };
  const original = new Module(file) as CompilableModule;
  original.filename = file;
  original.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(file));
  original.require = (id: string) => (id === './filterAbortedMessages' ? filterAbortedMessages : (Module.prototype as CompilableModule).require.call(original, id));
  original._compile(readFileSync(file, 'utf8'), file);
  return original.exports as BatchClass;
}

const Original = kafkajsBatch();
const Ours = require(file) as BatchClass;

const message = (offset: string, options: { control?: boolean; producerId?: string; inTransaction?: boolean } = {}) => ({
  offset,
  key: options.control ? Buffer.from([0, 0, 0, 0]) : null,
  value: Buffer.from(offset),
  isControlRecord: options.control ?? false,
  batchContext: { producerId: options.producerId ?? '-1', inTransaction: options.inTransaction ?? false },
});

const cases: Array<[string, string, object]> = [
  ['records before the fetched offset (a compressed batch starts earlier)', '12', { partition: 1, highWatermark: '20', messages: ['10', '11', '12', '13'].map((o) => message(o)) }],
  ['a control record and an aborted transaction', '0', {
    partition: 0,
    highWatermark: '5',
    messages: [message('0', { producerId: '7', inTransaction: true }), message('1', { producerId: '7', inTransaction: true, control: true }), message('2'), message('3')],
    abortedTransactions: [{ producerId: '7', firstOffset: '0' }],
  }],
  ['offsets beyond 2^53', '9007199254740993', { partition: 0, highWatermark: '9007199254740999', messages: ['9007199254740992', '9007199254740993', '9007199254740994'].map((o) => message(o)) }],
  ['only records before the fetched offset', '100', { partition: 0, highWatermark: '120', messages: ['98', '99'].map((o) => message(o)) }],
  ['an empty fetch', '100', { partition: 0, highWatermark: '100', messages: [] }],
];

for (const [what, fetchedOffset, partitionData] of cases) {
  t.test(`${what}: the same batch as kafkajs's`, async (t) => {
    const ours = new Ours('input', fetchedOffset, partitionData);
    const theirs = new Original('input', fetchedOffset, partitionData);
    t.strictSame({ ...ours }, { ...theirs });
    for (const method of ['isEmpty', 'isEmptyIncludingFiltered', 'isEmptyDueToFiltering', 'isEmptyControlRecord', 'isEmptyDueToLogCompactedMessages', 'firstOffset', 'lastOffset', 'offsetLag', 'offsetLagLow'] as const) {
      t.strictSame((ours[method] as () => unknown)(), (theirs[method] as () => unknown)(), method);
    }
  });
}

t.test('recordsFrom compares offsets beyond 2^53 exactly', async (t) => {
  t.same(recordsFrom([{ offset: '9007199254740992' }, { offset: '9007199254740993' }], '9007199254740993'), [{ offset: '9007199254740993' }]);
});

t.test('a fetch with nothing to leave out is handed on without a copy', async (t) => {
  const messages = ['5', '6', '7'].map((o) => message(o));
  const batch = new Ours('input', '5', { partition: 0, highWatermark: '8', messages });
  t.equal(batch.messagesWithinOffset, messages);
  t.equal(batch.messages, messages);
});
