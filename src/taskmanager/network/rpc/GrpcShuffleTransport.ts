import { credentials, Metadata, type ClientDuplexStream, type Server, type ServerDuplexStream } from '@grpc/grpc-js';
import type { Logger } from '../../../common/Logger.js';
import {
  ShuffleServiceClient,
  ShuffleServiceService,
  type PartitionRequest,
  type RequestPartitionsRequest,
  type RequestPartitionsResponse,
  type ShuffleMessage,
} from '../../../generated/tsflink/shuffle/v1/shuffle.js';
import { DEFAULT_CHANNEL_OPTIONS } from '../../../rpc/RpcService.js';
import type { ChannelMessage } from '../../task/thread-protocol.js';
import type { ShuffleTransport, ShuffleTransportListener } from '../ShuffleEnvironment.js';

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
  /** Consumer side: the stream to each producing TaskExecutor, by its data address. */
  private readonly streams = new Map<string, { client: ShuffleServiceClient; call: RequestStream }>();
  /** Producer side: the stream that requested each channel. */
  private readonly subscriptions = new Map<string, ServedStream>();

  constructor(
    private readonly listener: ShuffleTransportListener,
    private readonly log: Logger,
  ) {}

  /** Serves RequestPartitions on the TaskExecutor's data server. */
  addService(server: Server): void {
    server.addService(ShuffleServiceService, {
      requestPartitions: (call: ServedStream) => this.serve(call),
    });
  }

  requestChannel(producerAddress: string, channelId: string): void {
    this.send(producerAddress, { channelId, request: { $case: 'subscribe', value: true } });
  }

  sendCredit(producerAddress: string, channelId: string, credits: number): void {
    this.send(producerAddress, { channelId, request: { $case: 'credit', value: credits } });
  }

  releaseChannel(producerAddress: string, channelId: string): void {
    if (this.streams.has(producerAddress)) this.send(producerAddress, { channelId, request: { $case: 'release', value: true } });
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
    call.on('data', ({ requests }: RequestPartitionsRequest) => {
      for (const { channelId, request } of requests) {
        switch (request?.$case) {
          case 'subscribe':
            this.subscriptions.set(channelId, call);
            mine.add(channelId);
            this.listener.onChannelRequested(channelId);
            break;
          case 'credit':
            if (this.subscriptions.get(channelId) === call) this.listener.onCredit(channelId, request.value);
            break;
          case 'release':
            if (this.subscriptions.get(channelId) === call) {
              this.subscriptions.delete(channelId);
              mine.delete(channelId);
              this.listener.onChannelReleased(channelId);
            }
            break;
        }
      }
    });
    const ended = () => {
      for (const channelId of mine) {
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

  private send(producerAddress: string, request: PartitionRequest): void {
    this.stream(producerAddress).call.write({ requests: [request] });
  }

  private stream(producerAddress: string): { client: ShuffleServiceClient; call: RequestStream } {
    let stream = this.streams.get(producerAddress);
    if (stream) return stream;
    const client = new ShuffleServiceClient(producerAddress, credentials.createInsecure(), SHUFFLE_CLIENT_OPTIONS);
    const call = client.requestPartitions(new Metadata());
    stream = { client, call };
    this.streams.set(producerAddress, stream);
    const opened = stream;
    call.on('data', ({ messages }: RequestPartitionsResponse) => {
      for (const message of messages) {
        const decoded = fromWire(message);
        if (decoded) this.listener.onMessageForConsumer(decoded);
      }
    });
    const lost = (reason: string) => {
      if (this.streams.get(producerAddress) !== opened) return;
      this.streams.delete(producerAddress);
      client.close();
      this.log.warn(`The data connection to TaskExecutor ${producerAddress} ended: ${reason}`);
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
