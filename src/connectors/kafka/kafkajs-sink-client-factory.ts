import { Kafka, logLevel } from './kafkajs.js';
import { stderrLogCreator } from './kafka-errors.js';
import type { KafkaSinkClientFactory } from './KafkaSinkClient.js';

/** The KafkaSink's default client: kafkajs, logging its errors to stderr. */
export const kafkaJsSinkClientFactory: KafkaSinkClientFactory = ({ clientId, brokers }) =>
  new Kafka({ clientId, brokers, logLevel: logLevel.ERROR, logCreator: stderrLogCreator });
