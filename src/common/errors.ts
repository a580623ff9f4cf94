/**
 * The error hierarchy of tsflink. Every error has a stable `name` (so it survives crossing a thread or an RPC and can be
 * rebuilt by name), says whether retrying could help, and keeps its cause.
 */
export class TsFlinkError extends Error {
  readonly retriable: boolean;

  constructor(message: string, options: { cause?: unknown; retriable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retriable = options.retriable ?? false;
  }

  override get name(): string {
    return this.constructor.name;
  }
}

/** Flink's FlinkException: a failure the user should see with its message, e.g. "Failed to retrieve job list.". */
export class FlinkException extends TsFlinkError {}

/** A configuration file or value that cannot be used (Flink's IllegalConfigurationException). */
export class IllegalConfigurationError extends TsFlinkError {}

/** Renders an error and its causes as Flink prints a Java stack trace: the trace, then `Caused by: ...` for each cause. */
export function formatErrorChain(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  let first = true;
  while (current !== undefined && current !== null) {
    const text = current instanceof Error ? (current.stack ?? `${current.name}: ${current.message}`) : String(current);
    parts.push(first ? text : `Caused by: ${text}`);
    first = false;
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join('\n');
}
