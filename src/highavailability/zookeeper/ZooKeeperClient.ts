import { Socket, connect } from 'node:net';
import type { Logger } from '../../common/Logger.js';
import { type Clock, SystemClock } from '../../common/time/Clock.js';
import { type ScheduledExecutor, type ScheduledTask, SystemScheduledExecutor } from '../../common/time/ScheduledExecutor.js';
import { JuteReader, JuteWriter } from './jute.js';
import {
  type CreateMode,
  ErrorCode,
  type Op,
  OpCode,
  type OpResult,
  type Stat,
  type WatchedEvent,
  Xid,
  ZooKeeperError,
  readConnectResponse,
  readMultiResults,
  readStat,
  readWatchedEvent,
  writeConnectRequest,
  writeMulti,
  writeOp,
} from './protocol.js';

/**
 * What the client's connection to the ensemble means for what was built on its session (Curator's states, which
 * Flink's ZooKeeper HA services read):
 * - CONNECTED: the first session is established.
 * - SUSPENDED: the connection is lost; the session may still live (its ephemeral nodes with it) or expire meanwhile.
 *   A leader must stop acting as one until it knows.
 * - RECONNECTED: connected again: to the same session (`sessionChanged` false: ephemeral nodes and watches kept), or
 *   to a new one after LOST (`sessionChanged` true: everything of the old session is gone).
 * - LOST: the session has expired — the ensemble said so, or the client was cut off for longer than the session
 *   timeout (then the ensemble has expired it, or is about to: nothing of it may be relied on).
 */
export type ConnectionState = 'CONNECTED' | 'SUSPENDED' | 'RECONNECTED' | 'LOST';
export type ConnectionStateListener = (state: ConnectionState, sessionChanged: boolean) => void;
export type Watcher = (event: WatchedEvent) => void;

/**
 * What the HA services use of a ZooKeeper session: ZooKeeperClient in production, an in-memory fake with a manual clock
 * in unit tests (test/testing/zookeeper/TestingZooKeeper).
 */
export interface ZooKeeperSession {
  readonly currentSessionId: bigint;
  hasFreshSession(): boolean;
  freshSessionRemainingMs(): number;
  onConnectionStateChange(listener: ConnectionStateListener): () => void;
  create(path: string, data?: Uint8Array, mode?: CreateMode): Promise<string>;
  createParents(path: string): Promise<void>;
  delete(path: string, version?: number): Promise<void>;
  exists(path: string, watcher?: Watcher): Promise<Stat | null>;
  getData(path: string, watcher?: Watcher): Promise<{ data: Buffer; stat: Stat }>;
  setData(path: string, data: Uint8Array, version?: number): Promise<Stat>;
  getChildren(path: string, watcher?: Watcher): Promise<string[]>;
  multi(ops: readonly Op[]): Promise<OpResult[]>;
}

export interface ZooKeeperClientOptions {
  /** `host:port[,host:port...]` (Flink's high-availability.zookeeper.quorum). */
  quorum: string;
  /** The session timeout asked for; the ensemble bounds it (by default 2 to 20 of its ticks). */
  sessionTimeoutMs: number;
  /** How long a request waits for a connection before it fails with CONNECTIONLOSS. */
  connectionTimeoutMs: number;
  logger: Logger;
  clock?: Clock;
  scheduler?: ScheduledExecutor;
}

interface PendingRequest {
  xid: number;
  path: string | undefined;
  /** Reads the reply's body (err is its header's error code); what it returns or throws settles the request. */
  read: (reader: JuteReader, err: number) => unknown;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/** Packets above this are refused (ZooKeeper's own default limit, jute.maxbuffer, is 1 MiB of data per node). */
const MAX_PACKET_BYTES = 16 * 1024 * 1024;

/**
 * A ZooKeeper client: one session over a connection to one server of the ensemble at a time, moved to another server
 * when the connection breaks, with the watches of the session carried over (SetWatches). Requests are answered in the
 * order they were sent; a request in flight when the connection breaks fails with CONNECTIONLOSS (it may or may not
 * have taken effect); one made while disconnected waits for the connection up to the connection timeout.
 *
 * Time is read from the injected clock: a process that was stopped (SIGSTOP) longer than the session timeout finds its
 * session LOST at its first timer tick after it resumes, before it may act on what the session held; `hasFreshSession`
 * tells callers that check before acting.
 */
export class ZooKeeperClient implements ZooKeeperSession {
  private readonly servers: { host: string; port: number }[];
  private readonly clock: Clock;
  private readonly scheduler: ScheduledExecutor;
  private readonly logger: Logger;

  private sessionId = 0n;
  private password: Buffer = Buffer.alloc(16);
  private negotiatedTimeoutMs: number;
  private lastZxid = 0n;
  private everConnected = false;
  private sessionLostSinceConnected = false;

  private socket: Socket | undefined;
  private connected = false;
  private closed = false;
  private nextXid = 1;
  private pending: PendingRequest[] = [];
  private waitingForConnection = new Set<{ ready: () => void; fail: (error: Error) => void }>();
  private lastHeardAt = 0;
  private lastSentAt = 0;
  private ticker: ScheduledTask | undefined;
  private nextServer = 0;
  private currentServer: string | undefined;
  private running: Promise<void> | undefined;

  private readonly listeners = new Set<ConnectionStateListener>();
  private readonly dataWatches = new Map<string, Set<Watcher>>();
  private readonly existWatches = new Map<string, Set<Watcher>>();
  private readonly childWatches = new Map<string, Set<Watcher>>();

  constructor(private readonly options: ZooKeeperClientOptions) {
    this.servers = parseQuorum(options.quorum);
    this.clock = options.clock ?? SystemClock;
    this.scheduler = options.scheduler ?? SystemScheduledExecutor;
    this.logger = options.logger;
    this.negotiatedTimeoutMs = options.sessionTimeoutMs;
    this.nextServer = Math.floor(Math.random() * this.servers.length);
  }

  /** Starts connecting; resolves once the first session is established, rejects after the connection timeout. */
  async start(): Promise<void> {
    if (this.running) return this.awaitConnection();
    this.running = this.connectLoop();
    return this.awaitConnection();
  }

  /** Closes the session (its ephemeral nodes go at once) and the connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.connected) {
      await Promise.race([
        this.request(OpCode.closeSession, undefined, () => undefined, undefined).catch(() => undefined),
        new Promise((resolve) => this.scheduler.schedule(1000, () => resolve(undefined))),
      ]);
    }
    this.closed = true;
    this.ticker?.cancel();
    this.socket?.destroy();
    for (const waiter of this.waitingForConnection) waiter.fail(new ZooKeeperError(ErrorCode.CONNECTIONLOSS, undefined, 'the ZooKeeper client is closed'));
    this.waitingForConnection.clear();
    await this.running;
  }

  onConnectionStateChange(listener: ConnectionStateListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The current session's id (0n before the first), as ephemeral nodes' `ephemeralOwner` names it. */
  get currentSessionId(): bigint {
    return this.sessionId;
  }

  /** `host:port` of the server the client is connected to, or undefined while it is not. */
  get connectedServer(): string | undefined {
    return this.connected ? this.currentServer : undefined;
  }

  /**
   * Whether the session is certainly alive now: the ensemble was heard from within the read timeout (two thirds of the
   * session timeout), connected or not — a session outlives its connection by the session timeout, and nobody else can
   * take what it holds before it expires. What a leader checks before each act of leadership.
   */
  hasFreshSession(): boolean {
    return this.sessionId !== 0n && this.clock.now() - this.lastHeardAt < this.readTimeoutMs();
  }

  /** How long from now the session stays certainly alive without news from the ensemble (0 when it is not). */
  freshSessionRemainingMs(): number {
    return this.sessionId === 0n ? 0 : Math.max(0, this.readTimeoutMs() - (this.clock.now() - this.lastHeardAt));
  }

  create(path: string, data: Uint8Array = Buffer.alloc(0), mode: CreateMode = 'PERSISTENT'): Promise<string> {
    return this.request(OpCode.create, (w) => writeOp(w, { type: 'create', path, data, mode }), (r) => r.string() ?? path, path);
  }

  /** Creates `path` and each missing parent as empty persistent nodes; an existing node is fine. */
  async createParents(path: string): Promise<void> {
    const parts = path.split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const prefix = `/${parts.slice(0, i).join('/')}`;
      if (await this.exists(prefix)) continue;
      await this.create(prefix).catch((error) => {
        if (!(error instanceof ZooKeeperError && error.code === 'NODEEXISTS')) throw error;
      });
    }
  }

  delete(path: string, version = -1): Promise<void> {
    return this.request(OpCode.delete, (w) => writeOp(w, { type: 'delete', path, version }), () => undefined, path);
  }

  /** The node's Stat, or null when it does not exist; a watcher fires on its creation, change or deletion. */
  exists(path: string, watcher?: Watcher): Promise<Stat | null> {
    return this.request(
      OpCode.exists,
      (w) => w.string(path).bool(watcher !== undefined),
      (r, err) => {
        if (err === ErrorCode.NONODE) {
          if (watcher) addWatch(this.existWatches, path, watcher);
          return null;
        }
        if (err !== ErrorCode.OK) throw new ZooKeeperError(err, path);
        if (watcher) addWatch(this.dataWatches, path, watcher);
        return readStat(r);
      },
      path,
      true,
    );
  }

  getData(path: string, watcher?: Watcher): Promise<{ data: Buffer; stat: Stat }> {
    return this.request(
      OpCode.getData,
      (w) => w.string(path).bool(watcher !== undefined),
      (r) => {
        if (watcher) addWatch(this.dataWatches, path, watcher);
        return { data: r.bytes() ?? Buffer.alloc(0), stat: readStat(r) };
      },
      path,
    );
  }

  setData(path: string, data: Uint8Array, version = -1): Promise<Stat> {
    return this.request(OpCode.setData, (w) => writeOp(w, { type: 'setData', path, data, version }), (r) => readStat(r), path);
  }

  getChildren(path: string, watcher?: Watcher): Promise<string[]> {
    return this.request(
      OpCode.getChildren,
      (w) => w.string(path).bool(watcher !== undefined),
      (r) => {
        if (watcher) addWatch(this.childWatches, path, watcher);
        return r.strings();
      },
      path,
    );
  }

  /** All of `ops` in one transaction; fails with the error of the first operation that failed, naming its path. */
  multi(ops: readonly Op[]): Promise<OpResult[]> {
    return this.request(
      OpCode.multi,
      (w) => writeMulti(w, ops),
      (r) => {
        const results = readMultiResults(r, ops);
        if (!Array.isArray(results)) throw new ZooKeeperError(results.errorCode, ops[results.index]?.path);
        return results;
      },
      ops[0]?.path,
    );
  }

  // -------------------------------------------------------------------------------------------------------------------
  // Requests

  private async request<T>(
    opCode: number,
    writeBody: ((writer: JuteWriter) => void) | undefined,
    read: (reader: JuteReader, err: number) => T,
    path: string | undefined,
    readsErrors = false,
  ): Promise<T> {
    if (this.closed) throw new ZooKeeperError(ErrorCode.CONNECTIONLOSS, path, 'the ZooKeeper client is closed');
    if (!this.connected) await this.awaitConnection(path);
    const socket = this.socket;
    if (!socket || !this.connected) throw new ZooKeeperError(ErrorCode.CONNECTIONLOSS, path);
    const xid = this.nextXid++;
    if (this.nextXid >= 0x7fffffff) this.nextXid = 1;
    const writer = new JuteWriter().int(xid).int(opCode);
    writeBody?.(writer);
    return new Promise<T>((resolve, reject) => {
      this.pending.push({
        xid,
        path,
        read: (reader, err) => {
          if (err !== ErrorCode.OK && !readsErrors) throw new ZooKeeperError(err, path);
          return read(reader, err);
        },
        resolve: resolve as (value: unknown) => void,
        reject,
      });
      this.send(socket, writer);
    });
  }

  private awaitConnection(path?: string): Promise<void> {
    if (this.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = {
        ready: () => {
          timeout.cancel();
          this.waitingForConnection.delete(waiter);
          resolve();
        },
        fail: (error: Error) => {
          timeout.cancel();
          this.waitingForConnection.delete(waiter);
          reject(error);
        },
      };
      const timeout = this.scheduler.schedule(this.options.connectionTimeoutMs, () =>
        waiter.fail(
          new ZooKeeperError(
            ErrorCode.CONNECTIONLOSS,
            path,
            `no connection to ZooKeeper (${this.options.quorum}) within ${this.options.connectionTimeoutMs} ms${path === undefined ? '' : ` for ${path}`}`,
          ),
        ),
      );
      this.waitingForConnection.add(waiter);
    });
  }

  private send(socket: Socket, writer: JuteWriter): void {
    this.lastSentAt = this.clock.now();
    socket.write(writer.toFrame());
  }

  // -------------------------------------------------------------------------------------------------------------------
  // The connection

  private async connectLoop(): Promise<void> {
    let failedInARow = 0;
    while (!this.closed) {
      this.checkClientSideExpiry();
      const server = this.servers[this.nextServer++ % this.servers.length]!;
      const established = await this.connectTo(server.host, server.port).catch((error: Error) => {
        this.logger.debug('Could not connect to ZooKeeper', { server: `${server.host}:${server.port}`, reason: error.message });
        return undefined;
      });
      if (!established) {
        failedInARow++;
        // After a round over every server, wait a little (up to a second) before the next round.
        if (failedInARow % this.servers.length === 0 && !this.closed) await this.delay(Math.min(1000, 50 * failedInARow));
        continue;
      }
      failedInARow = 0;
      await established;
    }
  }

  /** Connects and shakes hands; resolves (with a promise of the connection's end) once a session is established. */
  private connectTo(host: string, port: number): Promise<Promise<void>> {
    return new Promise((resolveEstablished, rejectEstablished) => {
      const socket = connect({ host, port, noDelay: true });
      this.socket = socket;
      let handshaking = true;
      let chunks: Buffer[] = [];
      let resolveEnded!: () => void;
      const ended = new Promise<void>((resolve) => (resolveEnded = resolve));
      const handshakeTimeoutMs = Math.max(1000, Math.floor(this.negotiatedTimeoutMs / this.servers.length));
      const handshakeTimer = this.scheduler.schedule(handshakeTimeoutMs, () => socket.destroy(new Error(`no handshake within ${handshakeTimeoutMs} ms`)));

      socket.on('connect', () => {
        const writer = new JuteWriter();
        writeConnectRequest(writer, {
          lastZxidSeen: this.lastZxid,
          timeoutMs: this.options.sessionTimeoutMs,
          sessionId: this.sessionId,
          password: this.password,
        });
        this.send(socket, writer);
      });
      socket.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        let data = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
        let offset = 0;
        try {
          while (data.length - offset >= 4) {
            const length = data.readInt32BE(offset);
            if (length < 0 || length > MAX_PACKET_BYTES) throw new Error(`a packet of ${length} bytes`);
            if (data.length - offset - 4 < length) break;
            const packet = data.subarray(offset + 4, offset + 4 + length);
            offset += 4 + length;
            this.lastHeardAt = this.clock.now();
            if (handshaking) {
              handshaking = false;
              handshakeTimer.cancel();
              if (!this.established(socket, host, port, readConnectResponse(new JuteReader(packet)))) {
                socket.destroy();
                return;
              }
              resolveEstablished(ended);
            } else {
              this.handlePacket(packet);
            }
          }
        } catch (error) {
          this.logger.warn('Closing a ZooKeeper connection that sent what cannot be read', { server: `${host}:${port}` }, error);
          socket.destroy();
          return;
        }
        data = data.subarray(offset);
        chunks = data.length ? [Buffer.from(data)] : [];
      });
      socket.on('error', () => undefined);
      socket.on('close', () => {
        handshakeTimer.cancel();
        if (this.socket === socket) this.socket = undefined;
        if (handshaking) {
          rejectEstablished(new Error('the connection closed before the handshake'));
          return;
        }
        this.disconnected(host, port);
        resolveEnded();
      });
    });
  }

  /** Takes the handshake's answer; false when the session asked for has expired (a new one is asked for next). */
  private established(socket: Socket, host: string, port: number, response: ReturnType<typeof readConnectResponse>): boolean {
    if (response.timeoutMs <= 0) {
      this.logger.warn('The ZooKeeper session has expired', { sessionId: hex(this.sessionId), server: `${host}:${port}` });
      this.sessionLost();
      return false;
    }
    const resumed = response.sessionId === this.sessionId;
    this.sessionId = response.sessionId;
    this.password = response.password;
    this.negotiatedTimeoutMs = response.timeoutMs;
    this.connected = true;
    this.currentServer = `${host}:${port}`;
    if (resumed && this.hasWatches()) {
      const writer = new JuteWriter().int(Xid.setWatches).int(OpCode.setWatches).long(this.lastZxid);
      writer.strings([...this.dataWatches.keys()]).strings([...this.existWatches.keys()]).strings([...this.childWatches.keys()]);
      this.send(socket, writer);
    }
    this.ticker?.cancel();
    const tickMs = Math.max(10, Math.floor(this.readTimeoutMs() / 4));
    this.ticker = this.scheduler.scheduleAtFixedRate(tickMs, tickMs, () => this.tick(socket));
    const sessionChanged = !resumed && this.everConnected;
    this.logger.info(resumed ? 'Reconnected to ZooKeeper' : 'Established a ZooKeeper session', {
      sessionId: hex(this.sessionId),
      server: `${host}:${port}`,
      sessionTimeoutMs: this.negotiatedTimeoutMs,
    });
    const state: ConnectionState = this.everConnected ? 'RECONNECTED' : 'CONNECTED';
    this.everConnected = true;
    this.sessionLostSinceConnected = false;
    for (const waiter of [...this.waitingForConnection]) waiter.ready();
    this.notify(state, sessionChanged);
    return true;
  }

  private disconnected(host: string, port: number): void {
    this.ticker?.cancel();
    this.ticker = undefined;
    const wasConnected = this.connected;
    this.connected = false;
    const pending = this.pending;
    this.pending = [];
    for (const request of pending) request.reject(new ZooKeeperError(ErrorCode.CONNECTIONLOSS, request.path));
    if (this.closed || !wasConnected) return;
    this.logger.warn('Lost the connection to ZooKeeper', { sessionId: hex(this.sessionId), server: `${host}:${port}` });
    this.notify('SUSPENDED', false);
    this.checkClientSideExpiry();
  }

  /** While connected: pings when idle, drops a connection the server has not answered within the read timeout. */
  private tick(socket: Socket): void {
    if (this.checkClientSideExpiry()) {
      socket.destroy();
      return;
    }
    const now = this.clock.now();
    if (now - this.lastHeardAt >= this.readTimeoutMs()) {
      this.logger.warn('No answer from ZooKeeper within the read timeout; connecting again', { readTimeoutMs: this.readTimeoutMs() });
      socket.destroy();
      return;
    }
    if (now - this.lastSentAt >= this.readTimeoutMs() / 2) this.send(socket, new JuteWriter().int(Xid.ping).int(OpCode.ping));
  }

  /**
   * A session the ensemble has not heard of for the session timeout is expired there, or will be before this client
   * can reach it: LOST now, so nothing keeps acting on it. True when it was declared lost.
   */
  private checkClientSideExpiry(): boolean {
    if (this.sessionId === 0n || this.sessionLostSinceConnected) return false;
    if (this.clock.now() - this.lastHeardAt < this.negotiatedTimeoutMs) return false;
    this.logger.warn('No contact with ZooKeeper for the session timeout: the session counts as expired', {
      sessionId: hex(this.sessionId),
      sessionTimeoutMs: this.negotiatedTimeoutMs,
    });
    this.sessionLost();
    return true;
  }

  private sessionLost(): void {
    this.sessionId = 0n;
    this.password = Buffer.alloc(16);
    this.lastZxid = 0n;
    this.sessionLostSinceConnected = true;
    this.dataWatches.clear();
    this.existWatches.clear();
    this.childWatches.clear();
    this.notify('LOST', true);
  }

  private handlePacket(packet: Buffer): void {
    const reader = new JuteReader(packet);
    const xid = reader.int();
    const zxid = reader.long();
    const err = reader.int();
    if (zxid > 0n && zxid > this.lastZxid) this.lastZxid = zxid;
    if (xid === Xid.ping || xid === Xid.setWatches) return;
    if (xid === Xid.notification) {
      const event = readWatchedEvent(reader);
      if (event) this.fire(event);
      return;
    }
    const request = this.pending.shift();
    if (!request || request.xid !== xid) throw new Error(`a reply for xid ${xid} while ${request?.xid ?? 'nothing'} was expected`);
    try {
      request.resolve(request.read(reader, err));
    } catch (error) {
      request.reject(error as Error);
    }
  }

  private fire(event: WatchedEvent): void {
    const watchers = new Set<Watcher>();
    const take = (map: Map<string, Set<Watcher>>) => {
      for (const watcher of map.get(event.path) ?? []) watchers.add(watcher);
      map.delete(event.path);
    };
    if (event.type === 'NodeChildrenChanged') take(this.childWatches);
    else {
      take(this.dataWatches);
      take(this.existWatches);
      if (event.type === 'NodeDeleted') take(this.childWatches);
    }
    for (const watcher of watchers) {
      try {
        watcher(event);
      } catch (error) {
        this.logger.error('A ZooKeeper watcher failed', { path: event.path, event: event.type }, error);
      }
    }
  }

  private notify(state: ConnectionState, sessionChanged: boolean): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(state, sessionChanged);
      } catch (error) {
        this.logger.error('A ZooKeeper connection state listener failed', { state }, error);
      }
    }
  }

  private hasWatches(): boolean {
    return this.dataWatches.size + this.existWatches.size + this.childWatches.size > 0;
  }

  private readTimeoutMs(): number {
    return Math.floor((this.negotiatedTimeoutMs * 2) / 3);
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => this.scheduler.schedule(ms, resolve));
  }
}

function addWatch(map: Map<string, Set<Watcher>>, path: string, watcher: Watcher): void {
  let watchers = map.get(path);
  if (!watchers) map.set(path, (watchers = new Set()));
  watchers.add(watcher);
}

function hex(sessionId: bigint): string {
  return `0x${sessionId.toString(16)}`;
}

/** `host:port[,host:port...]`; a port defaults to 2181. A chroot suffix is refused: high-availability.zookeeper.path.root is the root. */
export function parseQuorum(quorum: string): { host: string; port: number }[] {
  const entries = quorum.split(',').map((entry) => entry.trim()).filter(Boolean);
  if (entries.length === 0) throw new Error('high-availability.zookeeper.quorum is empty: name the ZooKeeper servers as host:port[,host:port...]');
  return entries.map((entry) => {
    if (entry.includes('/')) throw new Error(`high-availability.zookeeper.quorum: '${entry}' has a path; set high-availability.zookeeper.path.root instead`);
    const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(entry);
    const port = match?.[2] === undefined ? 2181 : Number(match[2]);
    if (!match || !(port > 0 && port < 65536)) throw new Error(`high-availability.zookeeper.quorum: '${entry}' is not host:port`);
    return { host: match[1]!.replace(/^\[(.*)\]$/, '$1'), port };
  });
}
