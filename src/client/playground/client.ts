import { appendFileSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { PlaygroundContext } from './components.js';
import { BIN_DIR, CLICK_EVENT_COUNT } from './paths.js';
import { getJson, run } from './processes.js';

/** The job's arguments, as the seed's client container passes them, plus the exactly-once sink. */
function jobArguments(bootstrapServers: string): string[] {
  return ['--bootstrap.servers', bootstrapServers, '--checkpointing', '--event-time', '--delivery-guarantee', 'exactly-once'];
}

interface JobOverview {
  jid: string;
  state: string;
}

const TERMINAL = ['FINISHED', 'CANCELED', 'FAILED'];

/** The job that is not finished, cancelled or failed, if any. */
async function activeJob(restUrl: string): Promise<JobOverview | undefined> {
  const { jobs } = await getJson<{ jobs: JobOverview[] }>(`${restUrl}/jobs/overview`);
  return jobs.find((j) => !TERMINAL.includes(j.state));
}

/**
 * Records the parallelism of the active job (the highest of its vertices: what `flink run -p` gave it), so the next
 * `up` resumes it as it ran. Before the JobManager goes away; a JobManager that does not answer changes nothing.
 */
export async function rememberJob(ctx: PlaygroundContext): Promise<void> {
  try {
    const restUrl = await ctx.leaderRestUrl(5000);
    const job = await activeJob(restUrl);
    if (!job) return;
    const { vertices } = await getJson<{ vertices: Array<{ parallelism: number }> }>(`${restUrl}/jobs/${job.jid}`);
    ctx.state.parallelism = Math.max(...vertices.map((v) => v.parallelism));
    ctx.dir.writeState(ctx.state);
  } catch {
    // not reachable: keep what was recorded
  }
}

/**
 * The newest retained checkpoint or savepoint of the playground (by the time its `_metadata` was written): a
 * checkpoint `checkpoints/<job>/chk-N` or a savepoint `savepoints/savepoint-…`.
 */
function latestRetainedState(ctx: PlaygroundContext): string | undefined {
  const candidates: string[] = [];
  const { checkpoints, savepoints } = ctx.dir;
  for (const job of list(checkpoints)) for (const chk of list(join(checkpoints, job))) if (chk.startsWith('chk-')) candidates.push(join(checkpoints, job, chk));
  for (const savepoint of list(savepoints)) candidates.push(join(savepoints, savepoint));
  let newest: { dir: string; time: number } | undefined;
  for (const dir of candidates) {
    const metadata = join(dir, '_metadata');
    if (!existsSync(metadata)) continue;
    const time = statSync(metadata).mtimeMs;
    if (!newest || time > newest.time) newest = { dir, time };
  }
  return newest?.dir;
}

function list(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir) : [];
}

/**
 * The seed's client container: submits ClickEventCount with `flink run -d` unless a job is active. After a `down`, the
 * job resumes from the newest retained checkpoint or savepoint with the parallelism it had. Its output goes to
 * log/client.log; its exit code is what `ps` shows.
 */
export async function upClient(ctx: PlaygroundContext): Promise<void> {
  // With HA, the leader answers once it has recovered the jobs it took over: an active one is never submitted again.
  const active = await ctx
    .leaderRestUrl()
    .then((restUrl) => activeJob(restUrl))
    .catch((error: Error) => {
      throw new Error(`The JobManager does not answer at ${ctx.restUrl} (${error.message}): start it with 'up jobmanager' first.`);
    });
  if (active) {
    ctx.say(`client is up-to-date (job ${active.jid} is ${active.state})`);
    return;
  }
  const restoredFrom = latestRetainedState(ctx);
  const args = ['run', '-d'];
  if (restoredFrom) args.push('-s', restoredFrom);
  if (restoredFrom && ctx.state.parallelism) args.push('-p', String(ctx.state.parallelism));
  args.push(CLICK_EVENT_COUNT, ...jobArguments(ctx.bootstrapServers));
  const { code, output } = await run(join(BIN_DIR, 'flink'), args, { env: ctx.env });
  appendFileSync(join(ctx.dir.log, 'client.log'), `$ flink ${args.join(' ')}\n${output}`);
  const jobId = /Job has been submitted with JobID ([0-9a-f]{32})/.exec(output)?.[1];
  ctx.state.client = { exitCode: code, ...(jobId ? { jobId } : {}), ...(restoredFrom ? { restoredFrom } : {}) };
  ctx.dir.writeState(ctx.state);
  if (code !== 0 || !jobId) throw new Error(`Submitting the job failed (flink exited with ${code}):\n${output.trimEnd()}`);
  ctx.say(`Submitted Click Event Count: job ${jobId}${restoredFrom ? `, resumed from ${restoredFrom}` : ''}`);
}
