import { Guard, Message, Pending, Tabs, type TabItem } from '../../components/common';
import { enc } from '../../api';
import { usePoll } from '../../poll';
import { jobHref, type JobTab } from '../../router';
import type { JobDetails } from '../../types';
import { CheckpointsTab } from './CheckpointsTab';
import { ConfigurationTab } from './ConfigurationTab';
import { ExceptionsTab } from './ExceptionsTab';
import { JobHeader } from './JobHeader';
import { JobOverviewTab } from './JobOverviewTab';
import { TimelineTab } from './TimelineTab';

const TAB_LABELS: Record<JobTab, string> = {
  overview: 'Overview',
  exceptions: 'Exceptions',
  timeline: 'Timeline',
  checkpoints: 'Checkpoints',
  configuration: 'Configuration',
};

/** A job: GET ./jobs/:jid on every tick, its header, and one of its tabs. */
export function JobPage({ jid, tab }: { jid: string; tab: JobTab }) {
  const job = usePoll<JobDetails>(`./jobs/${enc(jid)}`);
  const details = job.data;
  if (details === undefined || details === null || typeof details !== 'object') {
    return job.status === 404 ? <Message>Job {jid} is not known to this cluster.</Message> : <Pending error={job.error} what={`Job ${jid}`} />;
  }
  // Batch jobs have no checkpoints (Flink hides the tab for them).
  const tabs: TabItem[] = (Object.keys(TAB_LABELS) as JobTab[])
    .filter((id) => id !== 'checkpoints' || details.plan?.type !== 'BATCH')
    .map((id) => ({ id, label: TAB_LABELS[id], href: jobHref(jid, details.state, id) }));
  return (
    <>
      <JobHeader job={details} stale={job.error} reload={job.reload} />
      <Tabs items={tabs} active={tab} />
      <Guard key={tab}>
        {tab === 'overview' && <JobOverviewTab job={details} />}
        {tab === 'exceptions' && <ExceptionsTab jid={jid} />}
        {tab === 'timeline' && <TimelineTab job={details} />}
        {tab === 'checkpoints' && <CheckpointsTab jid={jid} />}
        {tab === 'configuration' && <ConfigurationTab jid={jid} />}
      </Guard>
    </>
  );
}
