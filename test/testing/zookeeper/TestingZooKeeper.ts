import type { Clock } from '../../../src/common/time/Clock.js';
import type { ConnectionStateListener, Watcher, ZooKeeperSession } from '../../../src/highavailability/zookeeper/ZooKeeperClient.js';
import { type CreateMode, ErrorCode, type Op, type OpResult, type Stat, type WatchEventType, ZooKeeperError } from '../../../src/highavailability/zookeeper/protocol.js';

interface Node {
  data: Buffer;
  version: number;
  ephemeralOwner: bigint;
  nextSequence: number;
}

/**
 * An in-memory ZooKeeper for unit tests of the HA services: one tree shared by the sessions it opens, ephemeral and
 * sequential nodes, one-shot watches, atomic multi, and sessions whose connection the test suspends, restores and
 * expires, on a manual clock. Its semantics are ZooKeeper's as the HA services use them; the real one is tested in
 * test/it/zookeeper-*.test.ts.
 */
export class TestingZooKeeper {
  readonly nodes = new Map<string, Node>([['/', { data: Buffer.alloc(0), version: 0, ephemeralOwner: 0n, nextSequence: 0 }]]);
  private readonly watchers = new Map<string, Set<Watcher>>();
  private nextSessionId = 1n;

  constructor(readonly clock: Clock) {}

  session(sessionTimeoutMs = 6000): TestingZooKeeperSession {
    return new TestingZooKeeperSession(this, sessionTimeoutMs);
  }

  newSessionId(): bigint {
    return this.nextSessionId++;
  }

  /** The session's ephemeral nodes go, as when ZooKeeper expires it. */
  expire(sessionId: bigint): void {
    for (const [path, node] of [...this.nodes]) if (node.ephemeralOwner === sessionId) this.remove(path);
  }

  watch(key: string, watcher: Watcher): void {
    let set = this.watchers.get(key);
    if (!set) this.watchers.set(key, (set = new Set()));
    set.add(watcher);
  }

  fire(type: WatchEventType, path: string): void {
    const keys = type === 'NodeChildrenChanged' ? [`children:${path}`] : [`data:${path}`, ...(type === 'NodeDeleted' ? [`children:${path}`] : [])];
    for (const key of keys) {
      const set = this.watchers.get(key);
      this.watchers.delete(key);
      for (const watcher of set ?? []) watcher({ type, path });
    }
  }

  apply(op: Op, sessionId: bigint): OpResult {
    switch (op.type) {
      case 'create': {
        const parent = parentOf(op.path);
        const parentNode = this.nodes.get(parent);
        if (!parentNode) throw new ZooKeeperError(ErrorCode.NONODE, op.path);
        if (parentNode.ephemeralOwner !== 0n) throw new ZooKeeperError(ErrorCode.NOCHILDRENFOREPHEMERALS, op.path);
        const sequential = op.mode === 'PERSISTENT_SEQUENTIAL' || op.mode === 'EPHEMERAL_SEQUENTIAL';
        const path = sequential ? `${op.path}${String(parentNode.nextSequence++).padStart(10, '0')}` : op.path;
        if (this.nodes.has(path)) throw new ZooKeeperError(ErrorCode.NODEEXISTS, path);
        const ephemeral = op.mode === 'EPHEMERAL' || op.mode === 'EPHEMERAL_SEQUENTIAL';
        this.nodes.set(path, { data: Buffer.from(op.data), version: 0, ephemeralOwner: ephemeral ? sessionId : 0n, nextSequence: 0 });
        this.fire('NodeCreated', path);
        this.fire('NodeChildrenChanged', parent);
        return { type: 'create', path };
      }
      case 'delete': {
        this.checked(op.path, op.version);
        if (this.children(op.path).length > 0) throw new ZooKeeperError(ErrorCode.NOTEMPTY, op.path);
        this.remove(op.path);
        return { type: 'delete' };
      }
      case 'setData': {
        const node = this.checked(op.path, op.version);
        node.data = Buffer.from(op.data);
        node.version++;
        this.fire('NodeDataChanged', op.path);
        return { type: 'setData', stat: this.stat(node) };
      }
      case 'check':
        this.checked(op.path, op.version);
        return { type: 'check' };
    }
  }

  children(path: string): string[] {
    const prefix = path === '/' ? '/' : `${path}/`;
    return [...this.nodes.keys()].filter((p) => p !== path && p.startsWith(prefix) && !p.slice(prefix.length).includes('/')).map((p) => p.slice(prefix.length));
  }

  stat(node: Node): Stat {
    return { czxid: 0n, mzxid: 0n, ctime: 0, mtime: 0, version: node.version, cversion: 0, aversion: 0, ephemeralOwner: node.ephemeralOwner, dataLength: node.data.length, numChildren: 0, pzxid: 0n };
  }

  private checked(path: string, version: number): Node {
    const node = this.nodes.get(path);
    if (!node) throw new ZooKeeperError(ErrorCode.NONODE, path);
    if (version !== -1 && node.version !== version) throw new ZooKeeperError(ErrorCode.BADVERSION, path);
    return node;
  }

  private remove(path: string): void {
    this.nodes.delete(path);
    this.fire('NodeDeleted', path);
    this.fire('NodeChildrenChanged', parentOf(path));
  }
}

export class TestingZooKeeperSession implements ZooKeeperSession {
  currentSessionId: bigint;
  private connected = true;
  /** When the ensemble was last heard from: now while connected. */
  private lastHeard = 0;
  private readonly listeners = new Set<ConnectionStateListener>();

  constructor(
    private readonly zk: TestingZooKeeper,
    private readonly sessionTimeoutMs: number,
  ) {
    this.currentSessionId = zk.newSessionId();
  }

  // --- what the test does to the connection ---------------------------------------------------------------------------

  /** The connection breaks; the session lives on in the ensemble. */
  suspend(): void {
    this.connected = false;
    this.lastHeard = this.zk.clock.now();
    this.notify('SUSPENDED', false);
  }

  /** Connected again to the same session. */
  reconnect(): void {
    this.connected = true;
    this.notify('RECONNECTED', false);
  }

  /** The ensemble expired the session: its ephemeral nodes go; the client hears LOST, then gets a new session. */
  expire(): void {
    this.zk.expire(this.currentSessionId);
    this.connected = false;
    this.currentSessionId = 0n;
    this.notify('LOST', true);
    this.currentSessionId = this.zk.newSessionId();
    this.connected = true;
    this.notify('RECONNECTED', true);
  }

  // --- ZooKeeperSession ---------------------------------------------------------------------------------------------

  hasFreshSession(): boolean {
    return this.freshSessionRemainingMs() > 0;
  }

  freshSessionRemainingMs(): number {
    if (this.currentSessionId === 0n) return 0;
    if (this.connected) return (this.sessionTimeoutMs * 2) / 3;
    return Math.max(0, (this.sessionTimeoutMs * 2) / 3 - (this.zk.clock.now() - this.lastHeard));
  }

  onConnectionStateChange(listener: ConnectionStateListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async create(path: string, data: Uint8Array = Buffer.alloc(0), mode: CreateMode = 'PERSISTENT'): Promise<string> {
    return (this.run({ type: 'create', path, data, mode }) as { path: string }).path;
  }

  async createParents(path: string): Promise<void> {
    const parts = path.split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const prefix = `/${parts.slice(0, i).join('/')}`;
      if (!this.zk.nodes.has(prefix)) this.run({ type: 'create', path: prefix, data: Buffer.alloc(0), mode: 'PERSISTENT' });
    }
  }

  async delete(path: string, version = -1): Promise<void> {
    this.run({ type: 'delete', path, version });
  }

  async exists(path: string, watcher?: Watcher): Promise<Stat | null> {
    this.connection(path);
    if (watcher) this.zk.watch(`data:${path}`, watcher);
    const node = this.zk.nodes.get(path);
    return node ? this.zk.stat(node) : null;
  }

  async getData(path: string, watcher?: Watcher): Promise<{ data: Buffer; stat: Stat }> {
    this.connection(path);
    const node = this.zk.nodes.get(path);
    if (!node) throw new ZooKeeperError(ErrorCode.NONODE, path);
    if (watcher) this.zk.watch(`data:${path}`, watcher);
    return { data: Buffer.from(node.data), stat: this.zk.stat(node) };
  }

  async setData(path: string, data: Uint8Array, version = -1): Promise<Stat> {
    return (this.run({ type: 'setData', path, data, version }) as { stat: Stat }).stat;
  }

  async getChildren(path: string, watcher?: Watcher): Promise<string[]> {
    this.connection(path);
    if (!this.zk.nodes.has(path)) throw new ZooKeeperError(ErrorCode.NONODE, path);
    if (watcher) this.zk.watch(`children:${path}`, watcher);
    return this.zk.children(path);
  }

  /** All or nothing: applied to a copy first, then for real. */
  async multi(ops: readonly Op[]): Promise<OpResult[]> {
    this.connection(ops[0]?.path);
    const snapshot = new Map([...this.zk.nodes].map(([p, n]) => [p, { ...n }]));
    try {
      return ops.map((op) => this.zk.apply(op, this.currentSessionId));
    } catch (error) {
      this.zk.nodes.clear();
      for (const [p, n] of snapshot) this.zk.nodes.set(p, n);
      throw error;
    }
  }

  private run(op: Op): OpResult {
    this.connection(op.path);
    return this.zk.apply(op, this.currentSessionId);
  }

  private connection(path: string | undefined): void {
    if (!this.connected) throw new ZooKeeperError(ErrorCode.CONNECTIONLOSS, path);
  }

  private notify(state: 'SUSPENDED' | 'RECONNECTED' | 'LOST', sessionChanged: boolean): void {
    for (const listener of [...this.listeners]) listener(state, sessionChanged);
  }
}

function parentOf(path: string): string {
  const index = path.lastIndexOf('/');
  return index <= 0 ? '/' : path.slice(0, index);
}
