import { TsFlinkError } from '../errors.js';

/**
 * No connection could be established (refused, unknown host, connect timeout): the request was never sent, so sending
 * it again is safe whatever its method. Flink's java.net.ConnectException; retriable.
 */
export class ConnectError extends TsFlinkError {
  constructor(
    message: string,
    /** The system's code (`ECONNREFUSED`, `ENOTFOUND`, …); `ETIMEDOUT` when the connect timeout passed. */
    readonly code: string,
    cause?: unknown,
  ) {
    super(message, { cause, retriable: true });
  }
}

/**
 * The connection closed or was reset after the request was sent, before the whole response arrived (Flink's
 * ConnectionClosedException): whether the request took effect is unknown, so it is retriable only for an idempotent
 * method.
 */
export class ConnectionClosedError extends TsFlinkError {
  constructor(
    message: string,
    readonly code: string,
    options: { cause?: unknown; retriable: boolean },
  ) {
    super(message, options);
  }
}

/**
 * The request was sent but the whole response did not arrive within the response timeout (Flink's
 * ConnectionIdleException): retriable only for an idempotent method.
 */
export class ResponseTimeoutError extends TsFlinkError {}

/** The response is larger than the caller accepts (Flink's rest.client.max-content-length). Not retriable. */
export class ResponseTooLargeError extends TsFlinkError {}

/** A response body that should be JSON and is not. */
export class InvalidJsonError extends TsFlinkError {
  constructor(
    message: string,
    readonly httpStatus: number,
    cause?: unknown,
  ) {
    super(message, { cause });
  }
}

/** The TLS handshake failed or the server's certificate is not trusted: a configuration problem, not retriable. */
export class TlsHandshakeError extends TsFlinkError {}
