import { Card, Pending } from '../components/common';
import { JobTable, jobsOf } from '../components/JobTable';
import { usePoll } from '../poll';
import { isCompleted, type JobList } from '../router';
import type { JobsOverview } from '../types';

/** Running Jobs / Completed Jobs: completed means FINISHED, FAILED or CANCELED. */
export function JobListPage({ list }: { list: JobList }) {
  const overview = usePoll<JobsOverview>('./jobs/overview');
  const completed = list === 'completed';
  const jobs = jobsOf(overview.data).filter((job) => isCompleted(job.state) === completed);
  return (
    <Card title={completed ? 'Completed Job List' : 'Running Job List'}>
      {overview.data === undefined ? (
        <Pending error={overview.error} what="The job list" />
      ) : (
        <JobTable jobs={jobs} empty={completed ? 'No completed jobs.' : 'No running jobs.'} />
      )}
    </Card>
  );
}
