import type { Configuration } from '../common/config/Configuration.js';
import { HighAvailabilityOptions } from '../common/config/options.js';
import { IllegalConfigurationError } from '../common/errors.js';

export type HighAvailabilityMode = 'NONE' | 'ZOOKEEPER';

/**
 * high-availability.type, checked: `none` (the default; also Flink's older `NONE`) or `zookeeper`, which needs
 * high-availability.zookeeper.quorum and high-availability.storageDir. Anything else (kubernetes, a factory class)
 * is refused with the key named.
 */
export function highAvailabilityMode(config: Configuration): HighAvailabilityMode {
  const type = config.get(HighAvailabilityOptions.TYPE).trim().toLowerCase();
  if (type === 'none') return 'NONE';
  if (type !== 'zookeeper') {
    throw new IllegalConfigurationError(`high-availability.type is '${type}': tsflink supports none and zookeeper.`);
  }
  for (const option of [HighAvailabilityOptions.ZOOKEEPER_QUORUM, HighAvailabilityOptions.STORAGE_DIR]) {
    if (!config.get(option)?.trim()) throw new IllegalConfigurationError(`high-availability.type is zookeeper, but ${option.key} is not set.`);
  }
  return 'ZOOKEEPER';
}
