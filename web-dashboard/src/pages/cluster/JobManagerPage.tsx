import { useState } from 'preact/hooks';
import { Card, KeyValueTable, Message, Pending, Tabs } from '../../components/common';
import { formatCount, list } from '../../format';
import { usePoll } from '../../poll';
import { href, type JobManagerTab } from '../../router';
import type { ConfigEntry, MetricValue } from '../../types';
import { LogFiles, TextFile } from './LogViews';
import { formatLoad, GarbageCollectorsCard, metricValues, UsageCard } from './metrics';

const TABS: ReadonlyArray<readonly [JobManagerTab, string]> = [
  ['metrics', 'Metrics'],
  ['configuration', 'Configuration'],
  ['logs', 'Logs'],
  ['stdout', 'Stdout'],
  ['log-list', 'Log List'],
];

const BASE = './jobmanager';

export function JobManagerPage({ tab, file }: { tab: JobManagerTab; file: string | undefined }) {
  return (
    <>
      <Tabs items={TABS.map(([id, label]) => ({ id, label, href: href('job-manager', id) }))} active={tab} />
      {tab === 'metrics' && <JobManagerMetrics />}
      {tab === 'configuration' && <JobManagerConfiguration />}
      {tab === 'logs' && <TextFile title="Logs" url={`${BASE}/log`} />}
      {tab === 'stdout' && <TextFile title="Stdout" url={`${BASE}/stdout`} />}
      {tab === 'log-list' && <LogFiles base={BASE} linkBase={['job-manager', 'log-list']} file={file} />}
    </>
  );
}

const JVM_METRICS = [
  'Status.JVM.Memory.Heap.Used',
  'Status.JVM.Memory.Heap.Committed',
  'Status.JVM.Memory.Heap.Max',
  'Status.JVM.Memory.NonHeap.Used',
  'Status.JVM.Memory.NonHeap.Max',
  'Status.JVM.Memory.Metaspace.Used',
  'Status.JVM.Memory.Metaspace.Max',
  'Status.JVM.Memory.Direct.MemoryUsed',
  'Status.JVM.Memory.Direct.TotalCapacity',
  'Status.JVM.CPU.Load',
  'Status.JVM.Threads.Count',
  'numRegisteredTaskManagers',
  'numRunningJobs',
  'taskSlotsAvailable',
  'taskSlotsTotal',
];

const GC_METRIC = /^Status\.JVM\.GarbageCollector\.(.+)\.(Count|Time)$/;

/** GET ./jobmanager/metrics once for the available ids (to find the garbage collectors), then their values each tick. */
function JobManagerMetrics() {
  const available = usePoll<MetricValue[]>(`${BASE}/metrics`, { quiet: true, live: false });
  const gcIds = list(available.data)
    .map((m) => m?.id)
    .filter((id): id is string => typeof id === 'string' && GC_METRIC.test(id));
  const values = usePoll<MetricValue[]>(`${BASE}/metrics?get=${[...JVM_METRICS, ...gcIds].join(',')}`, { quiet: true });
  if (values.data === undefined) return <Pending error={values.error} what="The JobManager's metrics" />;
  const m = metricValues(values.data);
  const collectors = new Map<string, { count?: number; time?: number }>();
  for (const id of gcIds) {
    const [, name, kind] = GC_METRIC.exec(id)!;
    const entry = collectors.get(name!) ?? {};
    entry[kind === 'Count' ? 'count' : 'time'] = m.get(id);
    collectors.set(name!, entry);
  }
  return (
    <>
      <div class="two-columns">
        <UsageCard
          title="Memory"
          rows={[
            { label: 'JVM Heap', used: m.get('Status.JVM.Memory.Heap.Used'), max: m.get('Status.JVM.Memory.Heap.Max') },
            { label: 'Non-Heap', used: m.get('Status.JVM.Memory.NonHeap.Used'), max: m.get('Status.JVM.Memory.NonHeap.Max') },
            { label: 'Metaspace', used: m.get('Status.JVM.Memory.Metaspace.Used'), max: m.get('Status.JVM.Memory.Metaspace.Max') },
            { label: 'Direct Buffers', used: m.get('Status.JVM.Memory.Direct.MemoryUsed'), max: m.get('Status.JVM.Memory.Direct.TotalCapacity') },
          ]}
        />
        <Card title="Process">
          <KeyValueTable
            rows={[
              ['CPU Load', formatLoad(m.get('Status.JVM.CPU.Load'))],
              ['Threads', formatCount(m.get('Status.JVM.Threads.Count'))],
              ['Registered TaskManagers', formatCount(m.get('numRegisteredTaskManagers'))],
              ['Running Jobs', formatCount(m.get('numRunningJobs'))],
              ['Task Slots Available / Total', `${formatCount(m.get('taskSlotsAvailable'))} / ${formatCount(m.get('taskSlotsTotal'))}`],
            ]}
          />
        </Card>
      </div>
      <GarbageCollectorsCard collectors={[...collectors].map(([name, gc]) => ({ name, ...gc }))} />
    </>
  );
}

/** GET ./jobmanager/config: a bare array of {key, value}, filterable. */
function JobManagerConfiguration() {
  const config = usePoll<ConfigEntry[]>(`${BASE}/config`, { live: false });
  const [filter, setFilter] = useState('');
  if (config.data === undefined) return <Pending error={config.error} what="The JobManager's configuration" />;
  const needle = filter.trim().toLowerCase();
  const entries = list(config.data)
    .filter((e) => e !== null && typeof e === 'object' && typeof e.key === 'string')
    .filter((e) => needle === '' || e.key.toLowerCase().includes(needle) || String(e.value).toLowerCase().includes(needle))
    .sort((a, b) => a.key.localeCompare(b.key));
  return (
    <Card
      title="Configuration"
      actions={<input class="input" type="search" placeholder="Filter keys and values" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} />}
    >
      {entries.length === 0 ? <Message>No matching configuration entries.</Message> : <KeyValueTable rows={entries.map((e) => [e.key, String(e.value)] as const)} />}
    </Card>
  );
}
