import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { ClusterConfig } from './types';

/** GET ./config, read once at boot; `undefined` until it answered (or when it failed). */
export const ConfigContext = createContext<ClusterConfig | undefined>(undefined);

export function useClusterConfig(): ClusterConfig | undefined {
  return useContext(ConfigContext);
}
