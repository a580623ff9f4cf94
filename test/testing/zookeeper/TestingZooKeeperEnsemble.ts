import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../ports.js';
import { REPO_ROOT, testDir } from '../testRun.js';
import { waitFor } from '../waitFor.js';

const run = promisify(execFile);
const SCRIPT = join(REPO_ROOT, 'bin', 'zookeeper.sh');

export interface ZooKeeperMember {
  id: number;
  host: string;
  clientPort: number;
  dataDir: string;
}

/**
 * Real Apache ZooKeeper servers for a test, started with bin/zookeeper.sh: one standalone server, or an ensemble of
 * several on 127.0.0.1 (each with its own client, quorum and election ports). Their pid files live under the test run's
 * directory, so test/setup/after.ts kills whatever a crashed test left.
 */
export class TestingZooKeeperEnsemble {
  private constructor(readonly members: ZooKeeperMember[], private readonly servers: string) {}

  static async start(size = 1): Promise<TestingZooKeeperEnsemble> {
    const root = testDir('zookeeper');
    const members: ZooKeeperMember[] = [];
    const quorum: string[] = [];
    for (let id = 1; id <= size; id++) {
      members.push({ id, host: '127.0.0.1', clientPort: await freePort(), dataDir: join(root, `server-${id}`) });
      if (size > 1) quorum.push(`${id}=127.0.0.1:${await freePort()}:${await freePort()}`);
    }
    const ensemble = new TestingZooKeeperEnsemble(members, quorum.join(' '));
    await Promise.all(members.map((member) => ensemble.startMember(member.id)));
    await ensemble.awaitServing();
    return ensemble;
  }

  /** Flink's high-availability.zookeeper.quorum for this ensemble. */
  get quorum(): string {
    return this.members.map((m) => `${m.host}:${m.clientPort}`).join(',');
  }

  member(id: number): ZooKeeperMember {
    const member = this.members.find((m) => m.id === id);
    if (!member) throw new Error(`no ZooKeeper server ${id}`);
    return member;
  }

  async startMember(id: number): Promise<void> {
    await this.script(id, 'start');
  }

  /** Stops one server gracefully (bin/zookeeper.sh stop). */
  async stopMember(id: number): Promise<void> {
    await this.script(id, 'stop');
  }

  /** kill -9 of one server. */
  killMember(id: number): void {
    const pid = this.pid(id);
    if (pid) process.kill(pid, 'SIGKILL');
  }

  pid(id: number): number | undefined {
    try {
      return Number(readFileSync(join(this.member(id).dataDir, 'zookeeper.pid'), 'utf8').trim()) || undefined;
    } catch {
      return undefined;
    }
  }

  /** Each server's mode ('leader', 'follower', 'standalone'), or undefined while it does not serve. */
  async modes(): Promise<(string | undefined)[]> {
    return Promise.all(this.members.map(async (m) => /mode: (\w+)\./.exec(await this.script(m.id, 'status').catch(() => ''))?.[1]));
  }

  /** Waits until a quorum serves requests. */
  async awaitServing(timeoutMs = 60_000): Promise<void> {
    const needed = Math.floor(this.members.length / 2) + 1;
    await waitFor(`${needed} ZooKeeper server(s) serving`, async () => (await this.modes()).filter(Boolean).length >= needed, { timeoutMs, intervalMs: 200 });
  }

  async close(): Promise<void> {
    await Promise.all(this.members.map((m) => this.script(m.id, 'stop').catch(() => undefined)));
  }

  private async script(id: number, command: string): Promise<string> {
    const member = this.member(id);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ZOOKEEPER_PORT: String(member.clientPort),
      ZOOKEEPER_HOST: member.host,
      ZOOKEEPER_DATA_DIR: member.dataDir,
      ZOOKEEPER_HEAP_OPTS: '-Xms32m -Xmx128m',
    };
    if (this.servers) Object.assign(env, { ZOOKEEPER_SERVERS: this.servers, ZOOKEEPER_MYID: String(id) });
    const { stdout } = await run(SCRIPT, [command], { env });
    return stdout;
  }
}
