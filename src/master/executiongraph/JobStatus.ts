/** Flink's JobStatus, in declaration order (note CANCELLING with two Ls). */
export const JOB_STATUSES = [
  'INITIALIZING',
  'CREATED',
  'RUNNING',
  'FAILING',
  'FAILED',
  'CANCELLING',
  'CANCELED',
  'FINISHED',
  'RESTARTING',
  'SUSPENDED',
  'RECONCILING',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export function isGloballyTerminal(status: JobStatus): boolean {
  return status === 'FAILED' || status === 'CANCELED' || status === 'FINISHED';
}
