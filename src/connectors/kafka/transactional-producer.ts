import type { KafkaSinkProducerConfig } from './KafkaSinkClient.js';

/** The transactional id of a sink subtask. */
export function transactionalIdOf(prefix: string, subtaskIndex: number): string {
  return `${prefix}-${subtaskIndex}`;
}

/** The configuration of an exactly-once writer's producer, and of the producers that recover an old job's ids. */
export function transactionalProducerConfig(transactionalId: string, transactionTimeout: number): KafkaSinkProducerConfig {
  return {
    idempotent: true,
    maxInFlightRequests: 1,
    transactionalId,
    transactionTimeout,
    allowAutoTopicCreation: true,
    // kafkajs retries an idempotent producer forever by default; fail instead (the job restarts and restores). The
    // first AddPartitionsToTxn right after a commit usually answers CONCURRENT_TRANSACTIONS (the coordinator is still
    // writing the commit markers): a short first backoff keeps that retry cheap (kafkajs' default is 300 ms).
    retry: { retries: 15, initialRetryTime: 10, maxRetryTime: 10_000 },
  };
}
