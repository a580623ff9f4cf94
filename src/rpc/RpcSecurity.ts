import { checkServerIdentity, createSecureContext, type PeerCertificate } from 'node:tls';
import {
  credentials,
  Server,
  ServerCredentials,
  ServerInterceptingCall,
  status,
  type ChannelCredentials,
  type ChannelOptions,
  type ServerInterceptor,
} from '@grpc/grpc-js';
import type { SecureServerOptions } from 'node:http2';
import type { SecureContextOptions } from 'node:tls';
import type { InternalTlsSettings } from '../common/security/InternalTlsSettings.js';
import { matchesFingerprint } from '../common/security/tlsConfiguration.js';
import { DEFAULT_CHANNEL_OPTIONS } from './RpcService.js';

/**
 * The transport security of every internal gRPC server and client (JobManager RPC, TaskManager RPC, the data plane):
 * mutual TLS from {@link InternalTlsSettings}. A peer without a certificate the settings trust fails the handshake
 * before any RPC is read; with pinned fingerprints, a call from a trusted but unpinned certificate is refused with
 * PERMISSION_DENIED.
 */
export class RpcSecurity {
  private readonly channel: ChannelCredentials;
  private readonly server: ServerCredentials;

  constructor(readonly settings: InternalTlsSettings) {
    const context: SecureContextOptions = {
      ...settings.identity,
      ca: settings.ca,
      minVersion: settings.minVersion,
      ...(settings.ciphers ? { ciphers: settings.ciphers } : {}),
    };
    this.channel = credentials.createFromSecureContext(createSecureContext(context), {
      checkServerIdentity: (host, certificate) => this.checkServer(host, certificate),
    });
    this.server = new MutualTlsServerCredentials(
      {
        requestCert: true,
        rejectUnauthorized: true,
        handshakeTimeout: settings.handshakeTimeoutMs,
        sessionTimeout: Math.max(1, Math.round(settings.sessionTimeoutMs / 1000)),
      },
      context,
    );
  }

  /** A server whose calls are checked against the pinned fingerprints (when any). */
  createServer(options: ChannelOptions = DEFAULT_CHANNEL_OPTIONS): Server {
    const interceptors: ServerInterceptor[] = this.settings.pinnedFingerprints.length > 0 ? [this.pinningInterceptor()] : [];
    return new Server({ ...options, interceptors });
  }

  serverCredentials(): ServerCredentials {
    return this.server;
  }

  channelCredentials(): ChannelCredentials {
    return this.channel;
  }

  /** Client channel options: `base` plus the TLS server name to ask for. */
  channelOptions(base: ChannelOptions = DEFAULT_CHANNEL_OPTIONS): ChannelOptions {
    return this.settings.serverName ? { ...base, 'grpc.ssl_target_name_override': this.settings.serverName } : base;
  }

  private checkServer(host: string, certificate: PeerCertificate): Error | undefined {
    if (!matchesFingerprint(this.settings.pinnedFingerprints, certificate)) {
      return new Error(`The certificate of ${host} (SHA-256 ${certificate.fingerprint256}) is not one of security.ssl.internal.cert.fingerprint.`);
    }
    return this.settings.verifyHostname ? checkServerIdentity(host, certificate) : undefined;
  }

  private pinningInterceptor(): ServerInterceptor {
    return (_method, call) =>
      new ServerInterceptingCall(call, {
        start: (next) => {
          if (matchesFingerprint(this.settings.pinnedFingerprints, call.getAuthContext().sslPeerCertificate)) {
            next();
            return;
          }
          call.sendStatus({ code: status.PERMISSION_DENIED, details: 'The client certificate is not one of security.ssl.internal.cert.fingerprint.' });
        },
      });
  }
}

/** grpc-js's createSsl takes PEM only; this passes Node's own TLS options through, so PKCS#12 (`pfx`) works too. */
class MutualTlsServerCredentials extends ServerCredentials {
  constructor(serverOptions: SecureServerOptions, contextOptions: SecureContextOptions) {
    super(serverOptions, contextOptions);
  }

  _equals(other: ServerCredentials): boolean {
    return other === this;
  }
}
