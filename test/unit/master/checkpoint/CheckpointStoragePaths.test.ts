import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Packr } from 'msgpackr';
import t, { type Test } from 'tap';
import { readCheckpoint, resolveSavepoint, writeMetadata, type CheckpointMetadata } from '../../../../src/master/checkpoint/CheckpointMetadata.js';
import {
  checkCheckpointIdForPath,
  checkJobIdForPath,
  discardCheckpointDirectory,
  disposeSavepoint,
  LOCAL_CHECKPOINT_STORAGE,
} from '../../../../src/master/checkpoint/CheckpointStorage.js';
import { StandaloneCompletedCheckpointStore } from '../../../../src/master/checkpoint/CompletedCheckpointStore.js';
import { checkStateFileName, decodeSubtaskState, decodeTaskRestore, encodeState } from '../../../../src/state/StateHandles.js';
import { testingLogger } from '../../../testing/runtime/TestingLogger.js';

const JOB_ID = 'ab'.repeat(16);
const OPERATOR = 'cd'.repeat(16);

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'checkpoint-paths-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function metadataNaming(fileNames: string[], isSavepoint = true): CheckpointMetadata {
  return {
    jobId: JOB_ID,
    checkpointId: 7,
    timestamp: 1,
    isSavepoint,
    operators: {
      [OPERATOR]: {
        parallelism: fileNames.length,
        maxParallelism: 128,
        subtasks: Object.fromEntries(
          fileNames.map((fileName, i) => [i, { keyed: [{ fileName, keyGroupRange: { startKeyGroup: 0, endKeyGroup: 127 }, offsets: [], size: 1, sha256: '00' }] }]),
        ),
      },
    },
  };
}

/** `_metadata` as a crafted one would be written: the format's framing around any names (writeMetadata refuses bad ones). */
function writeCraftedMetadata(directory: string, metadata: CheckpointMetadata): void {
  const body = new Packr({ useRecords: true, mapsAsObjects: false, moreTypes: true }).pack(metadata);
  const header = Buffer.alloc(8);
  Buffer.from('TSFK').copy(header, 0);
  header.writeUInt32BE(1, 4);
  writeFileSync(join(directory, '_metadata'), Buffer.concat([header, body, createHash('sha256').update(body).digest()]));
}

t.test('state file names: plain names only', async (t) => {
  t.equal(checkStateFileName(`${OPERATOR}-0-1.keyed`), `${OPERATOR}-0-1.keyed`);
  for (const bad of ['../../outside', '/etc/passwd', 'a/b', 'a\\b', '..', '.', 'a..b', 'x\0y', '']) {
    t.throws(() => checkStateFileName(bad), { name: 'IllegalStateFileNameError', message: /^Illegal state file name/ }, JSON.stringify(bad));
  }
  t.throws(() => checkStateFileName(42), { name: 'IllegalStateFileNameError' }, 'not a string');
});

t.test('bad state file names are refused when written, acknowledged, restored on a TaskManager, or read back', async (t) => {
  const dir = tempDir(t);
  await t.rejects(writeMetadata(dir, metadataNaming(['../../outside'])), { name: 'IllegalStateFileNameError' }, 'writeMetadata');
  t.notOk(existsSync(join(dir, '_metadata')));

  const ack = encodeState({ operators: { [OPERATOR]: { keyed: [{ fileName: '/etc/passwd', keyGroupRange: { startKeyGroup: 0, endKeyGroup: 1 }, offsets: [], size: 1, sha256: '' }] } } });
  t.throws(() => decodeSubtaskState(ack), { name: 'IllegalStateFileNameError' }, 'an acknowledgement');
  const restore = encodeState({
    checkpointId: 1,
    checkpointDirectory: dir,
    operators: { [OPERATOR]: { keyed: [{ fileName: '../x', keyGroupRange: { startKeyGroup: 0, endKeyGroup: 1 }, offsets: [], size: 1, sha256: '' }], splits: [], sinkWriters: [] } },
  });
  t.throws(() => decodeTaskRestore(restore), { name: 'IllegalStateFileNameError' }, 'a TaskRestore');

  writeFileSync(join(tmpdir(), 'outside-target-never-read'), 'x');
  t.teardown(() => rmSync(join(tmpdir(), 'outside-target-never-read'), { force: true }));
  writeCraftedMetadata(dir, metadataNaming(['../outside-target-never-read']));
  await t.rejects(readCheckpoint(dir), { message: /cannot be used: Illegal state file name "..\/outside-target-never-read"/ }, 'restore reads nothing outside');
  await t.rejects(resolveSavepoint(`file://${dir}`), { message: /Illegal state file name/ });
});

t.test('a restore never reads a state file that is a symbolic link', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'elsewhere'), 'x');
  symlinkSync(join(dir, 'elsewhere'), join(dir, 'state.keyed'));
  writeCraftedMetadata(dir, metadataNaming(['state.keyed']));
  await t.rejects(readCheckpoint(dir), { message: /State file .*state\.keyed of operator .* is unusable: it is not a regular file/ });
});

t.test('restore paths are checked as every location is', async (t) => {
  await t.rejects(resolveSavepoint('hdfs://nn/savepoints/savepoint-1'), { name: 'UnsupportedFileSystemSchemeError', message: /scheme 'hdfs'/ });
  await t.rejects(resolveSavepoint('savepoints/savepoint-1'), { message: /is a relative path/ });
  await t.rejects(resolveSavepoint('/proc/self/fd'), { message: /pseudo-file system/ });
});

t.test('disposal deletes the state files and _metadata, then the empty directory; links are unlinked, never followed', async (t) => {
  const dir = tempDir(t);
  const outside = join(dir, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'precious'), 'keep me');
  const savepoint = join(dir, 'savepoints', 'savepoint-ababab-000000000000');
  mkdirSync(savepoint, { recursive: true });
  writeFileSync(join(savepoint, 'a.keyed'), 'state');
  symlinkSync(join(outside, 'precious'), join(savepoint, 'link.keyed'));
  symlinkSync(outside, join(savepoint, 'dirlink.keyed'));
  writeCraftedMetadata(savepoint, metadataNaming(['a.keyed', 'link.keyed', 'dirlink.keyed', 'missing.keyed']));

  const result = await disposeSavepoint(`file://${savepoint}`);
  t.match(result, { directory: savepoint, removedDirectory: true });
  t.notOk(existsSync(savepoint), 'the savepoint is gone');
  t.equal(readFileSync(join(outside, 'precious'), 'utf8'), 'keep me', 'what a link pointed at is untouched');
  t.ok(lstatSync(outside).isDirectory(), 'the directory a link pointed at is untouched');
  t.ok(existsSync(join(dir, 'savepoints')), 'the target directory stays');
});

t.test('disposal keeps files the metadata does not name, and with them the directory', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'a.keyed'), 'state');
  writeFileSync(join(dir, 'notes.txt'), 'mine');
  mkdirSync(join(dir, 'sub.keyed'));
  writeFileSync(join(dir, 'sub.keyed', 'inner'), 'x');
  writeCraftedMetadata(dir, metadataNaming(['a.keyed', 'sub.keyed']));

  const result = await disposeSavepoint(dir);
  t.match(result, { removedDirectory: false, kept: ['sub.keyed'] });
  t.notOk(existsSync(join(dir, 'a.keyed')));
  t.notOk(existsSync(join(dir, '_metadata')));
  t.equal(readFileSync(join(dir, 'notes.txt'), 'utf8'), 'mine');
  t.ok(existsSync(join(dir, 'sub.keyed', 'inner')), 'a named directory is not recursed into');
});

t.test('disposal of a crafted _metadata naming ../../outside deletes nothing at all', async (t) => {
  const dir = tempDir(t);
  const victim = join(dir, 'victim');
  writeFileSync(victim, 'keep me');
  const savepoint = join(dir, 'a', 'b');
  mkdirSync(savepoint, { recursive: true });
  writeFileSync(join(savepoint, 'a.keyed'), 'state');
  writeCraftedMetadata(savepoint, metadataNaming(['a.keyed', '../../victim']));

  await t.rejects(disposeSavepoint(savepoint), { message: /Illegal state file name "..\/..\/victim"/ });
  t.equal(readFileSync(victim, 'utf8'), 'keep me');
  t.ok(existsSync(join(savepoint, 'a.keyed')), 'nothing is deleted once a name is refused');
  t.ok(existsSync(join(savepoint, '_metadata')));
  await t.rejects(discardCheckpointDirectory(savepoint, ['a.keyed', '/etc/hostname']), { name: 'IllegalStateFileNameError' });
  t.ok(existsSync(join(savepoint, 'a.keyed')));
});

t.test('disposal refuses what is no savepoint directory', async (t) => {
  const dir = tempDir(t);
  const real = join(dir, 'real');
  mkdirSync(real);
  writeCraftedMetadata(real, metadataNaming([]));
  symlinkSync(real, join(dir, 'link'));
  await t.rejects(disposeSavepoint(join(dir, 'link')), { message: /is a symbolic link/ });
  t.ok(existsSync(join(real, '_metadata')));

  const withLinkedMetadata = join(dir, 'linked-metadata');
  mkdirSync(withLinkedMetadata);
  symlinkSync(join(real, '_metadata'), join(withLinkedMetadata, '_metadata'));
  await t.rejects(disposeSavepoint(withLinkedMetadata), { message: /Cannot find meta data file '_metadata'/ });
  t.ok(existsSync(join(real, '_metadata')));

  const checkpoint = join(dir, 'chk-3');
  mkdirSync(checkpoint);
  writeCraftedMetadata(checkpoint, metadataNaming([], false));
  await t.rejects(disposeSavepoint(checkpoint), { message: /is a checkpoint, not a savepoint/ });

  await t.rejects(disposeSavepoint('s3://bucket/savepoint'), { message: /scheme 's3'/ });
  await t.rejects(disposeSavepoint('relative/savepoint'), { message: /relative path/ });
  await t.rejects(disposeSavepoint('/proc/self/cwd'), { message: /pseudo-file system/ });
  await t.rejects(disposeSavepoint(join(dir, 'nothing-here')), { message: /Cannot find checkpoint or savepoint file\/directory/ });

  t.same((await disposeSavepoint(join(real, '_metadata'))).removedDirectory, true, 'its _metadata file names it too');
});

t.test('subsumed checkpoints are discarded by their state files, never recursively', async (t) => {
  const dir = tempDir(t);
  const { log, sink } = testingLogger('JobManager');
  const store = new StandaloneCompletedCheckpointStore(1, log);
  const outside = join(dir, 'outside');
  writeFileSync(outside, 'keep me');
  const chk1 = join(dir, 'chk-1');
  mkdirSync(chk1);
  writeFileSync(join(chk1, 's.keyed'), 'x');
  symlinkSync(outside, join(chk1, 'l.keyed'));
  await writeMetadata(chk1, metadataNaming(['s.keyed', 'l.keyed'], false));
  const chk2 = join(dir, 'chk-2');
  mkdirSync(chk2);
  writeFileSync(join(chk2, 's.keyed'), 'x');
  writeFileSync(join(chk2, 'unexpected'), 'x');
  await writeMetadata(chk2, metadataNaming(['s.keyed'], false));

  await store.addCheckpoint({ checkpointId: 1, timestamp: 1, directory: chk1, stateFiles: ['s.keyed', 'l.keyed'] });
  await store.addCheckpoint({ checkpointId: 2, timestamp: 2, directory: chk2 });
  t.notOk(existsSync(chk1), 'checkpoint 1 is subsumed and removed');
  t.equal(readFileSync(outside, 'utf8'), 'keep me');
  await store.addCheckpoint({ checkpointId: 3, timestamp: 3, directory: join(dir, 'chk-3'), stateFiles: [] });
  t.ok(existsSync(join(chk2, 'unexpected')), 'checkpoint 2 (names read back from its _metadata) keeps a file it does not name');
  t.notOk(existsSync(join(chk2, 's.keyed')));
  t.equal(sink.matching(/Kept the directory of checkpoint 2/).length, 1);
});

t.test('locations are created one component at a time; ids that name directories are checked', async (t) => {
  const dir = tempDir(t);
  await LOCAL_CHECKPOINT_STORAGE.initializeLocation(join(dir, 'a', 'b', 'c'));
  t.ok(lstatSync(join(dir, 'a', 'b', 'c')).isDirectory());
  writeFileSync(join(dir, 'file'), 'x');
  await t.rejects(LOCAL_CHECKPOINT_STORAGE.initializeLocation(join(dir, 'file', 'x')), /file exists and is not a directory/);
  symlinkSync(join(dir, 'a'), join(dir, 'link'));
  await t.rejects(LOCAL_CHECKPOINT_STORAGE.initializeLocation(join(dir, 'link')), /is not a directory/, 'the location itself is never a link');
  t.equal(readlinkSync(join(dir, 'link')), join(dir, 'a'));
  // Node's recursive mkdir never settles here; this one fails at once.
  await t.rejects(LOCAL_CHECKPOINT_STORAGE.initializeLocation('/proc/self/x/y'), { code: 'ENOENT' });

  t.equal(checkJobIdForPath(JOB_ID), JOB_ID);
  for (const bad of ['../../etc', 'AB'.repeat(16), 'ab'.repeat(15), `${'ab'.repeat(15)}/x`]) t.throws(() => checkJobIdForPath(bad), { message: /Illegal job id/ }, bad);
  t.equal(checkCheckpointIdForPath(12), 12);
  for (const bad of [-1, 1.5, Number.NaN, 2 ** 60]) t.throws(() => checkCheckpointIdForPath(bad), { message: /Illegal checkpoint id/ }, String(bad));
});
