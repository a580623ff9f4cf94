import type { DeliveryGuarantee } from './DeliveryGuarantee.js';
import type { KafkaRecordSerializationSchema } from './KafkaRecordSerializationSchema.js';

/** Short on purpose: a transaction left open by a writer that is never restored blocks read_committed readers this long. */
export const DEFAULT_TRANSACTION_TIMEOUT_MS = 60_000;

/** What KafkaSinkBuilder.build() gives the KafkaSink. */
export interface KafkaSinkConfig<T> {
  bootstrapServers: string[];
  serializer: KafkaRecordSerializationSchema<T>;
  deliveryGuarantee: DeliveryGuarantee;
  /** Required for EXACTLY_ONCE: subtask i uses the transactional id `<prefix>-<i>`. */
  transactionalIdPrefix?: string;
  /** `transaction.timeout.ms` of the transactional producers (default 60 s). */
  transactionTimeoutMs?: number;
}
