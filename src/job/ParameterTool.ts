/**
 * Program arguments as Flink's ParameterTool.fromArgs reads them: `--key value`, `-key value`, and bare flags
 * (`--event-time`, present with no value).
 */
export class ParameterTool {
  private constructor(private readonly values: ReadonlyMap<string, string | undefined>) {}

  static fromArgs(args: readonly string[]): ParameterTool {
    const values = new Map<string, string | undefined>();
    for (let i = 0; i < args.length; i++) {
      const arg = args[i]!;
      const key = arg.startsWith('--') ? arg.slice(2) : arg.startsWith('-') ? arg.slice(1) : undefined;
      if (key === undefined || key === '') throw new Error(`Error parsing arguments '${args.join(' ')}' on '${arg}'. Please prefix keys with -- or -.`);
      const next = args[i + 1];
      if (next !== undefined && !(next.startsWith('-') && Number.isNaN(Number(next)))) {
        values.set(key, next);
        i++;
      } else {
        values.set(key, undefined);
      }
    }
    return new ParameterTool(values);
  }

  has(key: string): boolean {
    return this.values.has(key);
  }

  get(key: string, defaultValue: string): string;
  get(key: string): string | undefined;
  get(key: string, defaultValue?: string): string | undefined {
    return this.values.get(key) ?? defaultValue;
  }

  getInt(key: string, defaultValue: number): number {
    const raw = this.values.get(key);
    if (raw === undefined) return defaultValue;
    const value = Number(raw);
    if (!Number.isInteger(value)) throw new Error(`Value '${raw}' of --${key} is not an integer.`);
    return value;
  }
}
