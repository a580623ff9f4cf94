/**
 * Installs tsflink's `read_committed` filter (read-committed.ts) as kafkajs's `consumer/filterAbortedMessages`, which
 * every fetched batch goes through. It must run before kafkajs loads its consumer: import kafkajs through
 * `./kafkajs.js`, which imports this first. Throws if kafkajs's consumer was loaded before, rather than let a reader
 * hand out records of aborted transactions.
 */
import { createRequire } from 'node:module';
import { filterAbortedMessages } from './read-committed.js';

const require = createRequire(import.meta.url);
const filterPath = require.resolve('kafkajs/src/consumer/filterAbortedMessages.js');
const batchPath = require.resolve('kafkajs/src/consumer/batch.js');
if (require.cache[batchPath] && (require(batchPath) as { tsflinkReadCommitted?: boolean }).tsflinkReadCommitted !== true) {
  throw new Error('kafkajs was loaded before tsflink installed its read_committed filter: import kafkajs through src/connectors/kafka/kafkajs.ts.');
}
require(filterPath);
require.cache[filterPath]!.exports = filterAbortedMessages;
// Marks the Batch class built with the filter above (a second copy of this module finds it installed).
(require(batchPath) as { tsflinkReadCommitted?: boolean }).tsflinkReadCommitted = true;
