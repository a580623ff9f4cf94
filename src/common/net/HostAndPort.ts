/** `host:port` split at its last colon (an IPv6 literal keeps its brackets): the host, and the port as a number. */
export function splitHostPort(address: string): [host: string, port: number] {
  const colon = address.lastIndexOf(':');
  return colon < 0 ? [address, Number.NaN] : [address.slice(0, colon), Number(address.slice(colon + 1))];
}
