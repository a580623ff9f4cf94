import { Card, Pending } from '../components/common';
import { JobTable, jobsOf } from '../components/JobTable';
import { formatCount } from '../format';
import { usePoll } from '../poll';
import { isCompleted } from '../router';
import type { ClusterOverview, JobsOverview } from '../types';
import { VerifierCard } from './VerifierCard';

function Statistic({ id, label, value }: { id: string; label: string; value: unknown }) {
  return (
    <div class="statistic" data-stat={id}>
      <div class="statistic-value">{formatCount(value)}</div>
      <div class="statistic-label">{label}</div>
    </div>
  );
}

export function OverviewPage() {
  const overview = usePoll<ClusterOverview>('./overview');
  const jobs = usePoll<JobsOverview>('./jobs/overview');
  const o = overview.data;
  const all = jobsOf(jobs.data);
  return (
    <>
      <div class="overview-cards">
        <Card title="Task Slots" class="statistics">
          <Statistic id="slots-available" label="Available Task Slots" value={o?.['slots-available']} />
          <Statistic id="slots-total" label="Total Task Slots" value={o?.['slots-total']} />
          <Statistic id="taskmanagers" label="Task Managers" value={o?.taskmanagers} />
        </Card>
        <Card title="Jobs" class="statistics">
          <Statistic id="jobs-running" label="Running" value={o?.['jobs-running']} />
          <Statistic id="jobs-finished" label="Finished" value={o?.['jobs-finished']} />
          <Statistic id="jobs-cancelled" label="Canceled" value={o?.['jobs-cancelled']} />
          <Statistic id="jobs-failed" label="Failed" value={o?.['jobs-failed']} />
        </Card>
      </div>
      <VerifierCard />
      <Card title="Running Job List">
        {jobs.data === undefined ? <Pending error={jobs.error} what="The job list" /> : <JobTable jobs={all.filter((j) => !isCompleted(j.state))} empty="No running jobs." />}
      </Card>
      <Card title="Completed Job List">
        {jobs.data === undefined ? <Pending error={jobs.error} what="The job list" /> : <JobTable jobs={all.filter((j) => isCompleted(j.state))} empty="No completed jobs." />}
      </Card>
    </>
  );
}
