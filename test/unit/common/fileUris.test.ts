import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import {
  CheckpointPathError,
  checkLocalLocationSync,
  checkpointLocationPath,
  resolveCheckpointLocation,
  UnsupportedFileSystemSchemeError,
} from '../../../src/common/fileUris.js';

const WHAT = 'savepoint target directory';

t.test('absolute paths and absolute file: URIs are local paths', async (t) => {
  const accepted: Array<[string, string]> = [
    ['/x', '/x'],
    ['/tmp/savepoints/', '/tmp/savepoints'],
    ['/tmp//a/./b', '/tmp/a/b'],
    ['file:///x', '/x'],
    ['file:/x', '/x'],
    ['file://localhost/x/y', '/x/y'],
    ['FILE:///x', '/x'],
  ];
  for (const [location, path] of accepted) t.equal(checkpointLocationPath(location, WHAT), path, location);
});

t.test('other schemes, relative paths, hosts, the root and pseudo-file systems are refused', async (t) => {
  const refused: Array<[string, RegExp, typeof CheckpointPathError]> = [
    ['hdfs://namenode:8020/flink/savepoints', /^Could not find a file system implementation for scheme 'hdfs'\./, UnsupportedFileSystemSchemeError],
    ['s3://bucket/key', /^Could not find a file system implementation for scheme 's3'\./, UnsupportedFileSystemSchemeError],
    ['http://example.com/x', /scheme 'http'/, UnsupportedFileSystemSchemeError],
    ['savepoints', /'savepoints' is a relative path/, CheckpointPathError],
    ['./savepoints', /is a relative path/, CheckpointPathError],
    ['../../etc', /is a relative path/, CheckpointPathError],
    ['file:savepoints', /is a relative path/, CheckpointPathError],
    ['file://otherhost/x', /names the host 'otherhost'/, CheckpointPathError],
    ['', /must not be empty/, CheckpointPathError],
    ['/tmp/a\0b', /NUL character/, CheckpointPathError],
    ['/', /Cannot use the root directory for checkpoints/, CheckpointPathError],
    ['file:///', /Cannot use the root directory/, CheckpointPathError],
    ['/proc/self', /is on a pseudo-file system/, CheckpointPathError],
    ['/proc', /pseudo-file system/, CheckpointPathError],
    ['/sys/kernel', /pseudo-file system/, CheckpointPathError],
    ['/dev/shm', /pseudo-file system/, CheckpointPathError],
    ['file:///dev/shm/x', /pseudo-file system/, CheckpointPathError],
    ['/tmp/../proc/self', /pseudo-file system \(it resolves to \/proc\/self\)/, CheckpointPathError],
  ];
  for (const [location, message, type] of refused) {
    t.throws(() => checkpointLocationPath(location, WHAT), type, location);
    t.throws(() => checkpointLocationPath(location, WHAT), { message }, location);
  }
  t.equal(checkpointLocationPath('/devices/x', WHAT), '/devices/x', '/devices is not under /dev');
  t.equal(checkpointLocationPath('/process', WHAT), '/process', '/process is not under /proc');
});

t.test('a path whose symbolic links lead to a pseudo-file system is refused, also for directories still to be created', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fileuris-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  symlinkSync('/proc/self', join(dir, 'to-proc'));
  symlinkSync('/dev/shm', join(dir, 'to-shm'));
  symlinkSync(join(dir, 'to-proc'), join(dir, 'to-to-proc'));
  symlinkSync(join(dir, 'loop-a'), join(dir, 'loop-b'));
  symlinkSync(join(dir, 'loop-b'), join(dir, 'loop-a'));
  mkdirSync(join(dir, 'real'));
  writeFileSync(join(dir, 'a-file'), 'x');

  for (const target of ['to-proc', 'to-proc/savepoints/new', 'to-shm', 'to-to-proc/x']) {
    const location = join(dir, target);
    await t.rejects(resolveCheckpointLocation(location, WHAT), { name: 'CheckpointPathError', message: /is on a pseudo-file system \(it resolves to \/(proc|dev)\// }, target);
    t.throws(() => checkLocalLocationSync(location, location, WHAT), { message: /pseudo-file system/ }, `${target} (start-up check)`);
  }
  await t.rejects(resolveCheckpointLocation(join(dir, 'loop-a', 'x'), WHAT), { message: /too many levels of symbolic links/ });
  await t.rejects(resolveCheckpointLocation(join(dir, 'a-file', 'x'), WHAT), { message: /a part of it is not a directory/ });

  t.equal(await resolveCheckpointLocation(join(dir, 'real'), WHAT), join(dir, 'real'), 'an existing directory');
  t.equal(await resolveCheckpointLocation(`file://${join(dir, 'real', 'not', 'yet')}`, WHAT), join(dir, 'real', 'not', 'yet'), 'one to be created');
  t.equal(checkLocalLocationSync(join(dir, 'new'), join(dir, 'new'), WHAT), join(dir, 'new'));
});
