/** Process entrypoint of bin/output-verifier.sh: checks the playground's output windows and serves the totals over HTTP. */
import { fileURLToPath } from 'node:url';
import { ParameterTool } from '../job/ParameterTool.js';
import { OutputVerifierService, type OutputVerifierOptions } from './verifier/OutputVerifierService.js';

const USAGE = 'Usage: output-verifier.sh [--bootstrap.servers host:port] [--topic output] [--host 127.0.0.1] [--port 8082 (0 = a free port)]';
const log = (line: string) => console.log(`${new Date().toISOString()} ${line}`);
let options: OutputVerifierOptions;
try {
  const params = ParameterTool.fromArgs(process.argv.slice(2));
  const known = new Set(['bootstrap.servers', 'topic', 'host', 'port', 'help']);
  for (const arg of process.argv.slice(2)) {
    if (arg.startsWith('-') && !known.has(arg.replace(/^--?/, ''))) throw new Error(`Unknown option ${arg}.`);
  }
  if (params.has('help')) {
    console.log(USAGE);
    process.exit(0);
  }
  const port = params.getInt('port', 8082);
  if (port < 0 || port > 65535) throw new Error(`--port ${port} is not a port number.`);
  options = {
    bootstrapServers: params.get('bootstrap.servers', 'localhost:9092'),
    topic: params.get('topic', 'output'),
    host: params.get('host', '127.0.0.1'),
    port,
    kafkaScript: fileURLToPath(new URL('../../bin/kafka.sh', import.meta.url)),
    log,
  };
} catch (error) {
  console.error(`${(error as Error).message}\n${USAGE}`);
  process.exit(1);
}

const service = new OutputVerifierService(options);
let port: number;
try {
  port = await service.start();
} catch (error) {
  console.error(`Could not start the output verifier on ${options.host}:${options.port}: ${(error as Error).message}`);
  process.exit(1);
}
log(`Output verifier for topic ${options.topic} serving its totals at http://${options.host}:${port}`);
const stop = (signal: string) => {
  log(`Received ${signal}; stopping.`);
  service.close();
  process.exit(0);
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
