/**
 * Replaces parts of kafkajs 2.2.4 before any of it loads (import kafkajs through `./kafkajs.js`, which imports this
 * first): its `read_committed` filter, which hands out records of aborted transactions (read-committed.ts); its record
 * batch and record decoders, which compute every offset and timestamp with a BigInt-backed `Long` and make a decoder per
 * record (record-decoder.ts); and its fetched `Batch`, which compares every offset as a `Long` (fetched-batch.ts). All
 * are CommonJS modules kafkajs `require`s once; their entries in the module cache are set here, so kafkajs's fetch path
 * uses tsflink's. Throws if kafkajs's consumer was loaded before, rather than let a reader hand out records of aborted
 * transactions.
 */
import { createRequire } from 'node:module';
import { filterAbortedMessages } from './read-committed.js';
import { createFetchedBatchClass } from './fetched-batch.js';
import { decodeRecord, decodeRecordBatch } from './record-decoder.js';

const require = createRequire(import.meta.url);
const resolve = (path: string) => require.resolve(`kafkajs/src/${path}`);
const batchPath = resolve('consumer/batch.js');
const recordBatchPath = resolve('protocol/recordBatch/v0/decoder.js');
type Marked = { tsflinkOverrides?: boolean };
if ((require.cache[batchPath] || require.cache[recordBatchPath]) && (require(batchPath) as Marked).tsflinkOverrides !== true) {
  throw new Error('kafkajs was loaded before tsflink replaced parts of it: import kafkajs through src/connectors/kafka/kafkajs.ts.');
}
const replace = (path: string, replacement: unknown) => {
  require(path);
  require.cache[path]!.exports = replacement;
};
replace(resolve('consumer/filterAbortedMessages.js'), filterAbortedMessages);
replace(resolve('protocol/recordBatch/record/v0/decoder.js'), decodeRecord);
replace(recordBatchPath, decodeRecordBatch);
replace(batchPath, createFetchedBatchClass(require(batchPath) as never));
// A second copy of this module (src and dist in one process) finds the replacements in place.
(require(batchPath) as Marked).tsflinkOverrides = true;
