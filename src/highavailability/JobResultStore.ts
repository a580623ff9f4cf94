import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** How a job ended, as its result entry records it (Flink's JobResult). */
export interface JobResultEntry {
  jobId: string;
  applicationStatus: 'SUCCEEDED' | 'FAILED' | 'CANCELED' | 'UNKNOWN';
  /** Milliseconds from start to end. */
  netRuntime: number;
}

/**
 * The results of globally terminated jobs (Flink's JobResultStore), so that no leader recovers a finished job again:
 * an entry is created dirty when the job ends, before its HA data is cleaned up, and marked clean afterwards; a new
 * leader finishes the cleanup of dirty entries and recovers no job that has an entry.
 */
export interface JobResultStore {
  createDirtyResult(entry: JobResultEntry): Promise<void>;
  markResultAsClean(jobId: string): Promise<void>;
  hasJobResultEntry(jobId: string): Promise<boolean>;
  getDirtyResults(): Promise<JobResultEntry[]>;
}

/** Without HA: in memory. */
export class InMemoryJobResultStore implements JobResultStore {
  private readonly dirty = new Map<string, JobResultEntry>();
  private readonly clean = new Set<string>();

  async createDirtyResult(entry: JobResultEntry): Promise<void> {
    this.dirty.set(entry.jobId, entry);
  }
  async markResultAsClean(jobId: string): Promise<void> {
    if (this.dirty.delete(jobId)) this.clean.add(jobId);
  }
  async hasJobResultEntry(jobId: string): Promise<boolean> {
    return this.dirty.has(jobId) || this.clean.has(jobId);
  }
  async getDirtyResults(): Promise<JobResultEntry[]> {
    return [...this.dirty.values()];
  }
}

const JOB_ID = /^[0-9a-f]{32}$/;

/**
 * Flink's FileSystemJobResultStore in a directory (by default `<high-availability.storageDir>/job-result-store/<cluster-id>`):
 * `<jobId>_DIRTY.json`, renamed to `<jobId>.json` when clean; Flink's file format
 * (`{"result":{"id":…,"application-status":…,"accumulator-results":{},"net-runtime":…},"version":1}`).
 */
export class FileSystemJobResultStore implements JobResultStore {
  constructor(private readonly directory: string) {}

  async createDirtyResult(entry: JobResultEntry): Promise<void> {
    await mkdir(this.directory, { recursive: true });
    const file = this.file(entry.jobId, true);
    const body = { result: { id: entry.jobId, 'application-status': entry.applicationStatus, 'accumulator-results': {}, 'net-runtime': entry.netRuntime }, version: 1 };
    await writeFile(`${file}.inprogress`, JSON.stringify(body), { mode: 0o600 });
    await rename(`${file}.inprogress`, file);
  }

  async markResultAsClean(jobId: string): Promise<void> {
    await rename(this.file(jobId, true), this.file(jobId, false)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }

  async hasJobResultEntry(jobId: string): Promise<boolean> {
    const names = await this.names();
    return names.includes(`${jobId}.json`) || names.includes(`${jobId}_DIRTY.json`);
  }

  async getDirtyResults(): Promise<JobResultEntry[]> {
    const entries: JobResultEntry[] = [];
    for (const name of await this.names()) {
      const jobId = name.slice(0, -'_DIRTY.json'.length);
      if (!name.endsWith('_DIRTY.json') || !JOB_ID.test(jobId)) continue;
      const entry = parseEntry(await readFile(join(this.directory, name), 'utf8'), jobId);
      if (entry) entries.push(entry);
    }
    return entries;
  }

  /** Removes an entry (tests and tools; Flink keeps clean entries unless job-result-store.delete-on-commit). */
  async remove(jobId: string): Promise<void> {
    await rm(this.file(jobId, false), { force: true });
    await rm(this.file(jobId, true), { force: true });
  }

  private file(jobId: string, dirty: boolean): string {
    if (!JOB_ID.test(jobId)) throw new Error(`'${jobId}' is not a job id`);
    return join(this.directory, dirty ? `${jobId}_DIRTY.json` : `${jobId}.json`);
  }

  private async names(): Promise<string[]> {
    return readdir(this.directory).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    });
  }
}

function parseEntry(text: string, jobId: string): JobResultEntry | undefined {
  try {
    const { result } = JSON.parse(text) as { result?: Record<string, unknown> };
    const status = result?.['application-status'];
    if (result?.id !== jobId || !['SUCCEEDED', 'FAILED', 'CANCELED', 'UNKNOWN'].includes(status as string)) return undefined;
    return { jobId, applicationStatus: status as JobResultEntry['applicationStatus'], netRuntime: Number(result['net-runtime']) || 0 };
  } catch {
    return undefined;
  }
}
