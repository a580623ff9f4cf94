import { CliArgsError } from './CliArgsError.js';

/** One command-line option, as Apache Commons CLI describes it (Flink's CLI is built on it). */
export interface OptionSpec {
  short?: string;
  long?: string;
  /** 'none': a flag; 'required': takes one argument; 'optional': may take one (e.g. `stop -p [dir]`). */
  arg: 'none' | 'required' | 'optional';
  argName?: string;
  description: string;
  /** May repeat (e.g. -D). */
  repeatable?: boolean;
}

export interface ParsedCommandLine {
  /** Values by option key (long name, else short name); a flag has ''. */
  values: Map<string, string[]>;
  /** Arguments that are not options, in order. */
  args: string[];
  has(spec: OptionSpec): boolean;
  get(spec: OptionSpec): string | undefined;
  getAll(spec: OptionSpec): string[];
}

export function optionKey(spec: OptionSpec): string {
  return spec.long ?? spec.short!;
}

/**
 * Parses `args` against `specs` the way Commons CLI's DefaultParser does for Flink: `-x`, `--long`, `-xVALUE`,
 * `--long=VALUE`, `-x VALUE`; with `stopAtNonOption` everything from the first non-option on is an argument (so a job's
 * own `--flags` pass through). An unknown option is an error: `Unrecognized option: --bogus`.
 */
export function parseCommandLine(specs: readonly OptionSpec[], args: readonly string[], stopAtNonOption: boolean): ParsedCommandLine {
  const values = new Map<string, string[]>();
  const rest: string[] = [];
  const add = (spec: OptionSpec, value: string) => {
    const key = optionKey(spec);
    values.set(key, [...(values.get(key) ?? []), value]);
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      rest.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      if (stopAtNonOption) {
        rest.push(...args.slice(i));
        break;
      }
      rest.push(arg);
      continue;
    }
    const { spec, inlineValue } = findSpec(specs, arg);
    if (!spec) throw new CliArgsError(`Unrecognized option: ${arg}`);
    if (spec.arg === 'none') {
      if (inlineValue !== undefined) throw new CliArgsError(`Unrecognized option: ${arg}`);
      add(spec, '');
    } else if (inlineValue !== undefined) {
      add(spec, inlineValue);
    } else {
      const next = args[i + 1];
      const nextIsValue = next !== undefined && (!next.startsWith('-') || next === '-');
      if (nextIsValue) {
        add(spec, next);
        i++;
      } else if (spec.arg === 'optional') {
        add(spec, '');
      } else {
        throw new CliArgsError(`Missing argument for option: ${spec.short ?? spec.long}`);
      }
    }
  }
  return {
    values,
    args: rest,
    has: (spec) => values.has(optionKey(spec)),
    get: (spec) => values.get(optionKey(spec))?.at(-1),
    getAll: (spec) => values.get(optionKey(spec)) ?? [],
  };
}

function findSpec(specs: readonly OptionSpec[], arg: string): { spec?: OptionSpec; inlineValue?: string } {
  if (arg.startsWith('--')) {
    const body = arg.slice(2);
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    const spec = specs.find((s) => s.long === name);
    return { spec, inlineValue: eq >= 0 ? body.slice(eq + 1) : undefined };
  }
  const body = arg.slice(1);
  const exact = specs.find((s) => s.short === body || s.long === body);
  if (exact) return { spec: exact };
  // -Dkey=value, -p4: a short option with its value attached.
  for (const spec of specs) {
    if (spec.short && spec.arg !== 'none' && body.startsWith(spec.short) && body.length > spec.short.length) {
      return { spec, inlineValue: body.slice(spec.short.length) };
    }
  }
  return {};
}
