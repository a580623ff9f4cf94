import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { Configuration } from '../../../../src/common/config/Configuration.js';
import { checkCheckpointDirectoryOptions, checkpointCoordinatorConfiguration } from '../../../../src/master/checkpoint/CheckpointCoordinatorConfiguration.js';

const JOB_ID = '12'.repeat(16);
const configuration = (entries: Record<string, string>) => new Configuration(Object.entries(entries));

t.test('usable checkpoint and savepoint directories pass the start-up check', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'checkpoint-options-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  t.doesNotThrow(() => checkCheckpointDirectoryOptions(configuration({})));
  t.doesNotThrow(() => checkCheckpointDirectoryOptions(configuration({ 'execution.checkpointing.savepoint-dir': '' })), 'empty is unset');
  t.doesNotThrow(() =>
    checkCheckpointDirectoryOptions(configuration({ 'execution.checkpointing.dir': `file://${dir}/checkpoints`, 'execution.checkpointing.savepoint-dir': `${dir}/savepoints` })),
  );
  const config = checkpointCoordinatorConfiguration(configuration({ 'execution.checkpointing.dir': `file://${dir}/checkpoints/` }), JOB_ID, 1000, '/unused');
  t.equal(config.jobDirectory, join(dir, 'checkpoints', JOB_ID));
});

t.test('a directory that cannot be used stops the start with the key, the value and why', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'checkpoint-options-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  symlinkSync('/sys/kernel', join(dir, 'to-sys'));
  const bad: Array<[string, string, RegExp]> = [
    ['execution.checkpointing.dir', 'hdfs://namenode/flink/checkpoints', /^Invalid value 'hdfs:\/\/namenode\/flink\/checkpoints' for key 'execution.checkpointing.dir': Could not find a file system implementation for scheme 'hdfs'/],
    ['execution.checkpointing.savepoint-dir', 's3://bucket/savepoints', /for key 'execution.checkpointing.savepoint-dir': Could not find a file system implementation for scheme 's3'/],
    ['execution.checkpointing.dir', 'checkpoints', /is a relative path/],
    ['state.savepoints.dir', '/proc/self/savepoints', /for key 'execution.checkpointing.savepoint-dir': .*pseudo-file system/],
    ['execution.checkpointing.dir', 'file:///', /Cannot use the root directory/],
    ['execution.checkpointing.savepoint-dir', join(dir, 'to-sys', 'x'), /pseudo-file system \(it resolves to \/sys\/kernel\/x\)/],
  ];
  for (const [key, value, message] of bad) {
    t.throws(() => checkCheckpointDirectoryOptions(configuration({ [key]: value })), { name: 'IllegalConfigurationError', message }, `${key}: ${value}`);
  }
  t.throws(() => checkpointCoordinatorConfiguration(configuration({ 'execution.checkpointing.dir': 's3://b/k' }), JOB_ID, 1000, '/unused'), { name: 'IllegalConfigurationError' });
  t.throws(() => checkpointCoordinatorConfiguration(configuration({}), '../../etc', 1000, '/tmp/x'), { message: /Illegal job id '..\/..\/etc'/ });
});
