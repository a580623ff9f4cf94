import { formatDuration, formatTime, list, text } from '../format';
import { jobHref, navigate } from '../router';
import type { JobSummary } from '../types';
import { Message, StateBadge, TaskCounts } from './common';

/** Jobs of GET ./jobs/overview, newest first; a row opens the job. */
export function JobTable({ jobs, empty }: { jobs: readonly JobSummary[]; empty: string }) {
  if (jobs.length === 0) return <Message>{empty}</Message>;
  const sorted = [...jobs].sort((a, b) => (b['start-time'] ?? 0) - (a['start-time'] ?? 0));
  return (
    <table class="table job-table">
      <thead>
        <tr>
          <th>Job Name</th>
          <th>Start Time</th>
          <th>Duration</th>
          <th>End Time</th>
          <th>Tasks</th>
          <th>Status</th>
        </tr>
      </thead>
      <tbody>
        {sorted.map((job) => (
          <tr key={job.jid} class="clickable" data-jid={job.jid} onClick={() => navigate(jobHref(job.jid, job.state))}>
            <td>
              <a href={jobHref(job.jid, job.state)}>{text(job.name)}</a>
            </td>
            <td>{formatTime(job['start-time'])}</td>
            <td>{formatDuration(job.duration)}</td>
            <td>{formatTime(job['end-time'])}</td>
            <td>
              <TaskCounts counts={job.tasks} />
            </td>
            <td>
              <StateBadge state={job.state} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function jobsOf(overview: { jobs?: JobSummary[] } | undefined): readonly JobSummary[] {
  return list(overview?.jobs).filter((job) => job !== null && typeof job === 'object' && typeof job.jid === 'string');
}
