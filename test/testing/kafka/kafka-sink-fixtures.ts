import { DeliveryGuarantee } from '../../../src/connectors/kafka/DeliveryGuarantee.js';
import { KafkaRecordSerializationSchema } from '../../../src/connectors/kafka/KafkaRecordSerializationSchema.js';
import { KafkaSink } from '../../../src/connectors/kafka/KafkaSink.js';
import type { KafkaWriterState } from '../../../src/connectors/kafka/KafkaWriterState.js';
import { TransactionalKafkaWriter } from '../../../src/connectors/kafka/TransactionalKafkaWriter.js';
import type { ConnectorContext, RestoredSinkState, SinkWriter } from '../../../src/job/connectors.js';
import { ComponentMetricGroup } from '../../../src/metrics/MetricGroup.js';
import type { TestingKafkaClient } from './TestingKafkaClient.js';

/** The topic the sinks of the unit tests write to. */
export const TOPIC = 'out';

/** A KafkaSink<string> of `TOPIC` whose subtasks all talk to `client`. EXACTLY_ONCE with the prefix 'p' by default. */
export function testingKafkaSink(
  client: TestingKafkaClient,
  options: { guarantee?: DeliveryGuarantee; prefix?: string; transactionTimeoutMs?: number } = {},
): KafkaSink<string> {
  const guarantee = options.guarantee ?? DeliveryGuarantee.EXACTLY_ONCE;
  return new KafkaSink<string>(
    {
      bootstrapServers: ['kafka.invalid:9092'],
      serializer: KafkaRecordSerializationSchema.builder<string>().setTopic(TOPIC).setValueSerializationSchema((v) => v).build(),
      deliveryGuarantee: guarantee,
      ...(guarantee === DeliveryGuarantee.EXACTLY_ONCE ? { transactionalIdPrefix: options.prefix ?? 'p' } : {}),
      ...(options.transactionTimeoutMs !== undefined ? { transactionTimeoutMs: options.transactionTimeoutMs } : {}),
    },
    client.factory,
  );
}

export function connectorContext(subtaskIndex = 0, parallelism = 1, attemptNumber = 0): ConnectorContext {
  return {
    jobId: 'kafka-sink-unit-test',
    attemptId: `attempt-${subtaskIndex}-${attemptNumber}`,
    attemptNumber,
    subtaskIndex,
    parallelism,
    operatorName: 'Sink: Kafka',
    operatorId: 'sink-operator',
    metricGroup: new ComponentMetricGroup(),
  };
}

/** An exactly-once writer of subtask `subtaskIndex` of `parallelism`, restored from `restored`. */
export async function createTransactionalWriter(
  sink: KafkaSink<string>,
  subtaskIndex = 0,
  parallelism = 1,
  restored: readonly RestoredSinkState[] = [],
): Promise<TransactionalKafkaWriter<string>> {
  const writer: SinkWriter<string> = await sink.createWriter(connectorContext(subtaskIndex, parallelism, restored.length > 0 ? 1 : 0), restored);
  if (!(writer instanceof TransactionalKafkaWriter)) throw new Error(`Expected a TransactionalKafkaWriter, got ${writer.constructor.name}.`);
  return writer as TransactionalKafkaWriter<string>;
}

/** The sink states of a checkpoint, as the runtime hands them to createWriter on a restore. */
export function restoredStates(states: Array<{ subtaskIndex: number; parallelism: number; state: KafkaWriterState | null }>): RestoredSinkState[] {
  return states.map((s) => ({ ...s, checkpointId: s.state?.checkpointId ?? 1 }));
}

/** The values of a writer state as text. */
export function valuesOf(state: KafkaWriterState): string[] {
  return state.values.map(String);
}

/** Whether `promise` settled once pending callbacks ran: for "still waiting" checks, without timers. */
export async function hasSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
}
