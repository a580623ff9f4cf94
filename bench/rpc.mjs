// What internal mutual TLS costs a single gRPC connection, next to plaintext gRPC on the same loopback:
//   npm run bench:rpc [-- --calls 5000]
// For each of plaintext and mutual TLS with a cluster certificate (as JobManager and TaskManagers use it):
//  - connection set-up: a fresh channel's first call (TCP, TLS handshake with certificates both ways, HTTP/2), median of 50;
//  - unary round trip of a 100-byte call on an open channel, p50 and p99 over --calls sequential calls;
//  - throughput: 64 KiB messages on one server stream for 3 s, MiB/s.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import grpc from '@grpc/grpc-js';
import { Configuration } from '../dist/common/config/Configuration.js';
import { SecurityOptions } from '../dist/common/config/options.js';
import { internalTlsSettings } from '../dist/common/security/InternalTlsSettings.js';
import { RpcSecurity } from '../dist/rpc/RpcSecurity.js';
import { DEFAULT_CHANNEL_OPTIONS, bindServer, shutdownServer } from '../dist/rpc/RpcService.js';
import { argument } from './harness.mjs';

const CALLS = argument('--calls', 5000);
const identity = (b) => b;
const SERVICE = {
  echo: { path: '/bench.Echo/Echo', requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity },
  flood: { path: '/bench.Echo/Flood', requestStream: false, responseStream: true, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity },
};
const Client = grpc.makeGenericClientConstructor(SERVICE, 'Echo');

const dir = mkdtempSync(join(tmpdir(), 'tsflink-bench-rpc-'));
const security = new RpcSecurity(internalTlsSettings(new Configuration().set(SecurityOptions.CLUSTER_CERTIFICATE_DIR, dir), dir));
const modes = {
  plaintext: { server: () => new grpc.Server(DEFAULT_CHANNEL_OPTIONS), serverCredentials: grpc.ServerCredentials.createInsecure(), channel: grpc.credentials.createInsecure(), options: DEFAULT_CHANNEL_OPTIONS },
  'mutual TLS': { server: () => security.createServer(), serverCredentials: security.serverCredentials(), channel: security.channelCredentials(), options: security.channelOptions() },
};

const call = (client, request) => new Promise((resolve, reject) => client.echo(request, (error, reply) => (error ? reject(error) : resolve(reply))));
const percentile = (values, p) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))];
const payload = Buffer.alloc(100, 1);
const chunk = Buffer.alloc(64 * 1024, 2);

try {
  for (const [name, mode] of Object.entries(modes)) {
    const server = mode.server();
    let flooding = true;
    server.addService(SERVICE, {
      echo: (c, done) => done(null, c.request),
      flood: (c) => {
        const pump = () => { while (flooding && !c.cancelled) if (!c.write(chunk)) return void c.once('drain', pump); c.end(); };
        pump();
      },
    });
    const port = await bindServer(server, '127.0.0.1', 0, mode.serverCredentials);
    const address = `127.0.0.1:${port}`;

    const setups = [];
    for (let i = 0; i < 50; i++) {
      // A channel of its own (no shared subchannel pool), so that every first call connects anew.
      const client = new Client(address, mode.channel, { ...mode.options, 'grpc.use_local_subchannel_pool': 1 });
      const t0 = performance.now();
      await call(client, payload);
      setups.push(performance.now() - t0);
      client.close();
    }

    const client = new Client(address, mode.channel, mode.options);
    for (let i = 0; i < 200; i++) await call(client, payload); // warm-up
    const rtts = [];
    for (let i = 0; i < CALLS; i++) {
      const t0 = performance.now();
      await call(client, payload);
      rtts.push(performance.now() - t0);
    }

    let bytes = 0;
    const stream = client.flood(Buffer.alloc(0));
    const t0 = performance.now();
    await new Promise((resolve) => {
      stream.on('data', (b) => { bytes += b.length; if (performance.now() - t0 > 3000) { flooding = false; stream.cancel(); resolve(); } });
      stream.on('error', () => resolve());
    });
    const seconds = (performance.now() - t0) / 1000;
    client.close();
    await shutdownServer(server, 100);
    console.log(
      `${name}: connection set-up p50 ${percentile(setups, 0.5).toFixed(2)} ms; unary round trip p50 ${percentile(rtts, 0.5).toFixed(3)} ms, p99 ${percentile(rtts, 0.99).toFixed(3)} ms (${CALLS} calls); one stream ${(bytes / 1024 / 1024 / seconds).toFixed(0)} MiB/s`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
