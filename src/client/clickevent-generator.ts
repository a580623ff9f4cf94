/** Process entrypoint of bin/clickevent-generator.sh. */
import { ParameterTool } from '../job/ParameterTool.js';
import { nextEventIndex, runGenerator, type GeneratorOptions } from './generator/ClickEventGenerator.js';

const USAGE =
  'Usage: clickevent-generator.sh [--bootstrap.servers host:port] [--topic input] [--rate EVENTS_PER_S (0 = as fast as possible)] [--max-windows N]\n' +
  '                               [--start-index N | --resume (go on after the newest event in the topic)]';
let options: GeneratorOptions;
let resume: boolean;
try {
  const params = ParameterTool.fromArgs(process.argv.slice(2));
  const known = new Set(['bootstrap.servers', 'topic', 'rate', 'max-windows', 'start-index', 'resume', 'help']);
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
  const startIndex = params.getInt('start-index', 0);
  resume = params.has('resume');
  if ((rate !== undefined && rate < 0) || (maxWindows !== undefined && maxWindows < 1) || startIndex < 0) {
    throw new Error('--rate and --start-index must be >= 0 and --max-windows >= 1.');
  }
  if (resume && params.has('start-index')) throw new Error('--resume and --start-index exclude each other.');
  options = { bootstrapServers: params.get('bootstrap.servers', 'localhost:9092'), topic: params.get('topic', 'input'), rate, maxWindows, startIndex, log: (l: string) => console.log(l) };
} catch (error) {
  console.error(`${(error as Error).message}\n${USAGE}`);
  process.exit(1);
}
const controller = new AbortController();
process.on('SIGINT', () => controller.abort());
process.on('SIGTERM', () => controller.abort());
if (resume) {
  options.startIndex = await nextEventIndex(options.bootstrapServers, options.topic);
  console.log(
    options.startIndex === 0
      ? `${options.topic} has no click events yet: starting at event 0.`
      : `Resuming after the newest event in ${options.topic}: starting at event ${options.startIndex}.`,
  );
}
await runGenerator(options, controller.signal);
