import { IllegalConfigurationError } from '../errors.js';

const MEMORY_UNITS: ReadonlyArray<[readonly string[], number]> = [
  [['t', 'tb', 'tebibytes'], 1024 ** 4],
  [['g', 'gb', 'gibibytes'], 1024 ** 3],
  [['m', 'mb', 'mebibytes'], 1024 ** 2],
  [['k', 'kb', 'kibibytes'], 1024],
  [['b', 'bytes'], 1],
];

/**
 * Parses a memory size as Flink's MemorySize.parse does: a number followed by an optional unit (`512m`, `512 mb`,
 * `1g`, `1024 kb`); a bare number is bytes. Units are powers of 1024. Returns bytes.
 */
export function parseMemorySize(text: string): number {
  const match = /^\s*(\d+)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (!match) throw new IllegalConfigurationError(`Could not parse memory size '${text}': expected a number with an optional unit, e.g. "512 mb".`);
  const amount = Number(match[1]);
  const unit = match[2]!.toLowerCase();
  if (unit === '') return amount;
  for (const [names, factor] of MEMORY_UNITS) {
    if (names.includes(unit)) return amount * factor;
  }
  throw new IllegalConfigurationError(
    `Memory size unit '${match[2]}' does not match any of the recognized units: (b | bytes) / (k | kb | kibibytes) / (m | mb | mebibytes) / (g | gb | gibibytes) / (t | tb | tebibytes)`,
  );
}

/** Formats bytes as Flink's MemorySize.toHumanReadableString would name them: the largest exact unit (`512 mb`). */
export function formatMemorySize(bytes: number): string {
  for (const [names, factor] of MEMORY_UNITS) {
    if (bytes !== 0 && bytes % factor === 0) return `${bytes / factor} ${names[1]}`;
  }
  return `${bytes} bytes`;
}
