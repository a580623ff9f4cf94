import type { ComponentChildren } from 'preact';
import { enc } from '../../api';
import { Card, KeyValueTable, Message, Pending, StateBadge } from '../../components/common';
import { formatBytes, formatCount, formatDuration, formatLatency, formatTime, formatTimeOfDay, isNumber, list, text } from '../../format';
import { usePoll } from '../../poll';
import type { CheckpointConfig, CheckpointingStatistics, CheckpointStats, SummaryStats } from '../../types';

/**
 * GET ./jobs/:jid/checkpoints and ./checkpoints/config. Both answer 404 when the job does not checkpoint, which is no
 * error worth announcing (their failures are never toasted).
 */
export function CheckpointsTab({ jid }: { jid: string }) {
  const stats = usePoll<CheckpointingStatistics>(`./jobs/${enc(jid)}/checkpoints`);
  const config = usePoll<CheckpointConfig>(`./jobs/${enc(jid)}/checkpoints/config`);
  if (stats.status === 404) return <Message>Checkpointing is not enabled for this job.</Message>;
  const s = stats.data;
  if (s === undefined || s === null || typeof s !== 'object') return <Pending error={stats.error} what="The checkpoint statistics" />;
  return (
    <>
      <Card title="Checkpoint Counts" class="statistics checkpoint-counts">
        {(
          [
            ['total', 'Triggered'],
            ['in_progress', 'In Progress'],
            ['completed', 'Completed'],
            ['failed', 'Failed'],
            ['restored', 'Restored'],
          ] as const
        ).map(([key, label]) => (
          <div key={key} class="statistic" data-stat={`checkpoints-${key}`}>
            <div class="statistic-value">{formatCount(s.counts?.[key])}</div>
            <div class="statistic-label">{label}</div>
          </div>
        ))}
      </Card>
      <Card title="Latest Checkpoints">
        <LatestCheckpoints stats={s} />
      </Card>
      <Card title="History">
        <CheckpointHistory history={list(s.history)} />
      </Card>
      <Card title="Summary">
        <CheckpointSummary summary={s.summary} />
      </Card>
      <Card title="Configuration">{config.data ? <CheckpointConfiguration config={config.data} /> : <Pending error={config.error} what="The checkpoint configuration" />}</Card>
    </>
  );
}

function describe(checkpoint: CheckpointStats | null | undefined, extra: (c: CheckpointStats) => ComponentChildren): ComponentChildren {
  if (checkpoint === null || checkpoint === undefined || typeof checkpoint !== 'object') return 'None';
  return (
    <>
      <strong>ID {text(checkpoint.id)}</strong> · {extra(checkpoint)}
    </>
  );
}

function LatestCheckpoints({ stats }: { stats: CheckpointingStatistics }) {
  const latest = stats.latest ?? {};
  const restored = latest.restored;
  const completed = (c: CheckpointStats) => (
    <>
      completed {formatTime(c.latest_ack_timestamp)} · {formatBytes(c.checkpointed_size)} in {formatLatency(c.end_to_end_duration)}
      {typeof c.external_path === 'string' && (
        <div>
          <code>{c.external_path}</code>
        </div>
      )}
    </>
  );
  return (
    <KeyValueTable
      rows={[
        ['Latest Completed Checkpoint', describe(latest.completed, completed)],
        ['Latest Savepoint', describe(latest.savepoint, completed)],
        ['Latest Failed Checkpoint', describe(latest.failed, (c) => <>failed {formatTime(c.failure_timestamp)}: {text(c.failure_message)}</>)],
        [
          'Latest Restore',
          restored === null || restored === undefined || typeof restored !== 'object' ? (
            'None'
          ) : (
            <>
              <strong>ID {text(restored.id)}</strong> · {restored.is_savepoint ? 'savepoint' : 'checkpoint'} restored {formatTime(restored.restore_timestamp)}
              {typeof restored.external_path === 'string' && (
                <div>
                  <code>{restored.external_path}</code>
                </div>
              )}
            </>
          ),
        ],
      ]}
    />
  );
}

function CheckpointHistory({ history }: { history: readonly CheckpointStats[] }) {
  const rows = history.filter((c) => c !== null && typeof c === 'object').sort((a, b) => (isNumber(b.id) && isNumber(a.id) ? b.id - a.id : 0));
  if (rows.length === 0) return <Message>No checkpoint has been triggered yet.</Message>;
  return (
    <table class="table checkpoint-history">
      <thead>
        <tr>
          <th class="num">ID</th>
          <th>Status</th>
          <th class="num">Acknowledged</th>
          <th>Trigger Time</th>
          <th>Latest Acknowledgement</th>
          <th class="num">End to End Duration</th>
          <th class="num">Checkpointed Data Size</th>
          <th class="num">Full Checkpoint Data Size</th>
          <th>Type</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((c) => (
          <tr key={c.id} data-checkpoint-id={c.id}>
            <td class="num">{text(c.id)}</td>
            <td>
              <StateBadge state={c.status} />
            </td>
            <td class="num">
              {text(c.num_acknowledged_subtasks)}/{text(c.num_subtasks)}
            </td>
            <td title={formatTime(c.trigger_timestamp)}>{formatTimeOfDay(c.trigger_timestamp)}</td>
            <td title={formatTime(c.latest_ack_timestamp)}>{formatTimeOfDay(c.latest_ack_timestamp)}</td>
            <td class="num">{formatLatency(c.end_to_end_duration)}</td>
            <td class="num checkpointed-size">{formatBytes(c.checkpointed_size)}</td>
            <td class="num">{formatBytes(c.state_size)}</td>
            <td>{c.is_savepoint ? 'Savepoint' : text(c.checkpoint_type)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function CheckpointSummary({ summary }: { summary: CheckpointingStatistics['summary'] }) {
  const rows: Array<[string, SummaryStats | undefined, (v: unknown) => string]> = [
    ['End to End Duration', summary?.end_to_end_duration, formatLatency],
    ['Checkpointed Data Size', summary?.checkpointed_size, formatBytes],
    ['Full Checkpoint Data Size', summary?.state_size, formatBytes],
  ];
  return (
    <table class="table">
      <thead>
        <tr>
          <th />
          <th class="num">Minimum</th>
          <th class="num">Average</th>
          <th class="num">Maximum</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(([label, stats, format]) => (
          <tr key={label}>
            <th scope="row">{label}</th>
            <td class="num">{format(stats?.min)}</td>
            <td class="num">{format(isNumber(stats?.avg) ? Math.round(stats.avg) : undefined)}</td>
            <td class="num">{format(stats?.max)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function CheckpointConfiguration({ config }: { config: CheckpointConfig }) {
  const externalized = config.externalization?.enabled
    ? `Enabled (${config.externalization.delete_on_cancellation ? 'delete on cancellation' : 'retain on cancellation'})`
    : 'Disabled';
  return (
    <KeyValueTable
      rows={[
        ['Checkpointing Mode', typeof config.mode === 'string' ? config.mode.replace(/_/g, ' ').toUpperCase() : '—'],
        ['Interval', formatDuration(config.interval)],
        ['Timeout', formatDuration(config.timeout)],
        ['Minimum Pause Between Checkpoints', formatDuration(config.min_pause)],
        ['Maximum Concurrent Checkpoints', text(config.max_concurrent)],
        ['Unaligned Checkpoints', config.unaligned_checkpoints ? 'Enabled' : 'Disabled'],
        ['Persist Checkpoints Externally', externalized],
        ['Tolerable Failed Checkpoints', config.tolerable_failed_checkpoints === 2_147_483_647 ? 'Unlimited' : text(config.tolerable_failed_checkpoints)],
        ['State Backend', text(config.state_backend)],
        ['Checkpoint Storage', text(config.checkpoint_storage)],
      ]}
    />
  );
}
