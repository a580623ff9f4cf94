/** Flink's DeliveryGuarantee (org.apache.flink.connector.base). */
export enum DeliveryGuarantee {
  /** Records go into Kafka transactions that commit when a checkpoint completes (read them with read_committed). */
  EXACTLY_ONCE = 'exactly-once',
  /** Every batch is acknowledged by all in-sync replicas before the subtask goes on; duplicates after a restore. */
  AT_LEAST_ONCE = 'at-least-once',
  /** Fire and forget (acks from the leader only); records may be lost or duplicated. */
  NONE = 'none',
}
