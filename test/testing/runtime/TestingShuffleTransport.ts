import type { ShuffleTransport, ShuffleTransportListener } from '../../../src/taskmanager/network/ShuffleEnvironment.js';
import type { ChannelMessage } from '../../../src/taskmanager/task/thread-protocol.js';
import { RecordedCalls } from './RecordedCalls.js';

export interface ChannelCall {
  producerAddress: string;
  channelId: string;
}

export interface RequestCall extends ChannelCall {
  secret: string;
}

/**
 * A ShuffleTransport without a network: records what the ShuffleEnvironment sends to other TaskExecutors, and lets
 * the test play them (a remote consumer requests a channel, grants credit, releases it; a remote producer sends).
 * Hand `attach` to the ShuffleEnvironment as its transport factory.
 */
export class TestingShuffleTransport implements ShuffleTransport {
  /** Consumer side: channels requested from remote producers. */
  readonly requested = new RecordedCalls<RequestCall>();
  /** Producer side: the subscription secret of each channel a local producer accepts requests for. */
  readonly accepting = new Map<string, string>();
  /** Producer side: channels revoked. */
  readonly revoked: string[] = [];
  readonly credits = new RecordedCalls<ChannelCall & { credits: number }>();
  readonly released = new RecordedCalls<ChannelCall>();
  /** Producer side: what went out to remote consumers. */
  readonly sent = new RecordedCalls<ChannelMessage>();
  closed = false;
  private listener: ShuffleTransportListener | undefined;
  /** Channels a remote consumer requested here. */
  private readonly subscribed = new Set<string>();

  readonly attach = (listener: ShuffleTransportListener): this => {
    this.listener = listener;
    return this;
  };

  requestChannel(producerAddress: string, channelId: string, secret: string): void {
    this.requested.record({ producerAddress, channelId, secret });
  }

  acceptSubscriptions(channelId: string, secret: string): void {
    this.accepting.set(channelId, secret);
  }

  revokeSubscriptions(channelId: string): void {
    this.accepting.delete(channelId);
    this.revoked.push(channelId);
  }

  sendCredit(producerAddress: string, channelId: string, credits: number): void {
    this.credits.record({ producerAddress, channelId, credits });
  }

  /** The connection to the remote producer at `producerAddress` ended with `channelIds` open on it. */
  loseProducer(producerAddress: string, channelIds: readonly string[], reason: string): void {
    this.listener!.onProducerLost(producerAddress, channelIds, reason);
  }

  releaseChannel(producerAddress: string, channelId: string): void {
    this.released.record({ producerAddress, channelId });
  }

  sendToConsumer(message: ChannelMessage): boolean {
    if (!this.subscribed.has(message.channel)) return false;
    this.sent.record(message);
    return true;
  }

  close(): void {
    this.closed = true;
  }

  // --- the other TaskExecutors ---------------------------------------------------------------------------------------

  /** A remote consumer requests a channel produced here. */
  consumerRequests(channelId: string): void {
    this.subscribed.add(channelId);
    this.requiredListener().onChannelRequested(channelId);
  }

  consumerGrantsCredit(channelId: string, credits: number): void {
    this.requiredListener().onCredit(channelId, credits);
  }

  consumerReleases(channelId: string): void {
    this.subscribed.delete(channelId);
    this.requiredListener().onChannelReleased(channelId);
  }

  /** A remote producer sends a message of a channel consumed here. */
  producerSends(message: ChannelMessage): void {
    this.requiredListener().onMessageForConsumer(message);
  }

  private requiredListener(): ShuffleTransportListener {
    if (!this.listener) throw new Error('The transport is not attached to a ShuffleEnvironment.');
    return this.listener;
  }
}
