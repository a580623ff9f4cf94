import { IllegalConfigurationError } from '../errors.js';
import { parseDuration } from './durations.js';
import { parseMemorySize } from './memorySizes.js';

/** A typed configuration key with its default and the older keys still accepted for it (Flink's ConfigOption). */
export interface ConfigOption<T> {
  readonly key: string;
  readonly defaultValue: T;
  readonly deprecatedKeys: readonly string[];
  readonly description: string;
  parse(raw: string): T;
}

type Spec<T> = { defaultValue: T; deprecatedKeys?: readonly string[]; description: string };

function option<T>(key: string, spec: Spec<T>, parse: (raw: string) => T): ConfigOption<T> {
  return { key, defaultValue: spec.defaultValue, deprecatedKeys: spec.deprecatedKeys ?? [], description: spec.description, parse };
}

export function stringOption(key: string, spec: Spec<string>): ConfigOption<string>;
export function stringOption(key: string, spec: Spec<string | undefined>): ConfigOption<string | undefined>;
export function stringOption(key: string, spec: Spec<string | undefined>): ConfigOption<string | undefined> {
  return option(key, spec, (raw) => raw);
}

export function intOption(key: string, spec: Spec<number>): ConfigOption<number> {
  return option(key, spec, (raw) => {
    const value = Number(raw.trim());
    if (!Number.isInteger(value)) throw new IllegalConfigurationError(`Could not parse value '${raw}' for key '${key}': not an integer.`);
    return value;
  });
}

export function booleanOption(key: string, spec: Spec<boolean>): ConfigOption<boolean> {
  return option(key, spec, (raw) => {
    const text = raw.trim().toLowerCase();
    if (text === 'true') return true;
    if (text === 'false') return false;
    throw new IllegalConfigurationError(`Could not parse value '${raw}' for key '${key}': expected true or false.`);
  });
}

/** A duration in milliseconds; the raw value may carry a unit (`5 s`) or be plain milliseconds. */
export function durationOption(key: string, spec: Spec<number>): ConfigOption<number> {
  return option(key, spec, (raw) => {
    try {
      return parseDuration(raw);
    } catch (e) {
      throw new IllegalConfigurationError(`Could not parse value '${raw}' for key '${key}'.`, { cause: e });
    }
  });
}

/** A memory size in bytes; the raw value may carry a unit (`512m`, `1 gb`) or be plain bytes. */
export function memoryOption(key: string, spec: Spec<number>): ConfigOption<number> {
  return option(key, spec, (raw) => {
    try {
      return parseMemorySize(raw);
    } catch (e) {
      throw new IllegalConfigurationError(`Could not parse value '${raw}' for key '${key}'.`, { cause: e });
    }
  });
}
