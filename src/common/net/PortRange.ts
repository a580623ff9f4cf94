import { IllegalConfigurationError } from '../errors.js';

/**
 * The ports of a port specification as Flink reads it (NetUtils.getPortRangeFromString): a port (`8081`), a range
 * (`50100-50200`), or a comma-separated list of both; `0` means any free port. In the order given.
 */
export function parsePortRange(spec: string, key: string): number[] {
  const ports: number[] = [];
  for (const part of String(spec).split(',').map((p) => p.trim())) {
    const range = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(part);
    const from = range ? Number(range[1]) : NaN;
    const to = range?.[2] === undefined ? from : Number(range[2]);
    if (!range || from > 65535 || to > 65535 || to < from) {
      throw new IllegalConfigurationError(`Invalid port range definition '${spec}' for ${key}: use a port, a range such as 50100-50200, or a comma-separated list of both.`);
    }
    for (let port = from; port <= to; port++) ports.push(port);
  }
  return ports;
}

/**
 * Binds the first port of `ports` that is free, as Flink's servers do with a port range: `bind` is tried port by port;
 * an address in use moves on to the next port, any other failure ends the search. Resolves with what `bind` returned;
 * a single port's failure is rethrown as it is.
 */
export async function bindToFirstFreePort<T>(ports: readonly number[], what: string, bind: (port: number) => Promise<T>): Promise<T> {
  let lastError: unknown;
  for (const port of ports) {
    try {
      return await bind(port);
    } catch (error) {
      lastError = error;
      if (!isAddressInUse(error)) break;
    }
  }
  if (ports.length === 1) throw lastError;
  const message = lastError instanceof Error ? lastError.message : String(lastError);
  throw new Error(`Could not start ${what} on any port in [${describe(ports)}]: ${message}`, { cause: lastError });
}

function isAddressInUse(error: unknown): boolean {
  for (let e = error as { code?: unknown; cause?: unknown; message?: unknown } | undefined, depth = 0; e && depth < 5; depth++) {
    if (e.code === 'EADDRINUSE' || (typeof e.message === 'string' && e.message.includes('EADDRINUSE'))) return true;
    e = e.cause as typeof e;
  }
  return false;
}

function describe(ports: readonly number[]): string {
  if (ports.length <= 3) return ports.join(', ');
  return `${ports[0]}, ${ports[1]}, …, ${ports[ports.length - 1]}`;
}
