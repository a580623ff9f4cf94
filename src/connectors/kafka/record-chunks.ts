/** At most ~512 KiB per produce request (the broker's default message.max.bytes is 1 MiB per record batch). */
export function toMessageChunks(values: readonly Buffer[]): Array<Array<{ value: Buffer }>> {
  const out: Array<Array<{ value: Buffer }>> = [];
  let current: Array<{ value: Buffer }> = [];
  let bytes = 0;
  for (const value of values) {
    if (current.length > 0 && bytes + value.length > 512 * 1024) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push({ value });
    bytes += value.length + 64;
  }
  if (current.length > 0) out.push(current);
  return out;
}
