import { JuteReader, JuteWriter } from './jute.js';

/**
 * The records of ZooKeeper's client protocol that tsflink uses (zookeeper.jute): the connect handshake, request and
 * reply headers, create/delete/exists/getData/setData/getChildren, multi, setWatches and watch events.
 */

export const OpCode = {
  notification: 0,
  create: 1,
  delete: 2,
  exists: 3,
  getData: 4,
  setData: 5,
  getChildren: 8,
  ping: 11,
  check: 13,
  multi: 14,
  closeSession: -11,
  setWatches: 101,
  error: -1,
} as const;

/** Reserved xids of packets that answer no request of the client's own. */
export const Xid = { notification: -1, ping: -2, setWatches: -8 } as const;

/** ZooKeeper's KeeperException codes, by name. */
export const ErrorCode = {
  OK: 0,
  SYSTEMERROR: -1,
  RUNTIMEINCONSISTENCY: -2,
  DATAINCONSISTENCY: -3,
  CONNECTIONLOSS: -4,
  MARSHALLINGERROR: -5,
  UNIMPLEMENTED: -6,
  OPERATIONTIMEOUT: -7,
  BADARGUMENTS: -8,
  UNKNOWNSESSION: -12,
  APIERROR: -100,
  NONODE: -101,
  NOAUTH: -102,
  BADVERSION: -103,
  NOCHILDRENFOREPHEMERALS: -108,
  NODEEXISTS: -110,
  NOTEMPTY: -111,
  SESSIONEXPIRED: -112,
  INVALIDACL: -114,
  AUTHFAILED: -115,
  SESSIONMOVED: -118,
  NOTREADONLY: -119,
  REQUESTTIMEOUT: -122,
  QUOTAEXCEEDED: -125,
  THROTTLEDOP: -127,
} as const;
export type ErrorCodeName = keyof typeof ErrorCode;

const ERROR_NAMES = new Map<number, ErrorCodeName>(Object.entries(ErrorCode).map(([name, code]) => [code, name as ErrorCodeName]));

/** A request ZooKeeper refused, or one whose connection was lost (CONNECTIONLOSS: it may or may not have taken effect). */
export class ZooKeeperError extends Error {
  readonly code: ErrorCodeName;

  constructor(
    readonly errorCode: number,
    readonly path?: string,
    message?: string,
  ) {
    const name = ERROR_NAMES.get(errorCode) ?? 'SYSTEMERROR';
    super(message ?? `KeeperErrorCode = ${name}${path === undefined ? '' : ` for ${path}`}`);
    this.name = 'ZooKeeperError';
    this.code = ERROR_NAMES.has(errorCode) ? name : 'SYSTEMERROR';
  }
}

/** Whether `error` is a ZooKeeperError with the code `code`. */
export function isZooKeeperError(error: unknown, code: ErrorCodeName): error is ZooKeeperError {
  return error instanceof ZooKeeperError && error.code === code;
}

export interface Stat {
  czxid: bigint;
  mzxid: bigint;
  ctime: number;
  mtime: number;
  version: number;
  cversion: number;
  aversion: number;
  /** The session owning an ephemeral node, 0n for a persistent one. */
  ephemeralOwner: bigint;
  dataLength: number;
  numChildren: number;
  pzxid: bigint;
}

export function readStat(reader: JuteReader): Stat {
  return {
    czxid: reader.long(),
    mzxid: reader.long(),
    ctime: Number(reader.long()),
    mtime: Number(reader.long()),
    version: reader.int(),
    cversion: reader.int(),
    aversion: reader.int(),
    ephemeralOwner: reader.long(),
    dataLength: reader.int(),
    numChildren: reader.int(),
    pzxid: reader.long(),
  };
}

export type CreateMode = 'PERSISTENT' | 'EPHEMERAL' | 'PERSISTENT_SEQUENTIAL' | 'EPHEMERAL_SEQUENTIAL';
const CREATE_FLAGS: Record<CreateMode, number> = { PERSISTENT: 0, EPHEMERAL: 1, PERSISTENT_SEQUENTIAL: 2, EPHEMERAL_SEQUENTIAL: 3 };

/** world:anyone with every permission (OPEN_ACL_UNSAFE): who may reach the ensemble is decided by its network. */
function writeOpenAcl(writer: JuteWriter): void {
  writer.int(1).int(31).string('world').string('anyone');
}

/** One operation of a multi (a ZooKeeper transaction): all of them take effect, or none. */
export type Op =
  | { type: 'create'; path: string; data: Uint8Array; mode: CreateMode }
  | { type: 'delete'; path: string; version: number }
  | { type: 'setData'; path: string; data: Uint8Array; version: number }
  | { type: 'check'; path: string; version: number };

export type OpResult = { type: 'create'; path: string } | { type: 'delete' } | { type: 'setData'; stat: Stat } | { type: 'check' };

export function writeOp(writer: JuteWriter, op: Op): void {
  switch (op.type) {
    case 'create':
      writer.string(op.path).bytes(op.data);
      writeOpenAcl(writer);
      writer.int(CREATE_FLAGS[op.mode]);
      return;
    case 'delete':
    case 'check':
      writer.string(op.path).int(op.version);
      return;
    case 'setData':
      writer.string(op.path).bytes(op.data).int(op.version);
      return;
  }
}

export function writeMulti(writer: JuteWriter, ops: readonly Op[]): void {
  for (const op of ops) {
    writer.int(OpCode[op.type]).bool(false).int(-1);
    writeOp(writer, op);
  }
  writer.int(-1).bool(true).int(-1);
}

/**
 * The results of a multi, or the error of the first operation that failed (ZooKeeper answers a failed multi with an
 * error result for every operation: the failing one carries its code, the others OK or RUNTIMEINCONSISTENCY).
 */
export function readMultiResults(reader: JuteReader, ops: readonly Op[]): OpResult[] | { index: number; errorCode: number } {
  const results: OpResult[] = [];
  let failure: { index: number; errorCode: number } | undefined;
  for (let index = 0; ; index++) {
    const type = reader.int();
    const done = reader.bool();
    const err = reader.int();
    if (done) break;
    switch (type) {
      case OpCode.create:
        results.push({ type: 'create', path: reader.string() ?? '' });
        break;
      case OpCode.delete:
        results.push({ type: 'delete' });
        break;
      case OpCode.setData:
        results.push({ type: 'setData', stat: readStat(reader) });
        break;
      case OpCode.check:
        results.push({ type: 'check' });
        break;
      case OpCode.error: {
        const code = reader.int();
        if (failure === undefined && code !== ErrorCode.OK && code !== ErrorCode.RUNTIMEINCONSISTENCY) failure = { index, errorCode: code };
        break;
      }
      default:
        throw new ZooKeeperError(ErrorCode.MARSHALLINGERROR, ops[index]?.path, `unexpected result type ${type} (err ${err}) in a multi`);
    }
  }
  return failure ?? results;
}

export type WatchEventType = 'NodeCreated' | 'NodeDeleted' | 'NodeDataChanged' | 'NodeChildrenChanged';
const WATCH_EVENT_TYPES: Record<number, WatchEventType> = { 1: 'NodeCreated', 2: 'NodeDeleted', 3: 'NodeDataChanged', 4: 'NodeChildrenChanged' };

export interface WatchedEvent {
  type: WatchEventType;
  path: string;
}

/** A watch notification's body, or undefined for an event tsflink does not watch for. */
export function readWatchedEvent(reader: JuteReader): WatchedEvent | undefined {
  const type = WATCH_EVENT_TYPES[reader.int()];
  reader.int(); // keeper state: always SyncConnected for a node event
  const path = reader.string() ?? '';
  return type === undefined ? undefined : { type, path };
}

export interface ConnectRequest {
  lastZxidSeen: bigint;
  timeoutMs: number;
  sessionId: bigint;
  password: Buffer;
}

export function writeConnectRequest(writer: JuteWriter, request: ConnectRequest): void {
  writer.int(0).long(request.lastZxidSeen).int(request.timeoutMs).long(request.sessionId).bytes(request.password).bool(false);
}

export interface ConnectResponse {
  /** The negotiated session timeout; 0 or less when the session the client asked to resume has expired. */
  timeoutMs: number;
  sessionId: bigint;
  password: Buffer;
}

export function readConnectResponse(reader: JuteReader): ConnectResponse {
  reader.int(); // protocol version
  const timeoutMs = reader.int();
  const sessionId = reader.long();
  const password = reader.bytes() ?? Buffer.alloc(16);
  return { timeoutMs, sessionId, password };
}
