/** tsflink's Kafka connector: what a job imports as `tsflink/connectors/kafka`. */
export { KafkaSource, KafkaSourceBuilder, OffsetsInitializer, splitOwner, type DeserializationSchema } from './KafkaSource.js';
export { KafkaSink } from './KafkaSink.js';
export { KafkaSinkBuilder } from './KafkaSinkBuilder.js';
export { KafkaRecordSerializationSchema, type SerializationSchema } from './KafkaRecordSerializationSchema.js';
export { DeliveryGuarantee } from './DeliveryGuarantee.js';
export { markerGroupOf } from './commit-marker.js';
export { transactionalIdOf } from './transactional-producer.js';
export type { KafkaSinkConfig } from './KafkaSinkConfig.js';
export type { KafkaWriterState } from './KafkaWriterState.js';
