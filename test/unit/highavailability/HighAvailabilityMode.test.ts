import t from 'tap';
import { Configuration } from '../../../src/common/config/Configuration.js';
import { highAvailabilityMode } from '../../../src/highavailability/HighAvailabilityMode.js';

const config = (entries: Record<string, string>) => new Configuration(Object.entries(entries));

t.test('high-availability.type: none by default, also under Flink’s older keys; zookeeper needs a quorum and a storage dir', async (t) => {
  t.equal(highAvailabilityMode(config({})), 'NONE');
  t.equal(highAvailabilityMode(config({ 'high-availability': 'NONE' })), 'NONE');
  t.equal(highAvailabilityMode(config({ 'high-availability.type': 'zookeeper', 'high-availability.zookeeper.quorum': 'zk:2181', 'high-availability.storageDir': 'file:///ha' })), 'ZOOKEEPER');
  t.throws(() => highAvailabilityMode(config({ 'high-availability.type': 'zookeeper', 'high-availability.storageDir': 'file:///ha' })), /high-availability\.zookeeper\.quorum is not set/);
  t.throws(() => highAvailabilityMode(config({ 'high-availability.type': 'zookeeper', 'high-availability.zookeeper.quorum': 'zk:2181' })), /high-availability\.storageDir is not set/);
  t.throws(() => highAvailabilityMode(config({ 'high-availability.type': 'kubernetes' })), /'kubernetes': tsflink supports none and zookeeper/);
});
