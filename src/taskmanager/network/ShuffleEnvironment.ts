import type { Logger } from '../../common/Logger.js';
import type { ChannelMessage } from '../task/thread-protocol.js';

/** A local subtask's end of channels: the ShuffleEnvironment posts messages to it. */
export interface ChannelEndpointOwner {
  deliver(message: ChannelMessage): void;
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
}

/**
 * How the ShuffleEnvironment reaches other TaskExecutors (Flink's ConnectionManager with its partition request client
 * and server). As in Flink, the consumer asks: it requests a channel from the producer's TaskExecutor and grants
 * credits there; the producer sends the channel's messages back on that request's connection.
 */
export interface ShuffleTransport {
  /** Consumer side: asks the TaskExecutor at `producerAddress` (its data address) for the channel's messages. */
  requestChannel(producerAddress: string, channelId: string): void;
  sendCredit(producerAddress: string, channelId: string, credits: number): void;
  releaseChannel(producerAddress: string, channelId: string): void;
  /** Producer side: sends to the consumer that requested the channel; false when none has yet. */
  sendToConsumer(message: ChannelMessage): boolean;
  close(): void;
}

/**
 * Moves channel messages between subtasks (Flink's ShuffleEnvironment): between two subtasks of this TaskExecutor
 * directly, and through the transport when the other end runs elsewhere. Data, watermarks, idleness, checkpoint
 * barriers and end-of-partition travel towards the consumer; credits towards the producer. A message whose other end
 * has not registered (or requested the channel) yet waits here until it does; credits bound how much data that is.
 */
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
  private readonly transport: ShuffleTransport;

  constructor(
    /** This TaskExecutor's data address (host:port): channels whose other end is here are local. */
    readonly ownAddress: string,
    transport: (listener: ShuffleTransportListener) => ShuffleTransport,
    private readonly log: Logger,
  ) {
    this.transport = transport(this);
  }

  /** A local producer of `channelId`: credits for it are delivered to `owner`. */
  registerProducer(channelId: string, owner: ChannelEndpointOwner): void {
    this.producers.set(channelId, owner);
    this.flush(this.waitingForProducer, channelId, owner);
  }

  /** A local consumer of `channelId`, whose producer's TaskExecutor serves data at `producerAddress`. */
  registerConsumer(channelId: string, owner: ChannelEndpointOwner, producerAddress: string): void {
    this.consumers.set(channelId, { owner, producerAddress });
    if (producerAddress !== this.ownAddress) this.transport.requestChannel(producerAddress, channelId);
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
    if (waiting) waiting.push(message);
    else if (!this.transport.sendToConsumer(message)) this.waitingForRequest.set(message.channel, [message]);
  }

  close(): void {
    this.transport.close();
  }

  // --- ShuffleTransportListener -------------------------------------------------------------------------------------

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
    for (const message of waiting) this.transport.sendToConsumer(message);
  }

  onCredit(channelId: string, credits: number): void {
    this.deliverToProducer({ type: 'credit', channel: channelId, credits });
  }

  onChannelReleased(channelId: string): void {
    this.waitingForRequest.delete(channelId);
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
    this.log.debug(`Holding ${message.type} for channel ${message.channel} until its ${side} registers.`);
    let queue = waiting.get(message.channel);
    if (!queue) waiting.set(message.channel, (queue = []));
    queue.push(message);
  }

  private flush(waiting: Map<string, ChannelMessage[]>, channelId: string, owner: ChannelEndpointOwner): void {
    const queue = waiting.get(channelId);
    if (!queue) return;
    waiting.delete(channelId);
    for (const message of queue) owner.deliver(message);
  }
}
