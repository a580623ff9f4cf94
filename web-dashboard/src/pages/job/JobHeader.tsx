import { useEffect, useState } from 'preact/hooks';
import { enc, request } from '../../api';
import { StateBadge, TaskCounts } from '../../components/common';
import { useClusterConfig } from '../../config';
import { formatDuration, formatTime, text } from '../../format';
import { usePoll } from '../../poll';
import { isCompleted } from '../../router';
import type { JobDetails, SavepointOperation } from '../../types';

/** The job's name, id, state, times and task counts, with Cancel and Stop with Savepoint. */
export function JobHeader({ job, stale, reload }: { job: JobDetails; stale: string | undefined; reload: () => void }) {
  const config = useClusterConfig();
  const [savepointTrigger, setSavepointTrigger] = useState<string | undefined>(undefined);
  const terminal = isCompleted(job.state);
  return (
    <section class="card job-header">
      <div class="job-header-main">
        <div>
          <h1 class="job-name">{text(job.name)}</h1>
          <div class="job-id">
            <span class="muted">ID:</span> <code>{text(job.jid)}</code>
          </div>
        </div>
        <div class="job-actions">
          {savepointTrigger !== undefined && <SavepointProgress jid={job.jid} trigger={savepointTrigger} reload={reload} />}
          {savepointTrigger === undefined && job.state === 'RUNNING' && <StopWithSavepoint jid={job.jid} onTriggered={setSavepointTrigger} />}
          {config?.features?.['web-cancel'] === true && !terminal && <CancelJob jid={job.jid} state={job.state} reload={reload} />}
        </div>
      </div>
      <dl class="job-facts">
        <div>
          <dt>Status</dt>
          <dd class="job-state" data-state={job.state}>
            <StateBadge state={job.state} />
          </dd>
        </div>
        <div>
          <dt>Start Time</dt>
          <dd>{formatTime(job['start-time'])}</dd>
        </div>
        {terminal && (
          <div>
            <dt>End Time</dt>
            <dd>{formatTime(job['end-time'])}</dd>
          </div>
        )}
        <div>
          <dt>Duration</dt>
          <dd>{formatDuration(job.duration)}</dd>
        </div>
        <div>
          <dt>Tasks</dt>
          <dd class="job-task-counts">
            <TaskCounts counts={job['status-counts']} />
          </dd>
        </div>
      </dl>
      {stale !== undefined && <p class="message warning">Showing the last known state: {stale}</p>}
    </section>
  );
}

function CancelJob({ jid, state, reload }: { jid: string; state: string; reload: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const [requested, setRequested] = useState(false);
  if (requested || state === 'CANCELLING') return <span class="muted">Cancelling…</span>;
  if (!confirming) {
    return (
      <button class="button danger" onClick={() => setConfirming(true)}>
        Cancel Job
      </button>
    );
  }
  const cancel = async () => {
    setConfirming(false);
    setRequested(true);
    const answer = await request(`./jobs/${enc(jid)}/yarn-cancel`);
    if (!answer.ok) setRequested(false);
    reload();
  };
  return (
    <span class="confirm">
      Cancel this job?{' '}
      <button class="button danger" onClick={() => void cancel()}>
        Yes, cancel
      </button>
      <button class="button" onClick={() => setConfirming(false)}>
        No
      </button>
    </span>
  );
}

function StopWithSavepoint({ jid, onTriggered }: { jid: string; onTriggered: (trigger: string) => void }) {
  const [requesting, setRequesting] = useState(false);
  const stop = async () => {
    setRequesting(true);
    const answer = await request<{ 'request-id'?: unknown }>(`./jobs/${enc(jid)}/stop`, { method: 'POST', body: { drain: false } });
    setRequesting(false);
    if (answer.ok && typeof answer.data?.['request-id'] === 'string') onTriggered(answer.data['request-id']);
  };
  return (
    <button class="button" disabled={requesting} onClick={() => void stop()}>
      Stop with Savepoint
    </button>
  );
}

type SavepointOutcome = { location: string } | { failure: string };

function failureOf(cause: NonNullable<SavepointOperation['operation']>['failure-cause']): string {
  const trace = cause?.['stack-trace'];
  return typeof trace === 'string' ? trace.split('\n')[0]! : text(cause?.class);
}

/**
 * Polls the stop operation's status URL until it completed, then shows the savepoint's path, or why it failed (in a
 * `failure-cause`, or as an error answer of the status URL).
 */
function SavepointProgress({ jid, trigger, reload }: { jid: string; trigger: string; reload: () => void }) {
  const [outcome, setOutcome] = useState<SavepointOutcome | null>(null);
  const status = usePoll<SavepointOperation>(outcome === null ? `./jobs/${enc(jid)}/savepoints/${enc(trigger)}` : null);
  useEffect(() => {
    const operation = status.data?.operation;
    if (status.data?.status?.id === 'COMPLETED') {
      setOutcome(typeof operation?.location === 'string' ? { location: operation.location } : { failure: failureOf(operation?.['failure-cause']) });
      reload();
    } else if (status.error !== undefined && (status.status ?? 0) >= 400) {
      setOutcome({ failure: status.error });
    }
  }, [status.data, status.error]);
  if (outcome === null) return <span class="muted savepoint-status">Stopping with a savepoint…</span>;
  if ('location' in outcome) {
    return (
      <span class="savepoint-status">
        Savepoint completed: <code>{outcome.location}</code>
      </span>
    );
  }
  return <span class="savepoint-status error-text">The savepoint failed: {outcome.failure}</span>;
}
