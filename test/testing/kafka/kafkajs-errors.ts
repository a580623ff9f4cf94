/**
 * An error shaped like kafkajs' KafkaJSProtocolError: the broker's error `type` (e.g. 'CONCURRENT_TRANSACTIONS',
 * 'PRODUCER_FENCED') and whether kafkajs would call it `retriable`.
 */
export function kafkaJsProtocolError(type: string, options: { retriable?: boolean; message?: string } = {}): Error & { type: string; retriable: boolean } {
  const error = new Error(options.message ?? `The broker answered ${type}`) as Error & { type: string; retriable: boolean };
  error.name = 'KafkaJSProtocolError';
  error.type = type;
  error.retriable = options.retriable ?? false;
  return error;
}
