// KafkaSink.builder(): what it checks and what config the sink gets (no client is created until createWriter).
import t from 'tap';
import { DeliveryGuarantee } from '../../../../src/connectors/kafka/DeliveryGuarantee.js';
import { KafkaRecordSerializationSchema } from '../../../../src/connectors/kafka/KafkaRecordSerializationSchema.js';
import { KafkaSink } from '../../../../src/connectors/kafka/KafkaSink.js';
import { EXACTLY_ONCE_WITHOUT_PREFIX_MESSAGE } from '../../../../src/connectors/kafka/KafkaSinkBuilder.js';

const serializer = () => KafkaRecordSerializationSchema.builder<string>().setTopic('out').setValueSerializationSchema({ serialize: (v: string) => `<${v}>` }).build();

t.test('build() gives the sink its config', async (t) => {
  const sink = KafkaSink.builder<string>()
    .setKafkaProducerConfig({ 'bootstrap.servers': ' a:9092, b:9092 ,', 'transaction.timeout.ms': '900000' })
    .setRecordSerializer(serializer())
    .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
    .setTransactionalIdPrefix('job')
    .build();
  t.same(sink.config.bootstrapServers, ['a:9092', 'b:9092']);
  t.equal(sink.config.transactionTimeoutMs, 900_000);
  t.equal(sink.config.transactionalIdPrefix, 'job');
  t.equal(sink.config.serializer.serializeValue('x'), '<x>');
  t.equal(KafkaSink.builder<string>().setBootstrapServers('a:9092').setRecordSerializer(serializer()).build().config.deliveryGuarantee, DeliveryGuarantee.NONE, 'NONE by default');
});

t.test('build() says what is missing or wrong', async (t) => {
  const builder = () => KafkaSink.builder<string>().setBootstrapServers('a:9092').setRecordSerializer(serializer());
  t.throws(() => KafkaSink.builder<string>().setRecordSerializer(serializer()).build(), { message: 'KafkaSink: bootstrap servers must be set.' });
  t.throws(() => KafkaSink.builder<string>().setBootstrapServers('a:9092').build(), { message: 'KafkaSink: no record serializer set (setRecordSerializer).' });
  t.throws(() => builder().setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE).build(), { message: EXACTLY_ONCE_WITHOUT_PREFIX_MESSAGE });
  t.throws(() => builder().setDeliveryGuarantee('twice' as DeliveryGuarantee).build(), { message: "KafkaSink: unknown delivery guarantee 'twice' (one of exactly-once, at-least-once, none)." });
  t.throws(() => builder().setTransactionalIdPrefix(''), { message: 'KafkaSink: the transactionalIdPrefix must not be empty.' });
  t.throws(() => builder().setKafkaProducerConfig({ 'transaction.timeout.ms': '1.5' }), { message: "KafkaSink: transaction.timeout.ms must be a positive integer, got '1.5'." });
  t.throws(() => KafkaRecordSerializationSchema.builder<string>().setValueSerializationSchema((v) => v).build(), { message: /no topic set/ });
});
