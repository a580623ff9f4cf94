import { join } from 'node:path';
import type { Test } from 'tap';
import { configureCluster, haOptions } from '../ha.js';
import { TestingCluster } from '../TestingCluster.js';
import { REPO_ROOT, testDir } from '../testRun.js';
import { TestingNetwork } from './TestingNetwork.js';

/** A Kafka broker of its own on a test host (bin/kafka.sh inside the host's namespace, bound to its address). */
export interface KafkaOnHost {
  bootstrapServers: string;
  /** Runs one of bin/kafka.sh's tool commands (create-topics, topics, console-consumer) against it, on its host. */
  tool(args: string[]): string;
  stop(): void;
}

export function startKafkaOnHost(network: TestingNetwork, host: string): KafkaOnHost {
  const address = network.host(host).address;
  const env = { ...process.env, KAFKA_HOST: address, KAFKA_PORT: '9092', KAFKA_DATA_DIR: testDir(`kafka-${host}`) };
  const script = join(REPO_ROOT, 'bin', 'kafka.sh');
  network.exec(host, script, ['start'], env);
  return {
    bootstrapServers: `${address}:9092`,
    tool: (args) => network.exec(host, script, args, env),
    stop: () => void network.exec(host, script, ['stop'], env),
  };
}

/** A ZooKeeper server of its own on a test host (bin/zookeeper.sh inside the host's namespace, bound to its address). */
export interface ZooKeeperOnHost {
  quorum: string;
  stop(): void;
}

export function startZooKeeperOnHost(network: TestingNetwork, host: string): ZooKeeperOnHost {
  const address = network.host(host).address;
  const env = { ...process.env, ZOOKEEPER_HOST: address, ZOOKEEPER_PORT: '2181', ZOOKEEPER_DATA_DIR: testDir(`zookeeper-${host}`), ZOOKEEPER_HEAP_OPTS: '-Xms32m -Xmx128m' };
  const script = join(REPO_ROOT, 'bin', 'zookeeper.sh');
  network.exec(host, script, ['start'], env);
  return { quorum: `${address}:2181`, stop: () => void network.exec(host, script, ['stop'], env) };
}

/**
 * A test network whose first host, `infra`, runs ZooKeeper and Kafka (topics input and output, 2 partitions each), and
 * a cluster whose processes all read Flink's HA keys for that ZooKeeper; everything is removed when the test ends.
 */
export async function haClusterOnHosts(
  t: Test,
  hosts: readonly string[],
): Promise<{ network: TestingNetwork; kafka: KafkaOnHost; zooKeeper: ZooKeeperOnHost; cluster: TestingCluster }> {
  const network = await TestingNetwork.create(['infra', ...hosts]);
  t.teardown(() => network.close());
  const zooKeeper = startZooKeeperOnHost(network, 'infra');
  t.teardown(() => zooKeeper.stop());
  const kafka = startKafkaOnHost(network, 'infra');
  t.teardown(() => kafka.stop());
  kafka.tool(['create-topics', 'input:2', 'output:2']);
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  configureCluster(cluster, haOptions(cluster, zooKeeper.quorum, '/default'));
  return { network, kafka, zooKeeper, cluster };
}
