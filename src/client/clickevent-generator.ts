/** Process entrypoint of bin/clickevent-generator.sh. */
import { ParameterTool } from '../job/ParameterTool.js';
import { runGenerator } from './generator/ClickEventGenerator.js';

const USAGE = 'Usage: clickevent-generator.sh [--bootstrap.servers host:port] [--topic input] [--rate EVENTS_PER_S (0 = as fast as possible)] [--max-windows N]';
let options;
try {
  const params = ParameterTool.fromArgs(process.argv.slice(2));
  const known = new Set(['bootstrap.servers', 'topic', 'rate', 'max-windows', 'help']);
  for (const arg of process.argv.slice(2)) {
    const key = arg.replace(/^--?/, '');
    if (arg.startsWith('-') && Number.isNaN(Number(arg)) && !known.has(key)) throw new Error(`Unknown option ${arg}.`);
  }
  if (params.has('help')) {
    console.log(USAGE);
    process.exit(0);
  }
  const rate = params.has('rate') ? params.getInt('rate', 0) : undefined;
  const maxWindows = params.has('max-windows') ? params.getInt('max-windows', 0) : undefined;
  if ((rate !== undefined && rate < 0) || (maxWindows !== undefined && maxWindows < 1)) throw new Error('--rate must be >= 0 and --max-windows >= 1.');
  options = { bootstrapServers: params.get('bootstrap.servers', 'localhost:9092'), topic: params.get('topic', 'input'), rate, maxWindows, log: (l: string) => console.log(l) };
} catch (error) {
  console.error(`${(error as Error).message}\n${USAGE}`);
  process.exit(1);
}
const controller = new AbortController();
process.on('SIGINT', () => controller.abort());
process.on('SIGTERM', () => controller.abort());
await runGenerator(options, controller.signal);
