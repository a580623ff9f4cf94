import { randomUUID } from 'node:crypto';
import type { Logger } from '../../common/Logger.js';
import { encodeLeaderInformation, type LeaderInformation, type ZooKeeperPaths } from '../LeaderInformation.js';
import type { ConnectionState, ZooKeeperSession } from '../zookeeper/ZooKeeperClient.js';
import { isZooKeeperError, type Op } from '../zookeeper/protocol.js';
import type { LeaderFence } from '../zookeeper/ZooKeeperStateHandleStore.js';
import { TsFlinkError } from '../../common/errors.js';

/** A write of a leader's was attempted after its leadership ended. */
export class LeadershipLostError extends TsFlinkError {}
import type { LeaderContender } from './LeaderContender.js';
import { type ScheduledExecutor, type ScheduledTask, SystemScheduledExecutor } from '../../common/time/ScheduledExecutor.js';

export interface ZooKeeperLeaderElectionOptions {
  client: ZooKeeperSession;
  paths: ZooKeeperPaths;
  logger: Logger;
  /**
   * high-availability.zookeeper.client.tolerate-suspended-connections. false: a suspended connection ends leadership
   * once the session is no longer certainly alive (two thirds of the session timeout without news), unless the client
   * reconnected to the same session before; true: only a lost session ends it.
   */
  tolerateSuspendedConnections: boolean;
  scheduler?: ScheduledExecutor;
}

/**
 * Leader election over ZooKeeper, a latch as Curator's LeaderLatch builds it: each contender creates an ephemeral
 * sequential node under `<cluster>/latch`; the lowest leads; every other one watches the node just before its own.
 * A leader's session ending ends its node, and the next one takes over.
 *
 * Every grant has a new leader session id. Leadership is revoked when the session is gone (LOST) and, unless suspended
 * connections are tolerated, when a suspended connection outlasts the time the session is certainly alive (two thirds
 * of the session timeout since the ensemble was last heard): a ZooKeeper server that dies while its peers serve costs
 * the leader nothing, as its client moves to another server with the same session well within that time. Flink revokes
 * at SUSPENDED at once, restarting every job on any ZooKeeper server's death. What the leader publishes is written in a transaction that
 * first checks its latch node: a deposed leader — whose node is gone with its session — cannot write.
 */
export class ZooKeeperLeaderElectionDriver {
  private contender: LeaderContender | undefined;
  private latchNode: string | undefined;
  private leaderSessionId: string | undefined;
  private closed = false;
  private chain: Promise<void> = Promise.resolve();
  private unsubscribe: (() => void) | undefined;
  private suspensionDeadline: ScheduledTask | undefined;

  constructor(private readonly options: ZooKeeperLeaderElectionOptions) {}

  /** Joins the election; the contender hears of leadership through its callbacks from now on. */
  async start(contender: LeaderContender): Promise<void> {
    this.contender = contender;
    this.unsubscribe = this.options.client.onConnectionStateChange((state, sessionChanged) => this.onConnectionState(state, sessionChanged));
    await this.serialized(() => this.enterLatch());
  }

  /** Whether `leaderSessionId` is the current grant and the ZooKeeper session is certainly alive. */
  hasLeadership(leaderSessionId: string): boolean {
    return !this.closed && this.leaderSessionId === leaderSessionId && this.options.client.hasFreshSession();
  }

  /**
   * The fence of the HA stores' writes under the grant `leaderSessionId`: a check that its latch node still exists,
   * prepended to each transaction; LeadershipLostError at once when the grant is over.
   */
  fence(leaderSessionId: string): LeaderFence {
    return {
      fencingOps: () => {
        const latchNode = this.latchNode;
        if (!latchNode || !this.hasLeadership(leaderSessionId)) throw new LeadershipLostError(`leadership ${leaderSessionId} is over`);
        return [{ type: 'check', path: latchNode, version: -1 }];
      },
    };
  }

  /**
   * Publishes `component`'s address with the leader session id, fenced: only while `leaderSessionId` leads and its
   * latch node exists. Resolves false when it does not lead (anymore).
   */
  async publishLeaderInformation(component: string, leaderSessionId: string, address: string): Promise<boolean> {
    const info: LeaderInformation = { sessionId: leaderSessionId, address };
    return this.serialized(async () => {
      const latchNode = this.latchNode;
      if (!latchNode || !this.hasLeadership(leaderSessionId)) return false;
      const { client } = this.options;
      const path = this.options.paths.connectionInfo(component);
      await client.createParents(path.slice(0, path.lastIndexOf('/')));
      const existing = await client.exists(path);
      const ops: Op[] = [{ type: 'check', path: latchNode, version: -1 }];
      if (existing && existing.ephemeralOwner === client.currentSessionId) {
        ops.push({ type: 'setData', path, data: encodeLeaderInformation(info), version: -1 });
      } else {
        // A node of an earlier leader's session would vanish with that session: replace it with one of this session.
        if (existing) ops.push({ type: 'delete', path, version: existing.version });
        ops.push({ type: 'create', path, data: encodeLeaderInformation(info), mode: 'EPHEMERAL' });
      }
      try {
        await client.multi(ops);
        return true;
      } catch (error) {
        if (isZooKeeperError(error, 'NONODE') && error.path === latchNode) return false;
        throw error;
      }
    });
  }

  /** Leaves the election: revokes leadership and deletes the latch node (the next contender takes over at once). */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.serialized(async () => {
      this.closed = true;
      this.unsubscribe?.();
      this.suspensionDeadline?.cancel();
      this.revoke('closing');
      const node = this.latchNode;
      this.latchNode = undefined;
      if (node) await this.options.client.delete(node).catch(() => undefined);
    });
  }

  private onConnectionState(state: ConnectionState, sessionChanged: boolean): void {
    if (this.closed) return;
    switch (state) {
      case 'SUSPENDED': {
        if (this.options.tolerateSuspendedConnections) return;
        this.suspensionDeadline?.cancel();
        const scheduler = this.options.scheduler ?? SystemScheduledExecutor;
        this.suspensionDeadline = scheduler.schedule(this.options.client.freshSessionRemainingMs(), () => {
          if (!this.options.client.hasFreshSession()) this.revoke('the ZooKeeper connection stayed suspended while the session may expire');
        });
        return;
      }
      case 'LOST':
        this.suspensionDeadline?.cancel();
        this.latchNode = undefined;
        this.revoke('the ZooKeeper session is lost');
        return;
      case 'RECONNECTED':
        this.suspensionDeadline?.cancel();
        void this.serialized(() => (sessionChanged || !this.latchNode ? this.enterLatch() : this.checkLeadership()));
        return;
      case 'CONNECTED':
        return;
    }
  }

  private async enterLatch(): Promise<void> {
    if (this.closed) return;
    const { client, paths } = this.options;
    await client.createParents(paths.latch);
    this.latchNode = await client.create(`${paths.latch}/latch-`, Buffer.alloc(0), 'EPHEMERAL_SEQUENTIAL');
    this.options.logger.debug('Entered the leader election', { latchNode: this.latchNode });
    await this.checkLeadership();
  }

  private async checkLeadership(): Promise<void> {
    const node = this.latchNode;
    if (this.closed || !node) return;
    const { client, paths } = this.options;
    const children = (await client.getChildren(paths.latch)).filter((c) => c.startsWith('latch-')).sort(bySequence);
    const own = node.slice(paths.latch.length + 1);
    const index = children.indexOf(own);
    if (index < 0) {
      // Our node is gone (an expired session we have not heard of yet): enter again.
      this.latchNode = undefined;
      this.revoke('its latch node is gone');
      return this.enterLatch();
    }
    if (index === 0) {
      // Watch its own node too: deleted under a live session (by hand), it ends this leadership.
      const stat = await client.exists(node, () => void this.serialized(() => this.checkLeadership()));
      if (stat === null) return this.checkLeadership();
      if (this.leaderSessionId === undefined && client.hasFreshSession()) this.grant();
      return;
    }
    this.revoke('another contender leads');
    const predecessor = `${paths.latch}/${children[index - 1]}`;
    const stat = await client.exists(predecessor, () => void this.serialized(() => this.checkLeadership()));
    if (stat === null) await this.checkLeadership();
  }

  private grant(): void {
    const sessionId = randomUUID();
    this.leaderSessionId = sessionId;
    this.options.logger.info('Granted leadership', { leaderSessionId: sessionId, latchNode: this.latchNode });
    this.contender?.grantLeadership(sessionId);
  }

  private revoke(reason: string): void {
    if (this.leaderSessionId === undefined) return;
    this.options.logger.info('Revoked leadership', { leaderSessionId: this.leaderSessionId, reason });
    this.leaderSessionId = undefined;
    this.contender?.revokeLeadership();
  }

  /** Runs `action` after everything before it: the election's steps never interleave. Errors are logged and retried on the next state change. */
  private serialized<T>(action: () => Promise<T>): Promise<T> {
    const result = this.chain.then(action);
    this.chain = result.then(
      () => undefined,
      (error: unknown) => this.options.logger.warn('A leader election step failed; it is retried on the next connection state change', {}, error),
    );
    return result;
  }
}

function bySequence(a: string, b: string): number {
  return a.slice(a.lastIndexOf('-') + 1).localeCompare(b.slice(b.lastIndexOf('-') + 1));
}
