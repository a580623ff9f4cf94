import type { RestoredSinkState } from '../../job/connectors.js';

/**
 * What an exactly-once writer stores in checkpoint `checkpointId`: the values of the transaction that was pre-committed
 * for it (sent and acknowledged, not yet committed). A restore commits them again unless that transaction committed.
 */
export interface KafkaWriterState {
  transactionalId: string;
  checkpointId: number;
  values: Buffer[];
}

/**
 * The KafkaWriterState in a restored sink state, or undefined if there is none (e.g. a checkpoint of an at-least-once
 * KafkaSink). Values may come back as strings or Uint8Arrays; they become Buffers.
 */
export function parseKafkaWriterState(restored: RestoredSinkState): KafkaWriterState | undefined {
  const s = restored.state as Partial<Record<keyof KafkaWriterState, unknown>> | undefined | null;
  if (s === undefined || s === null) return undefined; // e.g. a checkpoint of an at-least-once KafkaSink
  if (typeof s !== 'object' || typeof s.transactionalId !== 'string' || typeof s.checkpointId !== 'number' || !Array.isArray(s.values)) {
    throw new Error(
      `KafkaSink: the restored state of subtask ${restored.subtaskIndex} (checkpoint ${restored.checkpointId}) is not a KafkaSink state ` +
        `({ transactionalId, checkpointId, values }): ${JSON.stringify(s).slice(0, 200)}`,
    );
  }
  const values = s.values.map((v, i) => {
    if (typeof v === 'string') return Buffer.from(v, 'utf8');
    if (v instanceof Uint8Array) return Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    throw new Error(`KafkaSink: value ${i} in the restored state of subtask ${restored.subtaskIndex} is neither bytes nor a string.`);
  });
  return { transactionalId: s.transactionalId, checkpointId: s.checkpointId, values };
}
