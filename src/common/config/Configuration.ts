import type { ConfigOption } from './ConfigOption.js';

/** Keys whose values are hidden when the configuration is shown (Flink's GlobalConfiguration.isSensitive). */
const SENSITIVE_KEY_PARTS = ['password', 'secret', 'fs.azure.account.key', 'apikey', 'api-key', 'auth-params', 'service-key', 'token', 'basic-auth', 'jaas.config'];
export const HIDDEN_CONTENT = '******';

/** A flat map of configuration keys to string values, read through typed {@link ConfigOption}s. */
export class Configuration {
  private readonly entries = new Map<string, string>();

  constructor(initial?: Iterable<readonly [string, string]>) {
    if (initial) for (const [k, v] of initial) this.entries.set(k, v);
  }

  get<T>(option: ConfigOption<T>): T {
    const raw = this.rawValue(option);
    return raw === undefined ? option.defaultValue : option.parse(raw);
  }

  /** The value set for the option (its key or a deprecated key), or undefined when only the default applies. */
  getOptional<T>(option: ConfigOption<T>): T | undefined {
    const raw = this.rawValue(option);
    return raw === undefined ? undefined : option.parse(raw);
  }

  contains(option: ConfigOption<unknown>): boolean {
    return this.rawValue(option) !== undefined;
  }

  set<T>(option: ConfigOption<T>, value: T): this {
    this.entries.set(option.key, String(value));
    return this;
  }

  setString(key: string, value: string): this {
    this.entries.set(key, value);
    return this;
  }

  getString(key: string): string | undefined {
    return this.entries.get(key);
  }

  /** A copy with `other`'s entries laid over this one's. */
  merge(other: Configuration): Configuration {
    return new Configuration([...this.entries, ...other.entries]);
  }

  toMap(): ReadonlyMap<string, string> {
    return new Map(this.entries);
  }

  /** Entries sorted by key, with sensitive values hidden: what REST /jobmanager/config shows. */
  toDisplayEntries(): Array<{ key: string; value: string }> {
    return [...this.entries.keys()].sort().map((key) => ({ key, value: isSensitive(key) ? HIDDEN_CONTENT : this.entries.get(key)! }));
  }

  private rawValue(option: ConfigOption<unknown>): string | undefined {
    const value = this.entries.get(option.key);
    if (value !== undefined) return value;
    for (const key of option.deprecatedKeys) {
      const old = this.entries.get(key);
      if (old !== undefined) return old;
    }
    return undefined;
  }
}

export function isSensitive(key: string): boolean {
  const lower = key.toLowerCase();
  return SENSITIVE_KEY_PARTS.some((part) => lower.includes(part));
}
