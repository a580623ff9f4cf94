import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
const LEVEL_ORDER: Record<LogLevel, number> = { DEBUG: 10, INFO: 20, WARN: 30, ERROR: 40 };

export type LogFields = Record<string, string | number | boolean | undefined>;

/** Where log lines go: a file (appended, written synchronously so nothing is lost when the process dies) and/or stdout. */
export class LogSink {
  private fd: number | undefined;

  constructor(
    readonly file: string | undefined,
    private readonly toStdout: boolean,
    readonly level: LogLevel = 'INFO',
  ) {
    if (file) {
      mkdirSync(dirname(file), { recursive: true });
      this.fd = openSync(file, 'a');
    }
  }

  write(line: string): void {
    if (this.fd !== undefined) writeSync(this.fd, line);
    if (this.toStdout) process.stdout.write(line);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

function timestamp(date: Date): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())},${pad(date.getMilliseconds(), 3)}`;
}

/**
 * A structured logger with namespaced children. Lines look like Flink's log4j layout:
 * `2026-11-24 13:18:43,123 INFO  ResourceManager [] - Registering TaskManager ... {resourceId=...}`.
 */
export class Logger {
  constructor(
    private readonly sink: LogSink,
    readonly namespace: string,
    private readonly fields: LogFields = {},
  ) {}

  child(namespace: string, fields: LogFields = {}): Logger {
    return new Logger(this.sink, namespace, { ...this.fields, ...fields });
  }

  debug(message: string, fields?: LogFields): void {
    this.log('DEBUG', message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.log('INFO', message, fields);
  }
  warn(message: string, fields?: LogFields, error?: unknown): void {
    this.log('WARN', message, fields, error);
  }
  error(message: string, fields?: LogFields, error?: unknown): void {
    this.log('ERROR', message, fields, error);
  }

  private log(level: LogLevel, message: string, fields?: LogFields, error?: unknown): void {
    if (LEVEL_ORDER[level] < LEVEL_ORDER[this.sink.level]) return;
    const all = { ...this.fields, ...fields };
    const rendered = Object.entries(all)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
    let line = `${timestamp(new Date())} ${level.padEnd(5)} ${this.namespace} [] - ${message}${rendered ? ` {${rendered}}` : ''}\n`;
    if (error !== undefined) line += `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`;
    this.sink.write(line);
  }
}

export function parseLogLevel(text: string | undefined): LogLevel {
  const upper = (text ?? 'INFO').toUpperCase();
  return upper in LEVEL_ORDER ? (upper as LogLevel) : 'INFO';
}
