/**
 * kafkajs, as tsflink uses it: with its `read_committed` filter replaced (kafkajs-read-committed.ts) before any of it
 * loads. Everything that reads or writes Kafka with kafkajs imports it from here.
 */
import './kafkajs-read-committed.js';

export * from 'kafkajs';
