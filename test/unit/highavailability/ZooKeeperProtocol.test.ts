import t from 'tap';
import { JuteReader, JuteWriter } from '../../../src/highavailability/zookeeper/jute.js';
import { ErrorCode, OpCode, ZooKeeperError, readMultiResults, writeMulti } from '../../../src/highavailability/zookeeper/protocol.js';
import { parseQuorum } from '../../../src/highavailability/zookeeper/ZooKeeperClient.js';

function body(writer: JuteWriter): JuteReader {
  return new JuteReader(writer.toFrame().subarray(4));
}

t.test('Jute: big-endian ints and longs, length-prefixed buffers and strings (-1 for null), framed by length', async (t) => {
  const writer = new JuteWriter().int(-2).long(0x0102030405060708n).bool(true).string('päth').bytes(null).strings(['a', 'b']);
  const frame = writer.toFrame();
  t.equal(frame.readInt32BE(0), frame.length - 4);
  t.same([...frame.subarray(4, 16)], [0xff, 0xff, 0xff, 0xfe, 1, 2, 3, 4, 5, 6, 7, 8]);
  const reader = body(writer);
  t.equal(reader.int(), -2);
  t.equal(reader.long(), 0x0102030405060708n);
  t.equal(reader.bool(), true);
  t.equal(reader.string(), 'päth');
  t.equal(reader.bytes(), null);
  t.same(reader.strings(), ['a', 'b']);
  t.equal(reader.remaining, 0);
  t.throws(() => reader.int(), { name: 'JuteDecodingError' }, 'reading past the end is an error, not garbage');
  t.throws(() => body(new JuteWriter().int(1_000_000)).strings(), { name: 'JuteDecodingError' }, 'a vector longer than its packet');
});

t.test('multi: operations behind headers, closed by a done header; results or the first real failure', async (t) => {
  const ops = [
    { type: 'check', path: '/latch', version: 3 },
    { type: 'create', path: '/x', data: Buffer.from('d'), mode: 'EPHEMERAL' },
  ] as const;
  const writer = new JuteWriter();
  writeMulti(writer, ops);
  const reader = body(writer);
  t.same([reader.int(), reader.bool(), reader.int(), reader.string(), reader.int()], [OpCode.check, false, -1, '/latch', 3]);
  t.same([reader.int(), reader.bool(), reader.int(), reader.string()], [OpCode.create, false, -1, '/x']);

  const ok = new JuteWriter().int(OpCode.check).bool(false).int(0).int(OpCode.create).bool(false).int(0).string('/x').int(-1).bool(true).int(-1);
  t.same(readMultiResults(body(ok), ops), [{ type: 'check' }, { type: 'create', path: '/x' }]);

  // ZooKeeper answers a failed multi with an error result per operation: OK before the failure, the failure's code,
  // RUNTIMEINCONSISTENCY after it.
  const failed = new JuteWriter()
    .int(OpCode.error).bool(false).int(ErrorCode.BADVERSION).int(ErrorCode.BADVERSION)
    .int(OpCode.error).bool(false).int(ErrorCode.RUNTIMEINCONSISTENCY).int(ErrorCode.RUNTIMEINCONSISTENCY)
    .int(-1).bool(true).int(-1);
  t.same(readMultiResults(body(failed), ops), { index: 0, errorCode: ErrorCode.BADVERSION });
});

t.test('errors carry ZooKeeper’s code names', async (t) => {
  const error = new ZooKeeperError(ErrorCode.NONODE, '/flink/default/leader');
  t.equal(error.code, 'NONODE');
  t.equal(error.message, 'KeeperErrorCode = NONODE for /flink/default/leader');
  t.equal(new ZooKeeperError(-9999).code, 'SYSTEMERROR', 'an unknown code is a system error');
});

t.test('the quorum: host:port entries, 2181 by default, IPv6 in brackets; a chroot or a bad port is refused', async (t) => {
  t.same(parseQuorum('zk1:2181, zk2 ,[::1]:2182'), [
    { host: 'zk1', port: 2181 },
    { host: 'zk2', port: 2181 },
    { host: '::1', port: 2182 },
  ]);
  t.throws(() => parseQuorum(''), /quorum is empty/);
  t.throws(() => parseQuorum('zk1:2181/flink'), /set high-availability.zookeeper.path.root instead/);
  t.throws(() => parseQuorum('zk1:99999'), /is not host:port/);
});
