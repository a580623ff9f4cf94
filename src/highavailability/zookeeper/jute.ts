/**
 * ZooKeeper's wire encoding (Jute): big-endian ints and longs, one-byte booleans, byte buffers and UTF-8 strings behind
 * an int length (-1 for null), vectors behind an int count. Longs (session ids, zxids) are bigints.
 */
export class JuteWriter {
  private buffer = Buffer.allocUnsafe(256);
  private length = 0;

  int(value: number): this {
    this.reserve(4).writeInt32BE(value, this.length - 4);
    return this;
  }

  long(value: bigint): this {
    this.reserve(8).writeBigInt64BE(value, this.length - 8);
    return this;
  }

  bool(value: boolean): this {
    this.reserve(1)[this.length - 1] = value ? 1 : 0;
    return this;
  }

  bytes(value: Uint8Array | null): this {
    if (value === null) return this.int(-1);
    this.int(value.length);
    this.reserve(value.length).set(value, this.length - value.length);
    return this;
  }

  string(value: string | null): this {
    return this.bytes(value === null ? null : Buffer.from(value, 'utf8'));
  }

  strings(values: readonly string[]): this {
    this.int(values.length);
    for (const value of values) this.string(value);
    return this;
  }

  /** The bytes written, behind their int length: one packet of the protocol. */
  toFrame(): Buffer {
    const frame = Buffer.allocUnsafe(4 + this.length);
    frame.writeInt32BE(this.length, 0);
    this.buffer.copy(frame, 4, 0, this.length);
    return frame;
  }

  private reserve(size: number): Buffer {
    if (this.length + size > this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + size));
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    this.length += size;
    return this.buffer;
  }
}

/** Thrown when a packet ends before what it declares; the connection that sent it is broken. */
export class JuteDecodingError extends Error {
  override name = 'JuteDecodingError';
}

export class JuteReader {
  private offset = 0;

  constructor(private readonly buffer: Buffer) {}

  get remaining(): number {
    return this.buffer.length - this.offset;
  }

  int(): number {
    return this.take(4).readInt32BE(0);
  }

  long(): bigint {
    return this.take(8).readBigInt64BE(0);
  }

  bool(): boolean {
    return this.take(1)[0] !== 0;
  }

  bytes(): Buffer | null {
    const length = this.int();
    if (length < 0) return null;
    return Buffer.from(this.take(length));
  }

  string(): string | null {
    const bytes = this.bytes();
    return bytes === null ? null : bytes.toString('utf8');
  }

  strings(): string[] {
    const count = this.int();
    if (count < 0) return [];
    if (count > this.remaining / 4) throw new JuteDecodingError(`a vector of ${count} strings in ${this.remaining} bytes`);
    const values: string[] = [];
    for (let i = 0; i < count; i++) values.push(this.string() ?? '');
    return values;
  }

  private take(size: number): Buffer {
    if (size > this.remaining) throw new JuteDecodingError(`the packet ends ${size - this.remaining} byte(s) early`);
    const slice = this.buffer.subarray(this.offset, this.offset + size);
    this.offset += size;
    return slice;
  }
}
