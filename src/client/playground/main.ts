/** Process entrypoint of bin/playground: Flink's operations playground as one command, without Docker. */
import { join } from 'node:path';
import { parseCommandLine, UsageError, USAGE, type CommandLine } from './commandLine.js';
import { components } from './components.js';
import { rememberJob } from './client.js';
import { BIN_DIR } from './paths.js';
import { runInteractive } from './processes.js';
import { existingPlayground, logs, ps } from './psLogs.js';
import { down, up } from './upDown.js';

const say = (line: string) => console.log(line);
// `bin/playground logs jobmanager | head` closes the pipe early: that ends the command, it is no error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(0);
});

/** `kill <component ...>`: SIGKILL, like `docker-compose kill`. */
async function kill(cli: CommandLine): Promise<void> {
  const ctx = existingPlayground(cli, say);
  const all = components(ctx);
  if (cli.operands.includes('jobmanager')) await rememberJob(ctx);
  for (const name of cli.operands) {
    if (name === 'client') throw new Error('The client is not running: it submits the job and exits.');
    const component = name.startsWith('taskmanager-') ? all.taskmanager : name.startsWith('jobmanager-') ? all.jobmanager : all[name as keyof typeof all];
    let instance = name === component.name ? undefined : name;
    if (name === 'jobmanager' && ctx.state.ha) {
      // With HA, `kill jobmanager` is the leader's death: the standby takes over.
      const leader = await all.jobmanager.leader();
      if (!leader) throw new Error('No JobManager leads now: nothing to kill (bin/playground ps shows them).');
      instance = leader.name;
    }
    const killed = component.kill(instance);
    say(killed.length === 0 ? `No ${name} is running.` : `Killed ${killed.map((i) => `${i.name} (pid ${i.pid})`).join(', ')}`);
  }
}

/** `scale taskmanager=N`: starts or stops TaskManagers (the newest first) and records N for the next `up`. */
async function scale(cli: CommandLine): Promise<void> {
  const ctx = existingPlayground(cli, say);
  const count = Number(cli.operands[0]!.split('=')[1]);
  const taskmanagers = components(ctx).taskmanager;
  ctx.state.taskmanagers = count;
  ctx.dir.writeState(ctx.state);
  const running = taskmanagers.instances().filter((i) => i.running);
  if (running.length <= count) {
    if (count > 0) await taskmanagers.up(count);
    return;
  }
  const surplus = running.slice(count);
  say(`Stopping ${surplus.map((i) => i.name).join(', ')} ...`);
  await taskmanagers.stop(surplus);
  say(`Stopped ${surplus.map((i) => i.name).join(', ')}`);
}

/** `consume <topic> [args]`: Kafka's console consumer on the playground's broker, read_committed unless told otherwise. */
async function consume(cli: CommandLine): Promise<number> {
  const ctx = existingPlayground(cli, say);
  if (!components(ctx).kafka.instances().some((i) => i.running)) throw new Error(`Kafka is not running: bin/playground up kafka first.`);
  const [topic, ...rest] = cli.operands;
  const isolation = rest.includes('--isolation-level') ? [] : ['--isolation-level', 'read_committed'];
  return runInteractive(join(BIN_DIR, 'kafka.sh'), ['console-consumer', '--bootstrap-server', ctx.bootstrapServers, '--topic', topic!, ...isolation, ...rest], ctx.env);
}

async function main(argv: string[]): Promise<number> {
  let cli: CommandLine;
  try {
    cli = parseCommandLine(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n\n${USAGE}`);
    return 1;
  }
  switch (cli.command) {
    case 'help':
      say(USAGE);
      return 0;
    case 'up':
      await up(cli, say);
      return 0;
    case 'down':
      await down(cli, say);
      return 0;
    case 'ps':
      await ps(cli, say);
      return 0;
    case 'logs':
      await logs(cli, say);
      return 0;
    case 'kill':
      await kill(cli);
      return 0;
    case 'scale':
      await scale(cli);
      return 0;
    case 'consume':
      return consume(cli);
    case 'flink':
      return runInteractive(join(BIN_DIR, 'flink'), cli.operands, existingPlayground(cli, say).env);
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  console.error((error as Error).message);
  process.exitCode = 1;
}
