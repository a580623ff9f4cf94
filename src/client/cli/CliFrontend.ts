import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Configuration } from '../../common/config/Configuration.js';
import { loadConfiguration } from '../../common/config/GlobalConfiguration.js';
import { CoreOptions, JobManagerOptions, RestOptions } from '../../common/config/options.js';
import { FlinkException, formatErrorChain, IllegalConfigurationError } from '../../common/errors.js';
import { restClientTls } from '../../common/http/RestSsl.js';
import { pollUntil } from '../../common/retry.js';
import { FLINK_COMPATIBILITY_VERSION, TSFLINK_REVISION } from '../../common/version.js';
import { highAvailabilityMode } from '../../highavailability/HighAvailabilityMode.js';
import { retrieveLeaderRestAddress } from '../../highavailability/HighAvailabilityServices.js';
import { RestClusterClient, type JobStatusMessage } from '../RestClusterClient.js';
import { CliArgsError } from './CliArgsError.js';
import { bundleJob } from '../JobBundler.js';
import { randomHex } from '../../common/ids.js';
import { storeJobModule } from '../../common/jobModules.js';
import { buildJobGraph } from '../../graph/JobGraph.js';
import { extractPipeline, MISSING_JOB_MESSAGE } from '../../graph/JobProgram.js';
import { jsonPlan } from '../../graph/JsonPlan.js';
import { RestClientError } from '../RestClusterClient.js';
import {
  ALLOW_NON_RESTORED_OPTION,
  CANCEL_OPTIONS,
  CANCEL_WITH_SAVEPOINT_OPTION,
  INFO_OPTIONS,
  CHECKPOINT_FULL_OPTION,
  CHECKPOINT_OPTIONS,
  RESCALE_OPTIONS,
  SAVEPOINT_DISPOSE_OPTION,
  SAVEPOINT_OPTIONS,
  STOP_AND_DRAIN,
  STOP_OPTIONS,
  STOP_WITH_SAVEPOINT_PATH,
  DETACHED_OPTION,
  PARALLELISM_OPTION,
  RUN_OPTIONS,
  SAVEPOINT_PATH_OPTION,
  ADDRESS_OPTION,
  DEFAULT_MODE_OPTIONS,
  DYNAMIC_PROPERTIES,
  HELP_OPTION,
  LIST_ALL,
  LIST_OPTIONS,
  LIST_RUNNING,
  LIST_SCHEDULED,
} from './CliFrontendOptions.js';
import { parseCommandLine, type ParsedCommandLine } from './CommandLineParser.js';
import { renderOptions } from './HelpFormatter.js';

/** Where the CLI writes: stdout and stderr, line by line. */
export interface CliOutput {
  out(line: string): void;
  err(line: string): void;
}

export const ENV_FLINK_CONF_DIR = 'FLINK_CONF_DIR';

/** Actions Flink's CLI knows; tsflink names them all in its messages and implements them as the runtime grows. */
const ACTIONS = ['run', 'run-application', 'info', 'list', 'cancel', 'stop', 'savepoint', 'checkpoint', 'rescale'] as const;

/**
 * The `flink` command line (Flink's CliFrontend): the same actions, options, output lines and exit codes, talking to
 * the cluster's REST endpoint.
 */
export class CliFrontend {
  constructor(
    private readonly io: CliOutput,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  /** Runs one command line; resolves with the process exit code. */
  async parseAndRun(args: readonly string[]): Promise<number> {
    if (args.length < 1) {
      this.printHelp();
      this.io.out('Please specify an action.');
      return 1;
    }
    const [action, ...params] = args as [string, ...string[]];
    try {
      switch (action) {
        case 'list':
          await this.list(params);
          return 0;
        case 'run':
          return await this.run(params);
        case 'cancel':
          await this.cancel(params);
          return 0;
        case 'stop':
          await this.stop(params);
          return 0;
        case 'savepoint':
          await this.savepoint(params);
          return 0;
        case 'rescale':
          await this.rescale(params);
          return 0;
        case 'checkpoint':
          await this.checkpoint(params);
          return 0;
        case 'info':
          return await this.info(params);
        case '-h':
        case '--help':
          this.printHelp();
          return 0;
        case '-v':
        case '--version':
          this.io.out(`Version: ${FLINK_COMPATIBILITY_VERSION}, Commit ID: ${TSFLINK_REVISION}`);
          return 0;
        default:
          if ((ACTIONS as readonly string[]).includes(action)) {
            throw new FlinkException(`The action "${action}" is not available in tsflink ${TSFLINK_REVISION} yet.`);
          }
          this.io.out(`"${action}" is not a valid action.`);
          this.io.out('');
          this.io.out('Valid actions are "run", "run-application", "list", "info", "savepoint", "stop", or "cancel".');
          this.io.out('');
          this.io.out('Specify the version option (-v or --version) to print Flink version.');
          this.io.out('');
          this.io.out('Specify the help option (-h or --help) to get help on the command.');
          return 1;
      }
    } catch (error) {
      return this.handleError(error);
    }
  }

  /** `run [-p N] [-d] <job file> [args]`: bundle, upload, run; attached, wait for the job's end. */
  private async run(args: readonly string[]): Promise<number> {
    const commandLine = parseCommandLine(RUN_OPTIONS, args, true);
    if (commandLine.has(HELP_OPTION)) {
      this.printActionHelp('run');
      return 0;
    }
    const [file, ...programArgs] = commandLine.args;
    if (!file) throw new CliArgsError('Missing job file: specify the TypeScript or JavaScript file of the job.');
    const savepointPath = commandLine.get(SAVEPOINT_PATH_OPTION);
    const savepoint = savepointPath === undefined ? undefined : { path: savepointPath, allowNonRestoredState: commandLine.has(ALLOW_NON_RESTORED_OPTION) };
    const parallelism = parseParallelism(commandLine.get(PARALLELISM_OPTION));
    const job = await bundleJob(file);
    const client = await this.clusterClient(commandLine);
    let jobId: string;
    try {
      // POST /jobs, as Flink's CLI: it works with web.submit.enable false, which only turns off the dashboard's /jars.
      jobId = await client.submitJob(job.filename, job.code, programArgs, parallelism, savepoint);
    } catch (error) {
      if (error instanceof RestClientError && error.message.includes(MISSING_JOB_MESSAGE)) {
        this.io.err('');
        this.io.err(MISSING_JOB_MESSAGE);
        return 1;
      }
      throw new FlinkException(`Could not run the job program ${file}.`, { cause: error });
    }
    this.io.out(`Job has been submitted with JobID ${jobId}`);
    if (commandLine.has(DETACHED_OPTION)) return 0;
    const status = await pollUntil(
      async () => {
        const current = await client.jobStatus(jobId);
        return current === 'FINISHED' || current === 'FAILED' || current === 'CANCELED' ? current : undefined;
      },
      { initialDelayMs: 500, description: `job ${jobId} to end` },
    );
    if (status !== 'FINISHED') throw new FlinkException(`Job ${status === 'FAILED' ? 'failed' : 'was cancelled'} (JobID: ${jobId}).`);
    const details = await client.jobDetails(jobId);
    this.io.out('Program execution finished');
    this.io.out(`Job with JobID ${jobId} has finished.`);
    this.io.out(`Job Runtime: ${details.duration} ms`);
    return 0;
  }

  /** `cancel <jobId>`. */
  private async cancel(args: readonly string[]): Promise<void> {
    const commandLine = parseCommandLine(CANCEL_OPTIONS, args, false);
    if (commandLine.has(HELP_OPTION)) {
      this.printActionHelp('cancel');
      return;
    }
    const jobId = parseJobId(commandLine.args[0], 'Missing JobID. Specify a JobID to cancel a job.');
    const client = await this.clusterClient(commandLine);
    if (commandLine.has(CANCEL_WITH_SAVEPOINT_OPTION)) {
      const directory = commandLine.get(CANCEL_WITH_SAVEPOINT_OPTION) || undefined;
      this.io.err('DEPRECATION WARNING: Cancelling a job with savepoint is deprecated. Use "stop" instead.');
      this.io.out(`Cancelling job ${jobId} with CANONICAL savepoint to ${directory ?? 'default savepoint directory'}.`);
      let location: string;
      try {
        location = await client.triggerSavepoint(jobId, directory, true);
      } catch (error) {
        throw new FlinkException(`Could not cancel job ${jobId}.`, { cause: error });
      }
      this.io.out(`Cancelled job ${jobId}. Savepoint stored in ${location}.`);
      return;
    }
    this.io.out(`Cancelling job ${jobId}.`);
    try {
      await client.cancel(jobId);
    } catch (error) {
      throw new FlinkException(`Could not cancel job ${jobId}.`, { cause: error });
    }
    this.io.out(`Cancelled job ${jobId}.`);
  }

  /** `stop [-p [dir]] [-d] <jobId>`: stop with a savepoint; the job ends FINISHED. */
  private async stop(args: readonly string[]): Promise<void> {
    const commandLine = parseCommandLine(STOP_OPTIONS, args, false);
    if (commandLine.has(HELP_OPTION)) {
      this.printActionHelp('stop');
      return;
    }
    const jobId = parseJobId(commandLine.args[0], 'Missing JobID. Specify a Job ID to stop a job.');
    if (commandLine.args.length > 1) this.io.out('Provided more arguments than required. Ignoring not needed arguments.');
    const drain = commandLine.has(STOP_AND_DRAIN);
    const client = await this.clusterClient(commandLine);
    this.io.out(`${drain ? 'Draining' : 'Suspending'} job "${jobId}" with a CANONICAL savepoint.`);
    this.io.out(`Triggering stop-with-savepoint for job ${jobId}.`);
    const done = client.stopWithSavepoint(jobId, commandLine.get(STOP_WITH_SAVEPOINT_PATH) || undefined, drain);
    this.io.out('Waiting for response...');
    let location: string;
    try {
      location = await done;
    } catch (error) {
      throw new FlinkException(`Could not stop with a savepoint job "${jobId}".`, { cause: error });
    }
    this.io.out(`Savepoint completed. Path: ${location}`);
  }

  /** `savepoint <jobId> [dir]` triggers a savepoint; `savepoint -d <path>` disposes of one. */
  private async savepoint(args: readonly string[]): Promise<void> {
    const commandLine = parseCommandLine(SAVEPOINT_OPTIONS, args, false);
    if (commandLine.has(HELP_OPTION)) {
      this.printActionHelp('savepoint');
      return;
    }
    const client = await this.clusterClient(commandLine);
    const dispose = commandLine.get(SAVEPOINT_DISPOSE_OPTION);
    if (dispose !== undefined) {
      this.io.out(`Disposing savepoint '${dispose}'.`);
      const done = client.disposeSavepoint(dispose);
      this.io.out('Waiting for response...');
      try {
        await done;
      } catch (error) {
        throw new FlinkException(`Failed to dispose savepoint ${dispose}.`, { cause: error });
      }
      this.io.out(`Savepoint '${dispose}' disposed.`);
      return;
    }
    const jobId = parseJobId(commandLine.args[0], 'Missing JobID. Specify a Job ID to trigger a savepoint.');
    if (commandLine.args.length > 2) this.io.out('Provided more arguments than required. Ignoring not needed arguments.');
    this.io.out(`Triggering savepoint for job ${jobId}.`);
    const done = client.triggerSavepoint(jobId, commandLine.args[1], false);
    this.io.out('Waiting for response...');
    let location: string;
    try {
      location = await done;
    } catch (error) {
      throw new FlinkException(`Failed to trigger a savepoint for the job ${jobId}.`, { cause: error });
    }
    this.io.out(`Savepoint completed. Path: ${location}`);
    this.io.out('You can resume your program from this savepoint with the run command.');
  }

  /** `info [-p N] <job file> [args]`: the execution plan, built here by running the program's main (no cluster). */
  private async info(args: readonly string[]): Promise<number> {
    const commandLine = parseCommandLine(INFO_OPTIONS, args, true);
    if (commandLine.has(HELP_OPTION)) {
      this.printActionHelp('info');
      return 0;
    }
    const [file, ...programArgs] = commandLine.args;
    if (!file) throw new CliArgsError('Missing job file: specify the TypeScript or JavaScript file of the job.');
    const parallelism = parseParallelism(commandLine.get(PARALLELISM_OPTION)) ?? this.configuration(commandLine).get(CoreOptions.DEFAULT_PARALLELISM);
    const job = await bundleJob(file);
    const dir = mkdtempSync(join(tmpdir(), 'tsflink-info-'));
    try {
      let plan: unknown;
      try {
        const pipeline = await extractPipeline(storeJobModule(dir, job.code), programArgs);
        plan = jsonPlan(randomHex(16), buildJobGraph(pipeline, { defaultParallelism: parallelism }));
      } catch (error) {
        if ((error as Error).message === MISSING_JOB_MESSAGE) {
          this.io.err('');
          this.io.err(MISSING_JOB_MESSAGE);
          return 1;
        }
        throw new FlinkException('JSON plan could not be generated.', { cause: error });
      }
      this.io.out('----------------------- Execution Plan -----------------------');
      this.io.out(JSON.stringify(plan));
      this.io.out('--------------------------------------------------------------');
      this.io.out('');
      this.io.out('No description provided.');
      return 0;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** `checkpoint [-full] <jobId>` (Flink 1.19+): a checkpoint now. */
  private async checkpoint(args: readonly string[]): Promise<void> {
    const commandLine = parseCommandLine(CHECKPOINT_OPTIONS, args, false);
    if (commandLine.has(HELP_OPTION)) {
      this.printActionHelp('checkpoint');
      return;
    }
    const jobId = parseJobId(commandLine.args[0], 'Missing JobID. Specify a Job ID to trigger a checkpoint.');
    if (commandLine.args.length > 1) this.io.out('Provided more arguments than required. Ignoring not needed arguments.');
    const full = commandLine.has(CHECKPOINT_FULL_OPTION);
    const client = await this.clusterClient(commandLine);
    this.io.out(`Triggering checkpoint for job ${jobId}.`);
    const done = client.triggerCheckpoint(jobId, full);
    this.io.out('Waiting for response...');
    let checkpointId: number;
    try {
      checkpointId = await done;
    } catch (error) {
      throw new FlinkException(`Failed to trigger a checkpoint for the job ${jobId}.`, { cause: error });
    }
    this.io.out(`${full ? 'Checkpoint(FULL)' : 'Checkpoint'} ${checkpointId} for job ${jobId} completed.`);
    this.io.out('You can resume your program from this checkpoint with the run command.');
  }

  /**
   * `rescale -p N <jobId>` (beyond Flink, whose REST rescaling answers 503): stop with a savepoint and run the same
   * program again with parallelism N from it; prints the new job's id.
   */
  private async rescale(args: readonly string[]): Promise<void> {
    const commandLine = parseCommandLine(RESCALE_OPTIONS, args, false);
    if (commandLine.has(HELP_OPTION)) {
      this.printActionHelp('rescale');
      return;
    }
    const jobId = parseJobId(commandLine.args[0], 'Missing JobID. Specify a Job ID to rescale a job.');
    const raw = commandLine.get(PARALLELISM_OPTION);
    if (raw === undefined) throw new CliArgsError('Missing parallelism. Specify the new parallelism with -p <parallelism>.');
    const parallelism = Number(raw);
    if (!Number.isInteger(parallelism) || parallelism < 1) throw new CliArgsError(`The parallelism must be a positive number: ${raw}`);
    const client = await this.clusterClient(commandLine);
    this.io.out(`Rescaling job ${jobId} to parallelism ${parallelism}.`);
    const done = client.rescale(jobId, parallelism);
    this.io.out('Waiting for response...');
    let rescaled: { jobId: string; savepoint: string };
    try {
      rescaled = await done;
    } catch (error) {
      throw new FlinkException(`Could not rescale job ${jobId}.`, { cause: error });
    }
    this.io.out(`Rescaled job ${jobId}: it goes on as job ${rescaled.jobId} with parallelism ${parallelism}, restored from savepoint ${rescaled.savepoint}.`);
  }

  private async list(args: readonly string[]): Promise<void> {
    const commandLine = parseCommandLine(LIST_OPTIONS, args, false);
    if (commandLine.has(HELP_OPTION)) {
      this.printActionHelp('list');
      return;
    }
    if (commandLine.args.length > 0) throw new CliArgsError(`Unrecognized arguments: ${commandLine.args.join(' ')}`);
    let showRunning = commandLine.has(LIST_RUNNING);
    let showScheduled = commandLine.has(LIST_SCHEDULED);
    const showAll = commandLine.has(LIST_ALL);
    if (!showRunning && !showScheduled && !showAll) {
      showRunning = true;
      showScheduled = true;
    }
    const client = await this.clusterClient(commandLine);
    const jobsPromise = client.listJobs();
    this.io.out('Waiting for response...');
    let jobs: JobStatusMessage[];
    try {
      jobs = await jobsPromise;
    } catch (error) {
      throw new FlinkException('Failed to retrieve job list.', { cause: error });
    }
    const running: JobStatusMessage[] = [];
    const scheduled: JobStatusMessage[] = [];
    const terminated: JobStatusMessage[] = [];
    for (const job of jobs) {
      if (job.jobState === 'CREATED' || job.jobState === 'INITIALIZING') scheduled.push(job);
      else if (!['FINISHED', 'CANCELED', 'FAILED'].includes(job.jobState)) running.push(job);
      else terminated.push(job);
    }
    if (showRunning || showAll) {
      if (running.length === 0) this.io.out('No running jobs.');
      else this.printJobs('------------------ Running/Restarting Jobs -------------------', running);
    }
    if (showScheduled || showAll) {
      if (scheduled.length === 0) this.io.out('No scheduled jobs.');
      else this.printJobs('----------------------- Scheduled Jobs -----------------------', scheduled);
    }
    if (showAll && terminated.length > 0) {
      this.printJobs('---------------------- Terminated Jobs -----------------------', terminated);
    }
  }

  private printJobs(banner: string, jobs: JobStatusMessage[]): void {
    this.io.out(banner);
    for (const line of formatJobLines(jobs)) this.io.out(line);
    this.io.out('--------------------------------------------------------------');
  }

  /** The configuration directory's configuration with the `-D` properties on top. */
  private configuration(commandLine: ParsedCommandLine): Configuration {
    const dynamic = new Configuration();
    for (const spec of commandLine.getAll(DYNAMIC_PROPERTIES)) {
      const eq = spec.indexOf('=');
      if (eq <= 0) throw new CliArgsError(`Invalid dynamic property '-D${spec}': expected -D<property=value>, e.g. -Drest.port=8081.`);
      dynamic.setString(spec.slice(0, eq), spec.slice(eq + 1));
    }
    return loadConfiguration(this.configurationDirectory(), dynamic, (warning) => this.io.err(warning));
  }

  /**
   * The cluster's REST client from the configuration directory, `-D` properties and `-m host:port`; with HA, the REST
   * endpoint of the leading JobManager as ZooKeeper names it (`-m` is then not used, as in Flink).
   */
  private async clusterClient(commandLine: ParsedCommandLine): Promise<RestClusterClient> {
    const configuration = this.configuration(commandLine);
    const address = commandLine.get(ADDRESS_OPTION);
    if (highAvailabilityMode(configuration) === 'ZOOKEEPER') {
      const leader = new URL(await retrieveLeaderRestAddress(configuration));
      configuration.set(RestOptions.ADDRESS, leader.hostname).set(RestOptions.PORT, Number(leader.port));
    } else if (address !== undefined) {
      const match = /^(.+):(\d+)$/.exec(address);
      if (!match) throw new CliArgsError(`Invalid address '${address}' for option -m: expected <host>:<port>.`);
      configuration.set(JobManagerOptions.ADDRESS, match[1]!).set(RestOptions.ADDRESS, match[1]!).set(RestOptions.PORT, Number(match[2]));
    }
    const tls = restClientTls(configuration);
    const token = configuration.get(RestOptions.AUTHENTICATION_TOKEN);
    return new RestClusterClient({
      host: configuration.get(RestOptions.ADDRESS) ?? configuration.get(JobManagerOptions.ADDRESS),
      port: configuration.get(RestOptions.PORT),
      retryMaxAttempts: configuration.get(RestOptions.RETRY_MAX_ATTEMPTS),
      retryDelayMs: configuration.get(RestOptions.RETRY_DELAY),
      connectionTimeoutMs: configuration.get(RestOptions.CONNECTION_TIMEOUT),
      ...(tls ? { tls } : {}),
      ...(token ? { token } : {}),
    });
  }

  /** `$FLINK_CONF_DIR` (which must exist), else `../conf`, else `conf` (Flink's getConfigurationDirectoryFromEnv). */
  private configurationDirectory(): string {
    const fromEnv = this.env[ENV_FLINK_CONF_DIR];
    if (fromEnv !== undefined) {
      if (!isDirectory(fromEnv)) {
        throw new IllegalConfigurationError(
          `The configuration directory '${fromEnv}', specified in the '${ENV_FLINK_CONF_DIR}' environment variable, does not exist.`,
        );
      }
      return fromEnv;
    }
    for (const candidate of ['../conf', 'conf']) if (isDirectory(candidate)) return resolve(candidate);
    throw new IllegalConfigurationError(
      `The configuration directory was not specified. Please specify the directory containing the configuration file through the '${ENV_FLINK_CONF_DIR}' environment variable.`,
    );
  }

  private handleError(error: unknown): number {
    if (error instanceof CliArgsError) {
      this.io.out(error.message);
      this.io.out('');
      this.io.out('Use the help option (-h or --help) to get help on the command.');
      return 1;
    }
    this.io.err('');
    this.io.err('------------------------------------------------------------');
    this.io.err(' The program finished with the following exception:');
    this.io.err('');
    this.io.err(formatErrorChain(error));
    return 1;
  }

  private printHelp(): void {
    this.io.out('./flink <ACTION> [OPTIONS] [ARGUMENTS]');
    this.io.out('');
    this.io.out('The following actions are available:');
    for (const action of Object.keys(ACTION_HELP) as Array<keyof typeof ACTION_HELP>) this.printActionHelp(action);
    this.io.out('');
  }

  /** One action's help as Flink prints it: what it does, its syntax, its own options, then the default-mode options. */
  private printActionHelp(action: keyof typeof ACTION_HELP): void {
    const help = ACTION_HELP[action];
    this.io.out('');
    this.io.out(`Action "${action}" ${help.description}`);
    this.io.out('');
    this.io.out(`  Syntax: ${help.syntax}`);
    if (help.options.length > 0) {
      this.io.out(`  "${action}" action options:`);
      for (const line of renderOptions(help.options)) this.io.out(line);
    }
    this.io.out('  Options for default mode:');
    for (const line of renderOptions(DEFAULT_MODE_OPTIONS)) this.io.out(line);
  }
}

/** The help text of each action, in the order `flink --help` lists them. */
const ACTION_HELP = {
  run: { description: 'compiles and runs a program.', syntax: 'run [OPTIONS] <job-file> <arguments>', options: [DETACHED_OPTION, PARALLELISM_OPTION, SAVEPOINT_PATH_OPTION, ALLOW_NON_RESTORED_OPTION] },
  info: { description: 'shows the optimized execution plan of the program (JSON).', syntax: 'info [OPTIONS] <job-file> <arguments>', options: [PARALLELISM_OPTION] },
  list: { description: 'lists running and scheduled programs.', syntax: 'list [OPTIONS]', options: [LIST_ALL, LIST_RUNNING, LIST_SCHEDULED] },
  cancel: { description: 'cancels a running program.', syntax: 'cancel [OPTIONS] <Job ID>', options: [CANCEL_WITH_SAVEPOINT_OPTION] },
  stop: { description: 'stops a running program with a savepoint (streaming jobs only).', syntax: 'stop [OPTIONS] <Job ID>', options: [STOP_AND_DRAIN, STOP_WITH_SAVEPOINT_PATH] },
  checkpoint: { description: 'triggers checkpoints for a running job.', syntax: 'checkpoint [OPTIONS] <Job ID>', options: [CHECKPOINT_FULL_OPTION] },
  savepoint: { description: 'triggers savepoints for a running job or disposes existing ones.', syntax: 'savepoint [OPTIONS] <Job ID> [<target directory>]', options: [SAVEPOINT_DISPOSE_OPTION] },
  rescale: {
    description: 'stops a job with a savepoint and runs it again from it with a new parallelism (tsflink).',
    syntax: 'rescale -p <parallelism> <Job ID>',
    options: [PARALLELISM_OPTION],
  },
} as const;

/**
 * Job lines as Flink prints them: `dd.MM.yyyy HH:mm:ss : <jobId> : <name> (<STATE>)` in local time, grouped by
 * state name and then ordered by start time.
 */
export function formatJobLines(jobs: readonly JobStatusMessage[]): string[] {
  return [...jobs]
    .sort((a, b) => a.jobState.localeCompare(b.jobState, 'en', { sensitivity: 'base' }))
    .sort((a, b) => a.startTime - b.startTime)
    .map((job) => `${formatDate(job.startTime)} : ${job.jobId} : ${job.jobName} (${job.jobState})`);
}

function formatDate(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(d.getDate())}.${pad(d.getMonth() + 1)}.${d.getFullYear()} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** `-p`: a positive integer, or undefined when not given. */
function parseParallelism(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const parallelism = Number(raw);
  if (!Number.isInteger(parallelism) || parallelism < 1) throw new CliArgsError(`The parallelism must be a positive number: ${raw}`);
  return parallelism;
}

/** A JobID argument: 32 hex characters (Flink's wording when it is missing or malformed). */
function parseJobId(text: string | undefined, missingMessage: string): string {
  if (text === undefined) throw new CliArgsError(missingMessage);
  if (!/^[0-9a-fA-F]{32}$/.test(text)) {
    throw new CliArgsError(`Cannot parse JobID from "${text}". The expected format is [0-9a-fA-F]{32}, e.g. fd72014d4c864993a2e5a9287b4a9c5d.`);
  }
  return text.toLowerCase();
}

function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}
