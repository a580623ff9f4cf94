// KafkaSource's builder reads Kafka's consumer property names (as Flink's KafkaSourceBuilder.setProperties does):
// bootstrap servers, group id and the fetch size per partition, with a clear error for a size that is not one.
import t from 'tap';
import '../../../../src/connectors/kafka/kafkajs.js';
import { DEFAULT_MAX_PARTITION_FETCH_BYTES, KafkaSource } from '../../../../src/connectors/kafka/KafkaSource.js';

const builder = () => KafkaSource.builder<string>().setTopics('input').setValueOnlyDeserializer((value) => value.toString());

t.test('properties by their Kafka names', async (t) => {
  const source = builder().setProperties({ 'bootstrap.servers': 'a:9092, b:9092', 'group.id': 'g', 'max.partition.fetch.bytes': '262144', 'fetch.min.bytes': '1' }).build();
  t.same(source.config.bootstrapServers, ['a:9092', 'b:9092']);
  t.equal(source.config.groupId, 'g');
  t.equal(source.config.maxPartitionFetchBytes, 262144);
});

t.test('Kafka’s default fetch size without the property', async (t) => {
  t.equal(builder().setBootstrapServers('a:9092').build().config.maxPartitionFetchBytes, DEFAULT_MAX_PARTITION_FETCH_BYTES);
  t.equal(DEFAULT_MAX_PARTITION_FETCH_BYTES, 1048576);
});

t.test('a fetch size that is not a positive number of bytes is refused', async (t) => {
  for (const value of ['0', '-1', '1.5', '1e6', 'lots', '', '99999999999999999999']) {
    t.throws(() => builder().setProperty('max.partition.fetch.bytes', value), { message: `KafkaSource: max.partition.fetch.bytes must be a positive number of bytes, not '${value}'.` }, value);
  }
});
