/** What a leader publishes for one of its components: where to reach it, and the fencing token its messages carry. */
export interface LeaderInformation {
  /** The leader session id: a fresh UUID for each grant of leadership. */
  sessionId: string;
  /** The component's address: `host:port` for RPC, a URL for REST. */
  address: string;
}

const MAX_BYTES = 4096;

export function encodeLeaderInformation(info: LeaderInformation): Buffer {
  return Buffer.from(JSON.stringify({ sessionId: info.sessionId, address: info.address }), 'utf8');
}

/** The published information, or undefined for anything that is not what a leader writes (never thrown: it is input). */
export function decodeLeaderInformation(data: Buffer): LeaderInformation | undefined {
  if (data.length === 0 || data.length > MAX_BYTES) return undefined;
  try {
    const value = JSON.parse(data.toString('utf8')) as Partial<LeaderInformation>;
    if (typeof value.sessionId !== 'string' || typeof value.address !== 'string') return undefined;
    if (!/^[0-9a-f-]{36}$/.test(value.sessionId) || value.address.length === 0 || value.address.length > 1024) return undefined;
    return { sessionId: value.sessionId, address: value.address };
  } catch {
    return undefined;
  }
}

/** ZooKeeper paths of one cluster (Flink's layout under high-availability.zookeeper.path.root / cluster-id). */
export class ZooKeeperPaths {
  readonly cluster: string;

  constructor(root: string, clusterId: string) {
    this.cluster = normalize(`${normalize(root)}${normalize(clusterId)}`);
  }

  get latch(): string {
    return `${this.cluster}/latch`;
  }

  /** Where the leader of `component` ('dispatcher', 'resource_manager', 'rest_server', or a job id) is published. */
  connectionInfo(component: string): string {
    return `${this.cluster}/leader/${component}/connection_info`;
  }
}

function normalize(path: string): string {
  const parts = path.split('/').filter(Boolean);
  for (const part of parts) {
    if (part === '.' || part === '..' || !/^[A-Za-z0-9._-]+$/.test(part)) {
      throw new Error(`'${path}' is not a ZooKeeper path tsflink accepts: letters, digits, '.', '_', '-' between slashes`);
    }
  }
  return parts.length ? `/${parts.join('/')}` : '';
}
