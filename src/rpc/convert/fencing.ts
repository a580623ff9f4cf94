import { Metadata } from '@grpc/grpc-js';

/**
 * The fencing tokens of the JobManager's calls to a TaskExecutor, as gRPC metadata (Flink fences these RPCs with a
 * ResourceManagerId / JobMasterId): the id of the ResourceManager the TaskExecutor registered with, and the
 * registration's id, a secret only the two know. See proto/tsflink/taskexecutor/v1/taskexecutor.proto.
 */
export const RESOURCE_MANAGER_ID_KEY = 'tsflink-resource-manager-id';
export const REGISTRATION_ID_KEY = 'tsflink-registration-id';

export interface FencingTokens {
  resourceManagerId: string;
  registrationId: string;
}

export function fencingToMetadata(tokens: FencingTokens): Metadata {
  const metadata = new Metadata();
  metadata.set(RESOURCE_MANAGER_ID_KEY, tokens.resourceManagerId);
  metadata.set(REGISTRATION_ID_KEY, tokens.registrationId);
  return metadata;
}

/** The tokens a call carries; empty strings for a missing (or repeated, or binary) entry. */
export function fencingFromMetadata(metadata: Metadata): FencingTokens {
  const single = (key: string) => {
    const values = metadata.get(key);
    return values.length === 1 && typeof values[0] === 'string' ? values[0] : '';
  };
  return { resourceManagerId: single(RESOURCE_MANAGER_ID_KEY), registrationId: single(REGISTRATION_ID_KEY) };
}
