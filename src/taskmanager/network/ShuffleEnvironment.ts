import { credentials, Metadata, type ClientWritableStream, type Server, type ServerReadableStream, type sendUnaryData } from '@grpc/grpc-js';
import {
  ShuffleServiceClient,
  ShuffleServiceService,
  type ExchangeRequest,
  type ExchangeResponse,
  type ShuffleMessage,
} from '../../generated/tsflink/shuffle/v1/shuffle.js';
import type { Logger } from '../../common/Logger.js';
import { DEFAULT_CHANNEL_OPTIONS } from '../../rpc/RpcService.js';
import type { ChannelMessage } from '../task/thread-protocol.js';

/** A local subtask's end of channels: the router posts messages to it. */
export interface ChannelEndpointOwner {
  deliver(message: ChannelMessage): void;
}

/** The gRPC client side wants a larger HTTP/2 window than the 64 KB default for data (reference/node-limits.md §4). */
const SHUFFLE_CHANNEL_OPTIONS = { ...DEFAULT_CHANNEL_OPTIONS, 'grpc-node.flow_control_window': 4 * 1024 * 1024 };

/**
 * Moves channel messages between subtasks (Flink's ShuffleEnvironment, with the roles of its network stack):
 * between two subtasks of this TaskExecutor directly, to another TaskExecutor over one gRPC Exchange stream per
 * peer. Data, watermarks, idleness, checkpoint barriers and end-of-partition travel towards the consumer; credits towards the producer.
 * A message for a subtask that is not deployed yet waits here until it registers (credits bound how much that is).
 */
export class ShuffleEnvironment {
  private readonly producers = new Map<string, ChannelEndpointOwner>();
  private readonly consumers = new Map<string, ChannelEndpointOwner>();
  private readonly waitingForConsumer = new Map<string, ChannelMessage[]>();
  private readonly waitingForProducer = new Map<string, ChannelMessage[]>();
  private readonly peers = new Map<string, { client: ShuffleServiceClient; stream: ClientWritableStream<ExchangeRequest> }>();

  constructor(
    private readonly ownAddress: string,
    private readonly log: Logger,
  ) {}

  /** Serves the Exchange endpoint that peers send to. */
  addService(server: Server): void {
    server.addService(ShuffleServiceService, {
      exchange: (call: ServerReadableStream<ExchangeRequest, ExchangeResponse>, callback: sendUnaryData<ExchangeResponse>) => {
        this.log.debug(`Exchange stream opened by ${call.getPeer()}.`);
        call.on('data', (request: ExchangeRequest) => {
          for (const message of request.messages) {
            const decoded = fromWire(message);
            if (decoded) this.deliverLocally(decoded);
          }
        });
        call.on('end', () => callback(null, {}));
        call.on('error', () => undefined);
      },
    });
  }

  registerProducer(channelId: string, owner: ChannelEndpointOwner): void {
    this.producers.set(channelId, owner);
    this.flushWaiting(this.waitingForProducer, channelId, owner);
  }

  registerConsumer(channelId: string, owner: ChannelEndpointOwner): void {
    this.consumers.set(channelId, owner);
    this.flushWaiting(this.waitingForConsumer, channelId, owner);
  }

  unregister(channelIds: Iterable<string>, owner: ChannelEndpointOwner): void {
    for (const id of channelIds) {
      if (this.producers.get(id) === owner) this.producers.delete(id);
      if (this.consumers.get(id) === owner) this.consumers.delete(id);
      this.waitingForConsumer.delete(id);
      this.waitingForProducer.delete(id);
    }
  }

  /** A message from a local subtask, for the channel's other end at `peerAddress`. */
  route(message: ChannelMessage, peerAddress: string): void {
    if (peerAddress === this.ownAddress) this.deliverLocally(message);
    else this.sendRemote(peerAddress, message);
  }

  close(): void {
    for (const { client, stream } of this.peers.values()) {
      stream.end();
      client.close();
    }
    this.peers.clear();
  }

  private deliverLocally(message: ChannelMessage): void {
    const towardsProducer = message.type === 'credit';
    const owner = (towardsProducer ? this.producers : this.consumers).get(message.channel);
    if (owner) {
      owner.deliver(message);
      return;
    }
    this.log.debug(`Holding ${message.type} for channel ${message.channel} until its ${towardsProducer ? 'producer' : 'consumer'} registers.`);
    const waiting = towardsProducer ? this.waitingForProducer : this.waitingForConsumer;
    let queue = waiting.get(message.channel);
    if (!queue) waiting.set(message.channel, (queue = []));
    queue.push(message);
  }

  private flushWaiting(waiting: Map<string, ChannelMessage[]>, channelId: string, owner: ChannelEndpointOwner): void {
    const queue = waiting.get(channelId);
    if (!queue) return;
    waiting.delete(channelId);
    for (const message of queue) owner.deliver(message);
  }

  private sendRemote(peerAddress: string, message: ChannelMessage): void {
    let peer = this.peers.get(peerAddress);
    if (!peer) {
      const client = new ShuffleServiceClient(peerAddress, credentials.createInsecure(), SHUFFLE_CHANNEL_OPTIONS);
      const stream = client.exchange(new Metadata(), (error) => {
        if (error && this.peers.get(peerAddress)?.client === client) {
          this.log.warn(`Data exchange with TaskExecutor ${peerAddress} failed: ${error.details || error.message}`);
          this.peers.delete(peerAddress);
          client.close();
        }
      });
      peer = { client, stream };
      this.peers.set(peerAddress, peer);
      this.log.debug(`Opened the exchange stream to ${peerAddress}.`);
    }
    peer.stream.write({ messages: [toWire(message)] });
  }
}

function toWire(message: ChannelMessage): ShuffleMessage {
  const channelId = message.channel;
  switch (message.type) {
    case 'data':
      return { channelId, payload: { $case: 'data', value: Buffer.from(message.bytes.buffer, message.bytes.byteOffset, message.bytes.byteLength) } };
    case 'watermark':
      return { channelId, payload: { $case: 'watermark', value: message.timestamp } };
    case 'idle':
      return { channelId, payload: { $case: 'idle', value: message.idle } };
    case 'end':
      return { channelId, payload: { $case: 'endOfPartition', value: { drained: message.drained } } };
    case 'credit':
      return { channelId, payload: { $case: 'credit', value: message.credits } };
    case 'barrier':
      return { channelId, payload: { $case: 'barrier', value: { checkpointId: message.checkpointId, timestamp: message.timestamp, targetLocation: message.targetLocation } } };
  }
}

function fromWire(message: ShuffleMessage): ChannelMessage | undefined {
  const channel = message.channelId;
  const payload = message.payload;
  switch (payload?.$case) {
    case 'data':
      return { type: 'data', channel, bytes: payload.value, records: 0 };
    case 'watermark':
      return { type: 'watermark', channel, timestamp: payload.value };
    case 'idle':
      return { type: 'idle', channel, idle: payload.value };
    case 'endOfPartition':
      return { type: 'end', channel, drained: payload.value.drained };
    case 'credit':
      return { type: 'credit', channel, credits: payload.value };
    case 'barrier':
      return { type: 'barrier', channel, checkpointId: payload.value.checkpointId, timestamp: payload.value.timestamp, targetLocation: payload.value.targetLocation };
    default:
      return undefined;
  }
}
