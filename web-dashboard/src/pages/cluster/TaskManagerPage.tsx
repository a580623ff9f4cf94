import { enc } from '../../api';
import { Card, KeyValueTable, Message, Pending, Tabs } from '../../components/common';
import { formatBytes, formatCount, formatTime, list, text } from '../../format';
import { usePoll } from '../../poll';
import { href, type TaskManagerTab } from '../../router';
import type { MetricValue, TaskManagerDetails } from '../../types';
import { LogFiles, TextFile } from './LogViews';
import { formatLoad, GarbageCollectorsCard, metricValues, UsageCard } from './metrics';

const TABS: ReadonlyArray<readonly [TaskManagerTab, string]> = [
  ['metrics', 'Metrics'],
  ['logs', 'Logs'],
  ['stdout', 'Stdout'],
  ['log-list', 'Log List'],
];

const LIVE_METRICS = [
  'Status.JVM.Memory.Heap.Used',
  'Status.JVM.Memory.Heap.Max',
  'Status.JVM.Memory.Metaspace.Used',
  'Status.JVM.Memory.Metaspace.Max',
  'Status.JVM.CPU.Load',
  'Status.JVM.Threads.Count',
  'Status.Flink.Memory.Managed.Used',
  'Status.Flink.Memory.Managed.Total',
  'Status.Shuffle.Netty.UsedMemory',
  'Status.Shuffle.Netty.TotalMemory',
];

/** One TaskManager: GET ./taskmanagers/:id on every tick, and its metrics, logs and stdout. */
export function TaskManagerPage({ id, tab, file }: { id: string; tab: TaskManagerTab; file: string | undefined }) {
  const base = `./taskmanagers/${enc(id)}`;
  const details = usePoll<TaskManagerDetails>(base);
  const tm = details.data;
  if (tm === undefined || tm === null || typeof tm !== 'object') {
    return details.status === 404 ? <Message>TaskManager {id} is not registered (any more).</Message> : <Pending error={details.error} what={`TaskManager ${id}`} />;
  }
  return (
    <>
      <Card title={<>Task Manager <code class="tm-id">{tm.id}</code></>} class="tm-header">
        <KeyValueTable
          rows={[
            ['Path', text(tm.path)],
            ['Data Port', text(tm.dataPort)],
            ['Last Heartbeat', formatTime(tm.timeSinceLastHeartbeat)],
            ['Slots', `${text(tm.freeSlots)} free of ${text(tm.slotsNumber)}`],
            ['CPU Cores', text(tm.hardware?.cpuCores)],
            ['Physical Memory', formatBytes(tm.hardware?.physicalMemory)],
            ['Free Memory', formatBytes(tm.hardware?.freeMemory)],
          ]}
        />
      </Card>
      <Tabs items={TABS.map(([tabId, label]) => ({ id: tabId, label, href: href('task-manager', id, tabId) }))} active={tab} />
      {tab === 'metrics' && <TaskManagerMetrics base={base} tm={tm} />}
      {tab === 'logs' && <TextFile title="Logs" url={`${base}/log`} />}
      {tab === 'stdout' && <TextFile title="Stdout" url={`${base}/stdout`} />}
      {tab === 'log-list' && <LogFiles base={base} linkBase={['task-manager', id, 'log-list']} file={file} />}
    </>
  );
}

function TaskManagerMetrics({ base, tm }: { base: string; tm: TaskManagerDetails }) {
  // Quiet: the live metrics are extra figures; without them the bars show "—".
  const live = metricValues(usePoll<MetricValue[]>(`${base}/metrics?get=${LIVE_METRICS.join(',')}`, { quiet: true }).data);
  const m = tm.metrics ?? {};
  const slots = list(tm.allocatedSlots);
  return (
    <>
      <div class="two-columns">
        <UsageCard
          title="Memory"
          rows={[
            { label: 'JVM Heap', used: live.get('Status.JVM.Memory.Heap.Used') ?? m.heapUsed, max: live.get('Status.JVM.Memory.Heap.Max') ?? m.heapMax },
            { label: 'Managed Memory', used: live.get('Status.Flink.Memory.Managed.Used'), max: live.get('Status.Flink.Memory.Managed.Total') },
            { label: 'Network (Netty Shuffle)', used: live.get('Status.Shuffle.Netty.UsedMemory') ?? m.nettyShuffleMemoryUsed, max: live.get('Status.Shuffle.Netty.TotalMemory') ?? m.nettyShuffleMemoryTotal },
            { label: 'Metaspace', used: live.get('Status.JVM.Memory.Metaspace.Used'), max: live.get('Status.JVM.Memory.Metaspace.Max') },
          ]}
        />
        <Card title="Process">
          <KeyValueTable
            rows={[
              ['CPU Load', formatLoad(live.get('Status.JVM.CPU.Load'))],
              ['Threads', formatCount(live.get('Status.JVM.Threads.Count'))],
              ['Heap Committed', formatBytes(m.heapCommitted)],
              ['Non-Heap Used / Committed', `${formatBytes(m.nonHeapUsed)} / ${formatBytes(m.nonHeapCommitted)}`],
              ['Direct Buffers', `${formatCount(m.directCount)} · ${formatBytes(m.directUsed)}`],
              ['Mapped Buffers', `${formatCount(m.mappedCount)} · ${formatBytes(m.mappedUsed)}`],
            ]}
          />
        </Card>
      </div>
      <GarbageCollectorsCard collectors={list(m.garbageCollectors).filter((gc) => gc !== null && typeof gc === 'object')} />
      <Card title="Allocated Slots">
        {slots.length === 0 ? (
          <Message>No slot is allocated.</Message>
        ) : (
          <table class="table">
            <thead>
              <tr>
                <th>Job</th>
              </tr>
            </thead>
            <tbody>
              {slots.map((slot, i) => (
                <tr key={i}>
                  <td>{typeof slot?.jobId === 'string' ? <a href={href('job', 'running', slot.jobId)}>{slot.jobId}</a> : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
    </>
  );
}
