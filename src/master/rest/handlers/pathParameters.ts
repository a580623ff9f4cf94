import { TsFlinkError } from '../../../common/errors.js';
import type { Dispatcher } from '../../dispatcher/Dispatcher.js';
import { isGloballyTerminal } from '../../executiongraph/JobStatus.js';
import type { JobMaster } from '../../jobmaster/JobMaster.js';
import { BadRequestError, NotFoundError, RestHandlerError } from '../RestHandlerError.js';

/** A `:jobid` path parameter: 32 hex characters (Flink's JobIDPathParameter), lower-cased. */
export function parseJobId(jobId: string): string {
  if (!/^[0-9a-f]{32}$/i.test(jobId)) throw new BadRequestError(`Bad request, could not parse parameters: Cannot parse JobID from "${jobId}".`);
  return jobId.toLowerCase();
}

/** The job a `:jobid` names, or 404 `Job <id> not found`. */
export function requireJob(dispatcher: Dispatcher, jobId: string): JobMaster {
  const found = dispatcher.getJob(parseJobId(jobId));
  if (!found) throw new NotFoundError(`Job ${jobId} not found`);
  return found;
}

/** The job a `:jobid` names if it is RUNNING, else 409: savepoints and checkpoints are taken of running jobs only. */
export function requireRunningJob(dispatcher: Dispatcher, jobId: string): JobMaster {
  const job = requireJob(dispatcher, jobId);
  if (job.status !== 'RUNNING') throw new RestHandlerError(`Job ${jobId} is not running (${job.status}): no savepoint can be taken.`, 409);
  return job;
}

/** Flink's FlinkJobNotFoundException: an operation on a job the Dispatcher does not run (unknown, or ended). */
export class FlinkJobNotFoundError extends TsFlinkError {
  readonly javaClassName = 'org.apache.flink.runtime.messages.FlinkJobNotFoundException';

  constructor(jobId: string) {
    super(`Could not find Flink job (${jobId})`);
  }
}

/** Flink's CheckpointException: a savepoint or checkpoint of a job whose tasks are not all running. */
export class CheckpointTriggerError extends TsFlinkError {
  readonly javaClassName = 'org.apache.flink.runtime.checkpoint.CheckpointException';
}

/**
 * The job an asynchronous savepoint, stop or checkpoint operation is for. As in Flink, such a trigger is answered 202
 * whatever the job's state, and the operation fails with the reason: FlinkJobNotFoundException for a job that is not
 * known or has ended, CheckpointException for one that does not run (yet, or while it restarts).
 */
export function runningJobForOperation(dispatcher: Dispatcher, jobId: string): JobMaster {
  const job = dispatcher.getJob(jobId);
  if (!job || isGloballyTerminal(job.status)) throw new FlinkJobNotFoundError(jobId);
  if (job.status !== 'RUNNING') throw new CheckpointTriggerError(`Job ${jobId} is not running (${job.status}): not all required tasks are currently running.`);
  return job;
}
