import type { ZooKeeperStateHandleStore } from '../../highavailability/zookeeper/ZooKeeperStateHandleStore.js';
import { deserializeJobGraphDescription, serializeJobGraphDescription, type SerializedJobGraphDescription } from '../../graph/JobGraph.js';
import type { JobSubmission } from '../jobmaster/JobMaster.js';

/**
 * The submitted jobs a new leader recovers (Flink's JobGraphStore): put when a job is submitted, removed when it
 * reaches a terminal state and its result is recorded.
 */
export interface JobGraphStore {
  putJobGraph(submission: JobSubmission): Promise<void>;
  /** The ids of the stored jobs. */
  getJobIds(): Promise<string[]>;
  recoverJobGraph(jobId: string): Promise<JobSubmission | undefined>;
  globalCleanup(jobId: string): Promise<void>;
}

/** Without HA, nothing outlives the JobManager. */
export class StandaloneJobGraphStore implements JobGraphStore {
  async putJobGraph(): Promise<void> {}
  async getJobIds(): Promise<string[]> {
    return [];
  }
  async recoverJobGraph(): Promise<JobSubmission | undefined> {
    return undefined;
  }
  async globalCleanup(): Promise<void> {}
}

const JOB_ID = /^[0-9a-f]{32}$/;

/** Job graphs in ZooKeeper (`<cluster>/jobgraphs/<jobId>`), each pointing to a `submittedJobGraph…` file in high-availability.storageDir. */
export class ZooKeeperJobGraphStore implements JobGraphStore {
  constructor(private readonly handles: ZooKeeperStateHandleStore) {}

  async putJobGraph(submission: JobSubmission): Promise<void> {
    await this.handles.put(checkedJobId(submission.jobId), serializeJobSubmission(submission));
  }

  async getJobIds(): Promise<string[]> {
    return (await this.handles.names()).filter((name) => JOB_ID.test(name));
  }

  async recoverJobGraph(jobId: string): Promise<JobSubmission | undefined> {
    const bytes = await this.handles.get(checkedJobId(jobId));
    return bytes && deserializeJobSubmission(bytes, jobId);
  }

  async globalCleanup(jobId: string): Promise<void> {
    await this.handles.remove(checkedJobId(jobId));
  }
}

function checkedJobId(jobId: string): string {
  if (!JOB_ID.test(jobId)) throw new Error(`'${jobId}' is not a job id`);
  return jobId;
}

interface StoredSubmission {
  jobId: string;
  jobGraph: SerializedJobGraphDescription;
  programArgs: string[];
  defaultParallelism: number;
  restore?: JobSubmission['restore'];
}

/** A submission as stored: a 4-byte length, the JSON description, then the job module's bytes. */
export function serializeJobSubmission(submission: JobSubmission): Buffer {
  const stored: StoredSubmission = {
    jobId: submission.jobId,
    jobGraph: serializeJobGraphDescription(submission.jobGraph),
    programArgs: submission.programArgs,
    defaultParallelism: submission.defaultParallelism,
    restore: submission.restore,
  };
  const json = Buffer.from(JSON.stringify(stored), 'utf8');
  const header = Buffer.alloc(4);
  header.writeUInt32BE(json.length);
  return Buffer.concat([header, json, submission.jobModule]);
}

export function deserializeJobSubmission(bytes: Buffer, expectedJobId: string): JobSubmission {
  if (bytes.length < 4) throw new Error(`the stored job graph of ${expectedJobId} is truncated`);
  const length = bytes.readUInt32BE(0);
  if (4 + length > bytes.length) throw new Error(`the stored job graph of ${expectedJobId} is truncated`);
  const stored = JSON.parse(bytes.subarray(4, 4 + length).toString('utf8')) as StoredSubmission;
  if (stored.jobId !== expectedJobId) throw new Error(`the stored job graph under ${expectedJobId} is of job ${stored.jobId}`);
  return { ...stored, jobGraph: deserializeJobGraphDescription(stored.jobGraph), jobModule: Buffer.from(bytes.subarray(4 + length)) };
}
