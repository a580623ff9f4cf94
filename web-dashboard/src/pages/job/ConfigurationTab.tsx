import { enc } from '../../api';
import { Card, KeyValueTable, Message, Pending } from '../../components/common';
import { text } from '../../format';
import { usePoll } from '../../poll';
import type { JobConfig } from '../../types';

/** GET ./jobs/:jid/config: the execution config and the job's user config. */
export function ConfigurationTab({ jid }: { jid: string }) {
  const config = usePoll<JobConfig>(`./jobs/${enc(jid)}/config`);
  const execution = config.data?.['execution-config'];
  if (config.data === undefined) return <Pending error={config.error} what="The job configuration" />;
  const user = execution?.['user-config'];
  const userEntries = user !== null && typeof user === 'object' ? Object.entries(user).sort(([a], [b]) => a.localeCompare(b)) : [];
  return (
    <>
      <Card title="Execution Configuration">
        <KeyValueTable
          rows={[
            ['Execution Mode', text(execution?.['execution-mode'])],
            ['Restart Strategy', text(execution?.['restart-strategy'])],
            ['Job Parallelism', text(execution?.['job-parallelism'])],
            ['Object Reuse Mode', text(execution?.['object-reuse-mode'])],
          ]}
        />
      </Card>
      <Card title="User Configuration">
        {userEntries.length === 0 ? <Message>The job has no user configuration.</Message> : <KeyValueTable rows={userEntries.map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)] as const)} />}
      </Card>
    </>
  );
}
