import { Packr } from 'msgpackr';

const packr = new Packr({ useRecords: true });

/**
 * Serializes a batch of records and their event timestamps for a channel. msgpackr with record structures is the
 * fastest encoding measured between threads here (reference/node-limits.md §3); the bytes are copied into an
 * exact-size array so that posting them to another thread copies only the batch.
 */
export function encodeBatch(values: readonly unknown[], timestamps: readonly (number | undefined)[]): Uint8Array {
  const packed = packr.pack([values, timestamps]);
  const copy = new Uint8Array(packed.length);
  copy.set(packed);
  return copy;
}

export function decodeBatch(bytes: Uint8Array): { values: unknown[]; timestamps: (number | undefined)[] } {
  const [values, timestamps] = packr.unpack(bytes) as [unknown[], (number | null | undefined)[]];
  return { values, timestamps: timestamps.map((t) => (t === null ? undefined : t)) };
}
