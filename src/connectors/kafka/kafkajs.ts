/**
 * kafkajs, as tsflink uses it: with its `read_committed` filter and its record decoder replaced (kafkajs-overrides.ts)
 * before any of it loads. Everything that reads or writes Kafka with kafkajs imports it from here.
 */
import './kafkajs-overrides.js';

export * from 'kafkajs';
