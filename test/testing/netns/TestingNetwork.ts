import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Test hosts: Linux network namespaces on one bridge, each with one interface (`eth0`) and a private address that
 * exists only inside this test's network. The test process itself sits on the bridge too (its address is `gateway`),
 * so it reaches every host; no host has a route anywhere else, so nothing leaves the machine.
 *
 *   const network = await TestingNetwork.create(['zk', 'jm1', 'tm1']);
 *   network.spawn('tm1', 'bin/taskmanager.sh', [...]);   // runs inside tm1's namespace
 *   network.cut('tm1'); network.heal('tm1');             // its link down and up again
 *   await network.close();                               // kills what runs in the hosts, removes everything
 *
 * Everything is named with a per-network token and recorded under /run/tsflink-test-netns with the owning process;
 * `removeStaleNetworks()` (called by test/setup/before.ts and after.ts, and by each new network) removes the networks of
 * processes that are gone — a test run that crashed leaves nothing behind past the next run.
 */
export class TestingNetwork {
  private closed = false;

  private constructor(
    readonly token: string,
    readonly subnet: string,
    readonly hosts: ReadonlyMap<string, TestingHost>,
  ) {}

  /** The test process's own address on the network. */
  get gateway(): string {
    return `${this.subnet}.1`;
  }

  static async create(hostNames: readonly string[]): Promise<TestingNetwork> {
    requireRoot();
    removeStaleNetworks();
    const token = randomBytes(3).toString('hex').slice(0, 5);
    const subnet = freeSubnet();
    const hosts = new Map<string, TestingHost>();
    hostNames.forEach((name, index) => {
      if (!/^[a-z][a-z0-9]{0,11}$/.test(name)) throw new Error(`host name ${name}: lower-case letters and digits, at most 12`);
      hosts.set(name, { name, namespace: `tsflink-${token}-${name}`, address: `${subnet}.${index + 10}`, link: `tfv${token}${index}` });
    });
    const network = new TestingNetwork(token, subnet, hosts);
    record({ token, pid: process.pid, bridge: network.bridge, namespaces: [...hosts.values()].map((h) => h.namespace), links: [...hosts.values()].map((h) => h.link) });
    openNetworks.add(network);
    try {
      ip('link', 'add', network.bridge, 'type', 'bridge');
      ip('addr', 'add', `${network.gateway}/24`, 'dev', network.bridge);
      ip('link', 'set', network.bridge, 'up');
      for (const host of hosts.values()) {
        ip('netns', 'add', host.namespace);
        ip('-n', host.namespace, 'link', 'set', 'lo', 'up');
        const peer = `tfp${token}${[...hosts.keys()].indexOf(host.name)}`;
        ip('link', 'add', host.link, 'type', 'veth', 'peer', 'name', peer);
        ip('link', 'set', peer, 'netns', host.namespace);
        ip('-n', host.namespace, 'link', 'set', peer, 'name', 'eth0');
        ip('-n', host.namespace, 'addr', 'add', `${host.address}/24`, 'dev', 'eth0');
        ip('-n', host.namespace, 'link', 'set', 'eth0', 'up');
        ip('link', 'set', host.link, 'master', network.bridge, 'up');
      }
    } catch (error) {
      network.closeSync();
      throw error;
    }
    return network;
  }

  get bridge(): string {
    return `tfb${this.token}`;
  }

  host(name: string): TestingHost {
    const host = this.hosts.get(name);
    if (!host) throw new Error(`no test host ${name}`);
    return host;
  }

  /** Runs a command inside `host`'s namespace (`ip netns exec`); the child is the command itself. */
  spawn(host: string, command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
    return spawn('ip', ['netns', 'exec', this.host(host).namespace, command, ...args], options);
  }

  /** Runs a command inside `host`'s namespace to its end; returns its standard output. */
  exec(host: string, command: string, args: readonly string[], env?: NodeJS.ProcessEnv): string {
    return execFileSync('ip', ['netns', 'exec', this.host(host).namespace, command, ...args], { encoding: 'utf8', env: env ?? process.env });
  }

  /** Cuts `host` off the network: its link goes down; its processes keep running and see peers time out. */
  cut(host: string): void {
    ip('link', 'set', this.host(host).link, 'down');
  }

  heal(host: string): void {
    ip('link', 'set', this.host(host).link, 'up');
  }

  /** Kills every process in the hosts, removes the namespaces, links and bridge. */
  async close(): Promise<void> {
    this.closeSync();
  }

  closeSync(): void {
    if (this.closed) return;
    this.closed = true;
    openNetworks.delete(this);
    remove({ token: this.token, pid: process.pid, bridge: this.bridge, namespaces: [...this.hosts.values()].map((h) => h.namespace), links: [...this.hosts.values()].map((h) => h.link) });
  }
}

export interface TestingHost {
  name: string;
  /** The network namespace standing for the host. */
  namespace: string;
  /** Its address on the test network. */
  address: string;
  /** The bridge's end of its link, which `cut` takes down. */
  link: string;
}

interface NetworkRecord {
  token: string;
  pid: number;
  bridge: string;
  namespaces: string[];
  links: string[];
}

const REGISTRY = '/run/tsflink-test-netns';
const openNetworks = new Set<TestingNetwork>();
process.on('exit', () => {
  for (const network of [...openNetworks]) network.closeSync();
});

function record(entry: NetworkRecord): void {
  mkdirSync(REGISTRY, { recursive: true });
  writeFileSync(join(REGISTRY, `${entry.token}.json`), JSON.stringify(entry));
}

function remove(entry: NetworkRecord): void {
  for (const namespace of entry.namespaces) {
    if (!namespaceExists(namespace)) continue;
    // A namespace lives on while processes run in it: kill them first.
    const pids = tryRun('ip', ['netns', 'pids', namespace]).split('\n').map(Number).filter(Boolean);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    tryRun('ip', ['netns', 'delete', namespace]);
  }
  for (const link of entry.links) tryRun('ip', ['link', 'delete', link]);
  tryRun('ip', ['link', 'delete', entry.bridge]);
  rmSync(join(REGISTRY, `${entry.token}.json`), { force: true });
}

/** Removes the test networks whose creating process has ended (a crashed or killed test run). */
export function removeStaleNetworks(): number {
  if (!existsSync(REGISTRY)) return 0;
  let removed = 0;
  for (const file of readdirSync(REGISTRY)) {
    if (!file.endsWith('.json')) continue;
    let entry: NetworkRecord;
    try {
      entry = JSON.parse(readFileSync(join(REGISTRY, file), 'utf8')) as NetworkRecord;
    } catch {
      continue;
    }
    if (processAlive(entry.pid)) continue;
    remove(entry);
    removed++;
  }
  return removed;
}

/** Whether this machine lets the tests make hosts (root, iproute2 with netns). */
export function canCreateTestNetworks(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new Error('test hosts are network namespaces: the tests must run as root');
}

/** A /24 under 10.213.0.0/16 that no route or address of this machine touches. */
function freeSubnet(): string {
  const used = tryRun('ip', ['-4', 'route', 'show', 'table', 'all']) + tryRun('ip', ['-4', 'addr']);
  for (let attempt = 0; attempt < 50; attempt++) {
    const subnet = `10.213.${1 + Math.floor(Math.random() * 250)}`;
    if (!used.includes(`${subnet}.`) && !/\b10\.0\.0\.0\/8\b|\b10\.213\.0\.0\/16\b/.test(used)) return subnet;
  }
  throw new Error('no free 10.213.x.0/24 subnet for the test network');
}

function namespaceExists(namespace: string): boolean {
  return tryRun('ip', ['netns', 'list']).split('\n').some((line) => line.split(' ')[0] === namespace);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function tryRun(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return '';
  }
}
