import { Metadata, type ClientDuplexStream, type Server, type ServerDuplexStream } from '@grpc/grpc-js';
import type { Logger } from '../../../common/Logger.js';
import {
  ShuffleServiceClient,
  ShuffleServiceService,
  type PartitionRequest,
  type RequestPartitionsRequest,
  type RequestPartitionsResponse,
  type ShuffleMessage,
} from '../../../generated/tsflink/shuffle/v1/shuffle.js';
import type { RpcSecurity } from '../../../rpc/RpcSecurity.js';
import { DEFAULT_CHANNEL_OPTIONS } from '../../../rpc/RpcService.js';
import type { ChannelMessage } from '../../task/thread-protocol.js';
import { ID_PATTERN } from '../../../common/ids.js';
import { CHANNEL_ID_PATTERN } from '../../deployment/TaskDeploymentDescriptor.js';
import type { ShuffleTransport, ShuffleTransportListener } from '../ShuffleEnvironment.js';
import { secretsEqual } from '../../../common/security/secrets.js';

/** Most channels one RequestPartitions stream may request (a consumer TaskExecutor's channels from one producer one). */
export const MAX_SUBSCRIPTIONS_PER_STREAM = 16_384;
/** Most requests, over all streams, that may wait for their channel's producer to be deployed here. */
export const MAX_PENDING_SUBSCRIPTIONS = 65_536;


/**
 * The receive window of a consumer's connection (HTTP/2 flow control). Data flows from the server (producer) to the
 * client (consumer), and grpc-js sets the window only on the client side: 4 MiB instead of HTTP/2's 64 KiB default
 * (reference/node-limits.md §4; figures in docs/benchmarks.md).
 */
export const SHUFFLE_FLOW_CONTROL_WINDOW = 4 * 1024 * 1024;
export const SHUFFLE_CLIENT_OPTIONS = { ...DEFAULT_CHANNEL_OPTIONS, 'grpc-node.flow_control_window': SHUFFLE_FLOW_CONTROL_WINDOW };

type RequestStream = ClientDuplexStream<RequestPartitionsRequest, RequestPartitionsResponse>;
type ServedStream = ServerDuplexStream<RequestPartitionsRequest, RequestPartitionsResponse>;

/**
 * The shuffle over gRPC (Flink's Netty partition request client and server): the consumer's TaskExecutor holds one
 * RequestPartitions stream to each producing TaskExecutor and requests channels and grants credits on it; the
 * producer's data server answers each requested channel's messages on the stream that requested it.
 */
export class GrpcShuffleTransport implements ShuffleTransport {
  /** Consumer side: the stream to each producing TaskExecutor, by its data address, with the channels requested on it. */
  private readonly streams = new Map<string, { client: ShuffleServiceClient; call: RequestStream; channels: Set<string> }>();
  /** Producer side: the stream that requested each channel (with its secret). */
  private readonly subscriptions = new Map<string, ServedStream>();
  /** Producer side: the subscription secret of each channel whose producer is here. */
  private readonly secrets = new Map<string, string>();
  /** Producer side: requests (with their secret and the credits granted since) that came before the channel's producer. */
  private readonly pending = new Map<string, Map<ServedStream, { secret: string; credits: number }>>();
  private pendingCount = 0;
  /** Producer side: the channels each stream requested (subscribed or pending), bounded per stream. */
  private readonly requestedOn = new WeakMap<ServedStream, Set<string>>();

  constructor(
    private readonly listener: ShuffleTransportListener,
    private readonly log: Logger,
    private readonly security: RpcSecurity,
  ) {}

  /** Serves RequestPartitions on the TaskExecutor's data server. */
  addService(server: Server): void {
    server.addService(ShuffleServiceService, {
      requestPartitions: (call: ServedStream) => this.serve(call),
    });
  }

  requestChannel(producerAddress: string, channelId: string, secret: string): void {
    this.stream(producerAddress).channels.add(channelId);
    this.send(producerAddress, { channelId, request: { $case: 'subscribe', value: true }, secret });
  }

  sendCredit(producerAddress: string, channelId: string, credits: number): void {
    this.send(producerAddress, { channelId, request: { $case: 'credit', value: credits }, secret: '' });
  }

  acceptSubscriptions(channelId: string, secret: string): void {
    this.secrets.set(channelId, secret);
    const waiting = this.pending.get(channelId);
    if (!waiting) return;
    this.pending.delete(channelId);
    this.pendingCount -= waiting.size;
    for (const [call, request] of waiting) {
      if (this.subscriptions.get(channelId) !== call && secretsEqual(secret, request.secret)) {
        this.subscribe(call, channelId);
        if (request.credits > 0) this.listener.onCredit(channelId, request.credits);
      } else {
        this.requestedOn.get(call)?.delete(channelId);
        this.listener.onRefused('subscription', `channel ${channelId} requested by ${call.getPeer()} with a wrong secret`);
      }
    }
  }

  revokeSubscriptions(channelId: string): void {
    this.secrets.delete(channelId);
    this.subscriptions.delete(channelId);
    const waiting = this.pending.get(channelId);
    if (waiting) {
      this.pending.delete(channelId);
      this.pendingCount -= waiting.size;
    }
  }

  releaseChannel(producerAddress: string, channelId: string): void {
    const stream = this.streams.get(producerAddress);
    if (!stream) return;
    this.send(producerAddress, { channelId, request: { $case: 'release', value: true }, secret: '' });
    stream.channels.delete(channelId);
  }

  sendToConsumer(message: ChannelMessage): boolean {
    const call = this.subscriptions.get(message.channel);
    if (!call) return false;
    call.write({ messages: [toWire(message)] });
    return true;
  }

  close(): void {
    for (const { client, call } of this.streams.values()) {
      call.end();
      client.close();
    }
    this.streams.clear();
    for (const call of new Set(this.subscriptions.values())) call.end();
    this.subscriptions.clear();
  }

  private serve(call: ServedStream): void {
    this.log.debug(`Partition requests opened by ${call.getPeer()}.`);
    const mine = new Set<string>();
    this.requestedOn.set(call, mine);
    call.on('data', ({ requests }: RequestPartitionsRequest) => {
      for (const { channelId, request, secret } of requests) {
        switch (request?.$case) {
          case 'subscribe':
            this.requestSubscription(call, mine, channelId, secret);
            break;
          case 'credit':
            if (this.subscriptions.get(channelId) === call) this.listener.onCredit(channelId, request.value);
            else {
              const waiting = this.pending.get(channelId)?.get(call);
              if (waiting) waiting.credits += request.value;
            }
            break;
          case 'release':
            mine.delete(channelId);
            this.dropPending(channelId, call);
            if (this.subscriptions.get(channelId) === call) {
              this.subscriptions.delete(channelId);
              this.secrets.delete(channelId);
              this.listener.onChannelReleased(channelId);
            }
            break;
        }
      }
    });
    const ended = () => {
      for (const channelId of mine) {
        this.dropPending(channelId, call);
        if (this.subscriptions.get(channelId) !== call) continue;
        this.subscriptions.delete(channelId);
        this.listener.onChannelReleased(channelId);
      }
      mine.clear();
    };
    call.on('end', () => {
      ended();
      call.end();
    });
    call.on('cancelled', ended);
    call.on('error', ended);
  }

  /**
   * A consumer requests a channel on `call`: accepted only for a well-formed channel id, within the bounds, with the
   * secret of the channel's local producer. A request that comes before its producer waits (bounded) for it.
   */
  private requestSubscription(call: ServedStream, mine: Set<string>, channelId: string, secret: string): void {
    const refuse = (reason: string) => this.listener.onRefused('subscription', `${reason} (from ${call.getPeer()})`);
    if (!CHANNEL_ID_PATTERN.test(channelId) || !ID_PATTERN.test(secret)) return refuse(`a malformed channel id or secret ${JSON.stringify(channelId.slice(0, 80))}`);
    if (!mine.has(channelId) && mine.size >= MAX_SUBSCRIPTIONS_PER_STREAM) return refuse(`more than ${MAX_SUBSCRIPTIONS_PER_STREAM} channels on one stream`);
    const expected = this.secrets.get(channelId);
    if (expected !== undefined) {
      if (!secretsEqual(expected, secret)) return refuse(`channel ${channelId} with a wrong secret`);
      mine.add(channelId);
      this.subscribe(call, channelId);
      return;
    }
    let waiting = this.pending.get(channelId);
    if (waiting?.has(call)) return;
    if (this.pendingCount >= MAX_PENDING_SUBSCRIPTIONS) return refuse(`more than ${MAX_PENDING_SUBSCRIPTIONS} requests wait for their producers`);
    if (!waiting) this.pending.set(channelId, (waiting = new Map()));
    waiting.set(call, { secret, credits: 0 });
    this.pendingCount++;
    mine.add(channelId);
  }

  private subscribe(call: ServedStream, channelId: string): void {
    this.requestedOn.get(call)?.add(channelId);
    this.subscriptions.set(channelId, call);
    this.listener.onChannelRequested(channelId);
  }

  private dropPending(channelId: string, call: ServedStream): void {
    const waiting = this.pending.get(channelId);
    if (!waiting?.delete(call)) return;
    this.pendingCount--;
    if (waiting.size === 0) this.pending.delete(channelId);
  }

  private send(producerAddress: string, request: PartitionRequest): void {
    this.stream(producerAddress).call.write({ requests: [request] });
  }

  private stream(producerAddress: string): { client: ShuffleServiceClient; call: RequestStream; channels: Set<string> } {
    let stream = this.streams.get(producerAddress);
    if (stream) return stream;
    const client = new ShuffleServiceClient(producerAddress, this.security.channelCredentials(), this.security.channelOptions(SHUFFLE_CLIENT_OPTIONS));
    const call = client.requestPartitions(new Metadata());
    stream = { client, call, channels: new Set<string>() };
    this.streams.set(producerAddress, stream);
    const opened = stream;
    const channels = opened.channels;
    call.on('data', ({ messages }: RequestPartitionsResponse) => {
      for (const message of messages) {
        // Only channels requested on this stream: a producer cannot speak for another producer's channels.
        if (!channels.has(message.channelId)) {
          this.listener.onRefused('message', `a message of channel ${JSON.stringify(message.channelId.slice(0, 80))} from ${producerAddress}, which does not serve it`);
          continue;
        }
        const decoded = fromWire(message);
        if (decoded?.type === 'end') channels.delete(message.channelId);
        if (decoded) this.listener.onMessageForConsumer(decoded);
      }
    });
    const lost = (reason: string) => {
      if (this.streams.get(producerAddress) !== opened) return;
      this.streams.delete(producerAddress);
      client.close();
      this.log.warn(`The data connection to TaskExecutor ${producerAddress} ended: ${reason}`);
      if (channels.size > 0) this.listener.onProducerLost(producerAddress, [...channels], reason);
    };
    call.on('error', (error: Error & { details?: string }) => lost(error.details || error.message));
    call.on('end', () => lost('the producer closed it'));
    this.log.debug(`Opened the partition request stream to ${producerAddress}.`);
    return stream;
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
    case 'barrier':
      return { channelId, payload: { $case: 'barrier', value: { checkpointId: message.checkpointId, timestamp: message.timestamp, targetLocation: message.targetLocation } } };
    case 'credit':
      throw new Error('Credits travel towards the producer as partition requests.');
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
    case 'barrier':
      return { type: 'barrier', channel, checkpointId: payload.value.checkpointId, timestamp: payload.value.timestamp, targetLocation: payload.value.targetLocation };
    default:
      return undefined;
  }
}
