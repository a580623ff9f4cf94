import type { Logger } from '../../common/Logger.js';
import { decodeLeaderInformation, type LeaderInformation } from '../LeaderInformation.js';
import type { ZooKeeperSession } from '../zookeeper/ZooKeeperClient.js';
import { isZooKeeperError } from '../zookeeper/protocol.js';

export type LeaderRetrievalListener = (leader: LeaderInformation | undefined) => void;

export interface ZooKeeperLeaderRetrievalOptions {
  client: ZooKeeperSession;
  /** The connection_info node of the component to follow. */
  path: string;
  logger: Logger;
}

/**
 * Follows the leader of one component (Flink's LeaderRetrievalService over ZooKeeper): reads its connection_info node
 * with a watch and tells the listener each new leader, or undefined while there is none. While the ZooKeeper connection
 * is suspended or the session lost, the last leader stands (a dead leader shows in its heartbeats; Flink drops it at
 * once, and TaskManagers cancel their tasks); once connected again, the node is read anew.
 */
export class ZooKeeperLeaderRetrievalDriver {
  private listener: LeaderRetrievalListener | undefined;
  private last: LeaderInformation | undefined;
  private closed = false;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly options: ZooKeeperLeaderRetrievalOptions) {}

  async start(listener: LeaderRetrievalListener): Promise<void> {
    this.listener = listener;
    this.unsubscribe = this.options.client.onConnectionStateChange((state) => {
      if (state === 'RECONNECTED') void this.read();
    });
    await this.read();
  }

  close(): void {
    this.closed = true;
    this.unsubscribe?.();
  }

  private async read(): Promise<void> {
    if (this.closed) return;
    const { client, path } = this.options;
    const watcher = () => void this.read();
    try {
      const { data } = await client.getData(path, watcher);
      const info = decodeLeaderInformation(data);
      if (!info) this.options.logger.warn('Ignoring leader information that is not of the expected form', { path });
      this.notify(info);
    } catch (error) {
      if (isZooKeeperError(error, 'NONODE')) {
        this.notify(undefined);
        // Watch for its creation; if it appeared meanwhile, read it.
        if ((await client.exists(path, watcher).catch(() => null)) !== null) await this.read();
        return;
      }
      this.options.logger.debug('Could not read the leader information; reading again on reconnection', { path, reason: String(error) });
    }
  }

  private notify(info: LeaderInformation | undefined): void {
    if (this.closed || (info?.sessionId === this.last?.sessionId && info?.address === this.last?.address)) return;
    this.last = info;
    this.listener?.(info);
  }
}
