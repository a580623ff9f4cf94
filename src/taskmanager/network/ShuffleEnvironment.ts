import type { Logger } from '../../common/Logger.js';
import type { ChannelMessage } from '../task/thread-protocol.js';

/** A local subtask's end of channels: the ShuffleEnvironment posts messages to it. */
export interface ChannelEndpointOwner {
  deliver(message: ChannelMessage): void;
  /** The subtask cannot go on: a channel it consumes is lost (Flink's failExternally). */
  failExternally(failure: { name: string; message: string; stack: string }): void;
}

/** What the transport hands to the ShuffleEnvironment. */
export interface ShuffleTransportListener {
  /** A message of a channel a local consumer requested, from its remote producer. */
  onMessageForConsumer(message: ChannelMessage): void;
  /** A remote consumer requested a channel of a local producer: its messages go out from now on. */
  onChannelRequested(channelId: string): void;
  /** A remote consumer granted credit on a channel of a local producer. */
  onCredit(channelId: string, credits: number): void;
  /** A remote consumer released a channel (it ended): nothing more is sent on it. */
  onChannelReleased(channelId: string): void;
  /**
   * The connection to the remote producer at `producerAddress` ended while `channelIds` (requested, not at their end
   * of partition) were still open on it: nothing more comes on them.
   */
  onProducerLost(producerAddress: string, channelIds: readonly string[], reason: string): void;
  /**
   * The transport dropped what a peer sent: a message for a channel not subscribed on its stream (`message`), or a
   * subscription with a malformed channel id, a wrong secret, or beyond the bounds (`subscription`). Counted here.
   */
  onRefused(kind: 'message' | 'subscription', reason: string): void;
}

/**
 * How the ShuffleEnvironment reaches other TaskExecutors (Flink's ConnectionManager with its partition request client
 * and server). As in Flink, the consumer asks: it requests a channel from the producer's TaskExecutor and grants
 * credits there; the producer sends the channel's messages back on that request's connection.
 */
export interface ShuffleTransport {
  /**
   * Consumer side: asks the TaskExecutor at `producerAddress` (its data address) for the channel's messages, presenting
   * the channel's subscription secret; only messages of channels requested on a connection are taken from it.
   */
  requestChannel(producerAddress: string, channelId: string, secret: string): void;
  sendCredit(producerAddress: string, channelId: string, credits: number): void;
  releaseChannel(producerAddress: string, channelId: string): void;
  /** Producer side: sends to the consumer that requested the channel; false when none has yet. */
  sendToConsumer(message: ChannelMessage): boolean;
  /** Producer side: a local producer of the channel is here; a remote consumer presenting `secret` may request it. */
  acceptSubscriptions(channelId: string, secret: string): void;
  /** Producer side: the channel is gone here; its subscription (or a request waiting for it) is dropped. */
  revokeSubscriptions(channelId: string): void;
  close(): void;
}

/**
 * Moves channel messages between subtasks (Flink's ShuffleEnvironment): between two subtasks of this TaskExecutor
 * directly, and through the transport when the other end runs elsewhere. Data, watermarks, idleness, checkpoint
 * barriers and end-of-partition travel towards the consumer; credits towards the producer. A message whose other end
 * has not registered (or requested the channel) yet waits here until it does; credits bound how much data that is.
 */
/** Most messages held for one channel whose other end has not registered or requested it (watermarks coalesce). */
export const MAX_HELD_PER_CHANNEL = 10_000;
/** Most ended producers' channels whose leftovers wait for a late consumer; beyond it the oldest are dropped. */
export const MAX_RETAINED_LEFTOVERS = 10_000;
/** A refusal is logged at most once per this many milliseconds, with the count since the last line. */
const REFUSAL_LOG_INTERVAL_MS = 60_000;

export class ShuffleEnvironment implements ShuffleTransportListener {
  private readonly producers = new Map<string, ChannelEndpointOwner>();
  private readonly consumers = new Map<string, { owner: ChannelEndpointOwner; producerAddress: string }>();
  /** Messages for a local consumer that has not registered yet. */
  private readonly waitingForConsumer = new Map<string, ChannelMessage[]>();
  /** Credits for a local producer that has not registered yet. */
  private readonly waitingForProducer = new Map<string, ChannelMessage[]>();
  /** Messages for a remote consumer that has not requested its channel yet. */
  private readonly waitingForRequest = new Map<string, ChannelMessage[]>();
  /** Channels whose local producer ended: credits for them are dropped. */
  private readonly endedProducers = new Set<string>();
  /** Ended producers' channels with leftovers for a remote consumer, oldest first (bounded). */
  private readonly retainedLeftovers = new Set<string>();
  /** Channels whose held messages overflowed MAX_HELD_PER_CHANNEL: what comes for them is dropped. */
  private readonly overflowed = new Set<string>();
  private readonly transport: ShuffleTransport;
  /** What peers sent that was dropped: messages of channels not subscribed on their stream, and refused subscriptions. */
  readonly refused = { message: 0, subscription: 0 };
  private readonly refusalLog = {
    message: { last: Number.NEGATIVE_INFINITY, unlogged: 0 },
    subscription: { last: Number.NEGATIVE_INFINITY, unlogged: 0 },
  };

  constructor(
    /** This TaskExecutor's data address (host:port): channels whose other end is here are local. */
    readonly ownAddress: string,
    transport: (listener: ShuffleTransportListener) => ShuffleTransport,
    private readonly log: Logger,
    /** Milliseconds, for rate-limiting refusal log lines. */
    private readonly now: () => number = Date.now,
  ) {
    this.transport = transport(this);
  }

  /**
   * A local producer of `channelId`: credits for it are delivered to `owner`; a remote consumer presenting `secret`
   * (the channel's subscription secret from the deployment) may request it.
   */
  registerProducer(channelId: string, owner: ChannelEndpointOwner, secret = ''): void {
    this.producers.set(channelId, owner);
    this.transport.acceptSubscriptions(channelId, secret);
    this.flush(this.waitingForProducer, channelId, owner);
  }

  /**
   * A local consumer of `channelId`, whose producer's TaskExecutor serves data at `producerAddress`; `secret` is the
   * channel's subscription secret, presented there.
   */
  registerConsumer(channelId: string, owner: ChannelEndpointOwner, producerAddress: string, secret = ''): void {
    this.consumers.set(channelId, { owner, producerAddress });
    if (producerAddress !== this.ownAddress) this.transport.requestChannel(producerAddress, channelId, secret);
    this.flush(this.waitingForConsumer, channelId, owner);
  }

  /**
   * The subtask `owner` ended. As Flink keeps a finished producer's pipelined partition until it is consumed, what a
   * `finished` producer sent that its consumer has not taken yet (at least its end of partition) stays until the
   * consumer registers or requests it; a cancelled or failed producer's leftovers are dropped (failover restarts its
   * consumers). An ended consumer's remote channels are released at their producers.
   */
  unregister(channelIds: Iterable<string>, owner: ChannelEndpointOwner, { finished = false }: { finished?: boolean } = {}): void {
    for (const id of channelIds) {
      this.waitingForProducer.delete(id);
      if (this.producers.get(id) === owner) {
        this.producers.delete(id);
        this.endedProducers.add(id);
        if (!finished) {
          this.waitingForConsumer.delete(id);
          this.waitingForRequest.delete(id);
          this.transport.revokeSubscriptions(id);
        } else if (this.waitingForRequest.has(id)) {
          this.retainLeftovers(id);
        }
      }
      const consumer = this.consumers.get(id);
      if (consumer?.owner === owner) {
        this.consumers.delete(id);
        this.endedProducers.delete(id);
        this.waitingForConsumer.delete(id);
        if (consumer.producerAddress !== this.ownAddress) this.transport.releaseChannel(consumer.producerAddress, id);
      }
    }
  }

  /** A message from a local subtask, for the channel's other end at `peerAddress` (a data address). */
  route(message: ChannelMessage, peerAddress: string): void {
    if (message.type === 'credit') {
      if (peerAddress === this.ownAddress) this.deliverToProducer(message);
      else this.transport.sendCredit(peerAddress, message.channel, message.credits);
      return;
    }
    if (peerAddress === this.ownAddress) {
      this.deliverToConsumer(message);
      return;
    }
    const waiting = this.waitingForRequest.get(message.channel);
    if (waiting) this.enqueue(waiting, message);
    else if (!this.transport.sendToConsumer(message)) this.waitingForRequest.set(message.channel, [message]);
  }

  onRefused(kind: 'message' | 'subscription', reason: string): void {
    this.refused[kind]++;
    const state = this.refusalLog[kind];
    state.unlogged++;
    const now = this.now();
    if (now - state.last < REFUSAL_LOG_INTERVAL_MS) return;
    const what = kind === 'message' ? 'message(s) of channels not subscribed on their stream' : 'partition request subscription(s)';
    this.log.warn(`Dropped ${state.unlogged} ${what} (${this.refused[kind]} in all); latest: ${reason}`);
    state.last = now;
    state.unlogged = 0;
  }

  close(): void {
    this.transport.close();
  }

  // --- ShuffleTransportListener -------------------------------------------------------------------------------------

  /**
   * As Flink's RemoteTransportException: a consumer whose remote producer's connection ended mid-stream fails (its
   * TaskManager is most likely lost; waiting on would hold the job — and a new leader's reconciliation — up).
   */
  onProducerLost(producerAddress: string, channelIds: readonly string[], reason: string): void {
    const failed = new Set<ChannelEndpointOwner>();
    for (const channelId of channelIds) {
      const consumer = this.consumers.get(channelId);
      if (!consumer || consumer.producerAddress !== producerAddress || failed.has(consumer.owner)) continue;
      failed.add(consumer.owner);
      const message = `Connection unexpectedly closed by remote task manager '${producerAddress}' (${reason}). This might indicate that the remote task manager was lost.`;
      consumer.owner.failExternally({ name: 'RemoteTransportException', message, stack: `RemoteTransportException: ${message}` });
    }
  }

  onMessageForConsumer(message: ChannelMessage): void {
    const consumer = this.consumers.get(message.channel);
    // Only requested channels send; after the consumer ended, what was still on its way is dropped.
    if (consumer) consumer.owner.deliver(message);
    else this.log.debug(`Dropped ${message.type} for channel ${message.channel}: no consumer of it runs here.`);
  }

  onChannelRequested(channelId: string): void {
    const waiting = this.waitingForRequest.get(channelId);
    if (!waiting) return;
    this.waitingForRequest.delete(channelId);
    this.retainedLeftovers.delete(channelId);
    for (const message of waiting) this.transport.sendToConsumer(message);
  }

  onCredit(channelId: string, credits: number): void {
    this.deliverToProducer({ type: 'credit', channel: channelId, credits });
  }

  onChannelReleased(channelId: string): void {
    this.waitingForRequest.delete(channelId);
    this.overflowed.delete(channelId);
    this.retainedLeftovers.delete(channelId);
    this.endedProducers.delete(channelId);
  }

  private deliverToConsumer(message: ChannelMessage): void {
    const consumer = this.consumers.get(message.channel);
    if (consumer) consumer.owner.deliver(message);
    else this.hold(this.waitingForConsumer, message, 'consumer');
  }

  private deliverToProducer(message: ChannelMessage): void {
    const producer = this.producers.get(message.channel);
    if (producer) producer.deliver(message);
    else if (!this.endedProducers.has(message.channel)) this.hold(this.waitingForProducer, message, 'producer');
  }

  private hold(waiting: Map<string, ChannelMessage[]>, message: ChannelMessage, side: string): void {
    let queue = waiting.get(message.channel);
    if (!queue) {
      this.log.debug(`Holding ${message.type} for channel ${message.channel} until its ${side} registers.`);
      waiting.set(message.channel, (queue = []));
    }
    this.enqueue(queue, message);
  }

  /**
   * Adds a held message, bounded: a watermark replaces a watermark right before it, idleness replaces idleness, a credit
   * adds to a credit (what the other end makes of them is the same); beyond MAX_HELD_PER_CHANNEL the channel's held
   * messages are dropped (its other end has not come for far too long; failover restarts it).
   */
  private enqueue(queue: ChannelMessage[], message: ChannelMessage): void {
    const last = queue[queue.length - 1];
    if (last && last.type === message.type) {
      if (message.type === 'watermark' || message.type === 'idle') {
        queue[queue.length - 1] = message;
        return;
      }
      if (message.type === 'credit' && last.type === 'credit') {
        queue[queue.length - 1] = { ...last, credits: last.credits + message.credits };
        return;
      }
    }
    if (this.overflowed.has(message.channel)) return;
    if (queue.length >= MAX_HELD_PER_CHANNEL) {
      this.overflowed.add(message.channel);
      queue.length = 0;
      this.log.error(`Dropped the messages held for channel ${message.channel}: more than ${MAX_HELD_PER_CHANNEL} waited for its other end.`);
      return;
    }
    queue.push(message);
  }

  /** Keeps an ended producer's leftovers for a late consumer; beyond MAX_RETAINED_LEFTOVERS channels the oldest go. */
  private retainLeftovers(channelId: string): void {
    this.retainedLeftovers.add(channelId);
    if (this.retainedLeftovers.size <= MAX_RETAINED_LEFTOVERS) return;
    const oldest = this.retainedLeftovers.values().next().value!;
    this.retainedLeftovers.delete(oldest);
    this.waitingForRequest.delete(oldest);
    this.endedProducers.delete(oldest);
    this.transport.revokeSubscriptions(oldest);
    this.log.warn(`Dropped the leftovers of ended channel ${oldest}: its consumer did not request them and ${MAX_RETAINED_LEFTOVERS} newer ones wait.`);
  }

  private flush(waiting: Map<string, ChannelMessage[]>, channelId: string, owner: ChannelEndpointOwner): void {
    const queue = waiting.get(channelId);
    if (!queue) return;
    waiting.delete(channelId);
    for (const message of queue) owner.deliver(message);
  }
}
