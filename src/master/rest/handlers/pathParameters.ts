import type { Dispatcher } from '../../dispatcher/Dispatcher.js';
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
