import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { formatTimestamp } from '../generator/ClickEventGenerator.js';
import type { VerifierReport } from '../verifier/OutputVerifier.js';
import type { CommandLine } from './commandLine.js';
import { components, PlaygroundContext, type LogFile, type ProcessComponent } from './components.js';
import { PlaygroundDir } from './PlaygroundDir.js';
import { sleep } from '../../common/time/sleep.js';
import { getJson } from './processes.js';
import { dataDirOption } from './upDown.js';

/** The playground of `--data-dir`, or an error telling how to start one. */
export function existingPlayground(cli: CommandLine, say: (line: string) => void): PlaygroundContext {
  const dir = new PlaygroundDir(cli.dataDir);
  const state = dir.readState();
  if (!state) throw new Error(`There is no playground in ${dir.root}: start one with bin/playground up${dataDirOption(cli.dataDir)}.`);
  return new PlaygroundContext(dir, state, say);
}

/** `ps`: a docker-compose-like table of the processes, then the output verifier's totals. */
export async function ps(cli: CommandLine, out: (line: string) => void): Promise<void> {
  const ctx = existingPlayground(cli, out);
  const rows: string[][] = [['NAME', 'PID', 'STATE', 'PORTS']];
  for (const component of Object.values(components(ctx))) {
    for (const i of component.instances()) rows.push([i.name, i.running ? String(i.pid) : '', i.running ? 'running' : 'exited', i.running ? i.ports : '']);
  }
  if (ctx.state.client) rows.push(['client', '', `exited ${ctx.state.client.exitCode}`, '']);
  if (rows.length === 1) {
    out(`Nothing runs in ${ctx.dir.root}: bin/playground up${dataDirOption(cli.dataDir)} starts the playground (and resumes its job).`);
    return;
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  for (const row of rows) out(row.map((cell, column) => cell.padEnd(widths[column]!)).join('   ').trimEnd());
  out('');
  for (const line of await verifierLines(ctx)) out(line);
}

async function verifierLines(ctx: PlaygroundContext): Promise<string[]> {
  let report: VerifierReport;
  try {
    report = await getJson<VerifierReport>(`http://127.0.0.1:${ctx.state.ports.verifier}/`, 2000);
  } catch {
    return [`Output verifier: not running (bin/playground up verifier${dataDirOption(ctx.dir.root)})`];
  }
  const { ok, wrong, missing, duplicate } = report.windows;
  const latest = report['latest-window-end'] < 0 ? 'none yet' : formatTimestamp(report['latest-window-end']);
  return [
    `Output verifier (topic ${report.topic}, ${report.status}): ${ok} ok, ${wrong} wrong, ${missing} missing, ${duplicate} duplicate windows; latest window end ${latest}`,
    ...report.problems.map((p) => `  ${p.kind.padEnd(9)} ${p.page.padEnd(7)} window ${formatTimestamp(p['window-start'])}${p.kind === 'missing' ? '' : `  count ${p.count}`}`),
  ];
}

/** `logs [-f] <component>`: the component's log files, each line prefixed with its instance when there are several. */
export async function logs(cli: CommandLine, out: (text: string) => void): Promise<void> {
  const ctx = existingPlayground(cli, out);
  const name = cli.operands[0]!;
  const all = components(ctx);
  const files: LogFile[] =
    name === 'client'
      ? [{ name, file: join(ctx.dir.log, 'client.log') }]
      : Object.values(all)
          .flatMap((c: ProcessComponent) => c.logFiles().map((f) => ({ ...f, component: c.name })))
          .filter((f) => f.component === name || f.name === name);
  const present = files.filter((f) => existsSync(f.file));
  if (present.length === 0) throw new Error(`There is no log of ${name} in ${ctx.dir.root} yet.`);
  const followers = present.map((f) => new LogFollower(f, present.length > 1, out));
  followers.forEach((f) => f.poll());
  if (!cli.follow) return;
  let stopped = false;
  process.once('SIGINT', () => (stopped = true));
  while (!stopped) {
    await sleep(300);
    followers.forEach((f) => f.poll());
  }
}

/** Prints what was appended to a log file since the last poll, whole lines only. */
class LogFollower {
  private offset = 0;
  private partial = '';

  constructor(
    private readonly log: LogFile,
    private readonly prefixed: boolean,
    private readonly out: (text: string) => void,
  ) {}

  poll(): void {
    if (!existsSync(this.log.file)) return;
    const size = statSync(this.log.file).size;
    if (size < this.offset) this.offset = 0; // truncated (Kafka's log starts over on each start)
    if (size === this.offset) return;
    const buffer = Buffer.alloc(size - this.offset);
    const fd = openSync(this.log.file, 'r');
    try {
      readSync(fd, buffer, 0, buffer.length, this.offset);
    } finally {
      closeSync(fd);
    }
    this.offset = size;
    const lines = (this.partial + buffer.toString('utf8')).split('\n');
    this.partial = lines.pop()!;
    for (const line of lines) this.out(this.prefixed ? `${this.log.name} | ${line}` : line);
  }
}
