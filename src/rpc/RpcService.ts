import { status, type ChannelOptions, type Server, type ServerCredentials, type ServiceError } from '@grpc/grpc-js';

/** Channel options every tsflink gRPC client and server uses. */
export const DEFAULT_CHANNEL_OPTIONS: ChannelOptions = {
  'grpc.max_receive_message_length': 64 * 1024 * 1024,
  'grpc.max_send_message_length': 64 * 1024 * 1024,
  // A peer that restarts must be reachable again quickly; grpc-js would otherwise back off up to two minutes.
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 2000,
};

/** Binds a gRPC server on host:port (0 = a free port) and resolves with the port actually bound. */
export async function bindServer(server: Server, host: string, port: number, credentials: ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(`${host}:${port}`, credentials, (error, boundPort) => {
      if (error) reject(new Error(`Could not bind the RPC server to ${host}:${port}: ${error.message}`, { cause: error }));
      else resolve(boundPort);
    });
  });
}

/** Stops a server: waits briefly for calls to finish, then forces the rest closed. */
export async function shutdownServer(server: Server, graceMs = 1000): Promise<void> {
  await new Promise<void>((resolve) => {
    const force = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}

/** Whether a failed call means the peer was not reachable or did not answer in time (worth retrying later). */
export function isUnreachable(error: unknown): boolean {
  const code = (error as Partial<ServiceError>)?.code;
  return code === status.UNAVAILABLE || code === status.DEADLINE_EXCEEDED || code === status.CANCELLED;
}

export function serviceError(code: status, details: string): Partial<ServiceError> {
  return { code, details, message: details };
}

export function deadlineIn(ms: number): Date {
  return new Date(Date.now() + ms);
}
