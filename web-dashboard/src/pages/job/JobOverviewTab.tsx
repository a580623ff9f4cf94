import { useState } from 'preact/hooks';
import { enc } from '../../api';
import { Card, Message, Pending, StateBadge, TaskCounts } from '../../components/common';
import { JobGraph } from '../../components/JobGraph';
import { formatBytes, formatCount, formatDuration, formatTime, list, text } from '../../format';
import { usePoll } from '../../poll';
import { href } from '../../router';
import type { IOMetrics, JobDetails, JobVertex, VertexDetails } from '../../types';
import { useVertexLive } from './vertexMetrics';

/** The job graph, the vertex table below it, and the subtasks of the vertex clicked in either. */
export function JobOverviewTab({ job }: { job: JobDetails }) {
  const [selected, setSelected] = useState<string | undefined>(undefined);
  const vertices = list(job.vertices).filter((v) => v !== null && typeof v === 'object' && typeof v.id === 'string');
  const live = useVertexLive(job.jid, vertices.map((v) => v.id));
  const toggle = (id: string) => setSelected((current) => (current === id ? undefined : id));
  const selectedVertex = vertices.find((v) => v.id === selected);
  return (
    <>
      <Card title="Job Graph">
        <JobGraph nodes={list(job.plan?.nodes)} vertices={vertices} live={live} selected={selected} onSelect={toggle} />
      </Card>
      <Card title="Vertices">
        <VertexTable vertices={vertices} selected={selected} onSelect={toggle} />
      </Card>
      {selectedVertex && <SubtasksPanel jid={job.jid} vertex={selectedVertex} onClose={() => setSelected(undefined)} />}
    </>
  );
}

function IOCells({ metrics }: { metrics: IOMetrics | undefined }) {
  return (
    <>
      <td class="num" data-metric="read-records">{formatCount(metrics?.['read-records'])}</td>
      <td class="num">{formatBytes(metrics?.['read-bytes'])}</td>
      <td class="num" data-metric="write-records">{formatCount(metrics?.['write-records'])}</td>
      <td class="num">{formatBytes(metrics?.['write-bytes'])}</td>
    </>
  );
}

/** A two-row table head: `before` and `after` span both rows, Received and Sent each head Records and Bytes. */
function IOTableHead({ before, after }: { before: string[]; after: string[] }) {
  const spanning = (labels: string[]) =>
    labels.map((label) => (
      <th key={label} rowSpan={2} class={label === 'Parallelism' || label === 'Subtask' || label === 'Attempt' ? 'num' : undefined}>
        {label}
      </th>
    ));
  return (
    <thead>
      <tr>
        {spanning(before)}
        <th colSpan={2} class="group">
          Received
        </th>
        <th colSpan={2} class="group">
          Sent
        </th>
        {spanning(after)}
      </tr>
      <tr>
        <th class="num">Records</th>
        <th class="num">Bytes</th>
        <th class="num">Records</th>
        <th class="num">Bytes</th>
      </tr>
    </thead>
  );
}

function VertexTable({ vertices, selected, onSelect }: { vertices: readonly JobVertex[]; selected: string | undefined; onSelect: (id: string) => void }) {
  if (vertices.length === 0) return <Message>The job has no vertices.</Message>;
  return (
    <table class="table vertex-table">
      <IOTableHead before={['Name', 'Status']} after={['Parallelism', 'Start Time', 'Duration', 'Tasks']} />
      <tbody>
        {vertices.map((v) => (
          <tr key={v.id} data-vertex-id={v.id} class={`clickable${selected === v.id ? ' selected' : ''}`} onClick={() => onSelect(v.id)}>
            <td class="vertex-name">{text(v.name)}</td>
            <td>
              <StateBadge state={v.status} />
            </td>
            <IOCells metrics={v.metrics} />
            <td class="num">{text(v.parallelism)}</td>
            <td class="nowrap">{formatTime(v['start-time'])}</td>
            <td>{formatDuration(v.duration)}</td>
            <td>
              <TaskCounts counts={v.tasks} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** GET ./jobs/:jid/vertices/:vid: one row per subtask. */
function SubtasksPanel({ jid, vertex, onClose }: { jid: string; vertex: JobVertex; onClose: () => void }) {
  const details = usePoll<VertexDetails>(`./jobs/${enc(jid)}/vertices/${enc(vertex.id)}`);
  const subtasks = list(details.data?.subtasks);
  return (
    <Card
      title={`Subtasks of ${text(vertex.name)}`}
      class="subtasks-panel"
      actions={
        <button class="button" onClick={onClose}>
          Close
        </button>
      }
    >
      {details.data === undefined ? (
        <Pending error={details.error} what="The subtasks" />
      ) : (
        <table class="table">
          <IOTableHead before={['Subtask', 'Status', 'Attempt']} after={['Endpoint', 'TaskManager', 'Start Time', 'Duration']} />
          <tbody>
            {subtasks.map((s) => {
              const tm = s['taskmanager-id'];
              return (
                <tr key={s.subtask}>
                  <td class="num">{text(s.subtask)}</td>
                  <td>
                    <StateBadge state={s.status} />
                  </td>
                  <td class="num">{text(s.attempt)}</td>
                  <IOCells metrics={s.metrics} />
                  <td>{text(s.endpoint ?? s.host)}</td>
                  <td>{typeof tm === 'string' && tm !== '' && !tm.startsWith('(') ? <a href={href('task-manager', tm)}>{tm}</a> : text(tm)}</td>
                  <td class="nowrap">{formatTime(s['start-time'])}</td>
                  <td>{formatDuration(s.duration)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </Card>
  );
}
