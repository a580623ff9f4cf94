// The test hosts (network namespaces on a bridge): processes bound to a host's address are reached from the other
// hosts and from the test process, a cut link isolates the host until healed, and nothing is left behind — also when
// the process that made the network is killed.
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { canCreateTestNetworks, removeStaleNetworks, TestingNetwork } from '../testing/netns/TestingNetwork.js';
import { waitFor } from '../testing/waitFor.js';

if (!canCreateTestNetworks()) {
  t.fail('test hosts need root and iproute2 (ip netns)');
  process.exit(1);
}

const namespaces = () => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
const SERVER = `require('node:http').createServer((q, s) => s.end(require('node:os').hostname() + ' ' + process.argv[1])).listen(8080, process.argv[1])`;

async function reachable(url: string): Promise<string | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    return await response.text();
  } catch {
    return undefined;
  }
}

t.test('hosts reach each other on their addresses; a cut host is unreachable until healed', async (t) => {
  const network = await TestingNetwork.create(['one', 'two']);
  t.teardown(() => network.close());
  const one = network.host('one');
  const two = network.host('two');
  t.match(namespaces(), one.namespace);
  const server = network.spawn('one', process.execPath, ['-e', SERVER, one.address], { stdio: 'ignore' });
  t.teardown(() => server.kill('SIGKILL'));

  t.equal(await waitFor('the server on host one', () => reachable(`http://${one.address}:8080`)), `${machineHostname()} ${one.address}`);
  const fromTwo = network.exec('two', process.execPath, ['-e', `fetch('http://${one.address}:8080').then((r) => r.text()).then(console.log)`]);
  t.equal(fromTwo.trim(), `${machineHostname()} ${one.address}`, 'host two reaches host one');
  t.throws(
    () => network.exec('two', process.execPath, ['-e', `fetch('http://127.0.0.1:8080').then(() => process.exit(0), () => process.exit(3))`]),
    'loopback is each host’s own',
  );
  t.ok(two.address !== one.address);

  network.cut('one');
  t.equal(await reachable(`http://${one.address}:8080`), undefined, 'cut off');
  network.heal('one');
  t.ok(await waitFor('host one back', () => reachable(`http://${one.address}:8080`)), 'healed');
});

t.test('closing removes the namespaces, links and bridge, and kills what ran in them', async (t) => {
  const network = await TestingNetwork.create(['solo']);
  const child = network.spawn('solo', 'sleep', ['600'], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  await network.close();
  t.equal(await exited, 'SIGKILL');
  t.notMatch(namespaces(), network.host('solo').namespace);
  t.throws(() => execFileSync('ip', ['link', 'show', network.bridge], { stdio: 'ignore' }), 'the bridge is gone');
});

t.test('a network whose test process was killed is removed by the next one', async (t) => {
  const child = spawn(process.execPath, [...process.execArgv, join(import.meta.dirname, '..', 'fixtures', 'netns', 'create-network-and-wait.ts')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  const made = await waitFor('the child’s network', () => (output.includes('\n') ? (JSON.parse(output) as { namespaces: string[]; bridge: string }) : undefined));
  t.match(namespaces(), made.namespaces[0]!);
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  t.ok(removeStaleNetworks() >= 1);
  for (const namespace of made.namespaces) t.notMatch(namespaces(), namespace);
  t.throws(() => execFileSync('ip', ['link', 'show', made.bridge], { stdio: 'ignore' }), 'its bridge is gone');
});

function machineHostname(): string {
  return execFileSync('hostname', { encoding: 'utf8' }).trim();
}
