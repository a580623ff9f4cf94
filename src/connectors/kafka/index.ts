/** tsflink's Kafka connector: what a job imports as `tsflink/connectors/kafka`. */
export { KafkaSource, KafkaSourceBuilder, OffsetsInitializer, splitOwner, type DeserializationSchema } from './KafkaSource.js';
export {
  KafkaSink,
  KafkaSinkBuilder,
  KafkaRecordSerializationSchema,
  DeliveryGuarantee,
  markerGroupOf,
  transactionalIdOf,
  type KafkaSinkConfig,
  type KafkaWriterState,
  type SerializationSchema,
} from './KafkaSink.js';
