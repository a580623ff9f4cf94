import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Configuration } from '../../../src/common/config/Configuration.js';
import { SecurityOptions } from '../../../src/common/config/options.js';
import { internalTlsSettings } from '../../../src/common/security/InternalTlsSettings.js';
import { RpcSecurity } from '../../../src/rpc/RpcSecurity.js';

/**
 * The mutual TLS of a cluster whose certificate lives in a fresh temporary directory (removed at exit): what
 * JobManager and TaskManagers share in production, for tests that put real gRPC servers and clients on loopback.
 */
export function testingClusterSecurity(): RpcSecurity {
  const directory = mkdtempSync(join(tmpdir(), 'tsflink-test-cluster-certificate-'));
  process.once('exit', () => rmSync(directory, { recursive: true, force: true }));
  const config = new Configuration().set(SecurityOptions.CLUSTER_CERTIFICATE_DIR, directory);
  return new RpcSecurity(internalTlsSettings(config, directory));
}
