import { useState } from 'preact/hooks';
import { enc } from '../../api';
import { Card, Message, Pending, stateClass } from '../../components/common';
import { formatClock, formatDuration, isNumber, list, text } from '../../format';
import { usePoll } from '../../poll';
import type { JobDetails, SubtaskTimes } from '../../types';

interface Segment {
  state: string;
  start: number;
  end: number;
}

interface Row {
  key: string;
  label: string;
  detail?: string;
  segments: Segment[];
}

const TERMINAL = new Set(['FINISHED', 'CANCELED', 'FAILED']);
const AXIS_TICKS = 5;

/** Bars per vertex from start to end (or start + duration while it runs); a bar opens its subtasks' timeline. */
export function TimelineTab({ job }: { job: JobDetails }) {
  const [selected, setSelected] = useState<string | undefined>(undefined);
  const rows: Row[] = list(job.vertices)
    .filter((v) => isNumber(v?.['start-time']) && v['start-time'] > 0)
    .map((v) => {
      const start = v['start-time'];
      const end = isNumber(v['end-time']) && v['end-time'] > 0 ? v['end-time'] : start + (isNumber(v.duration) ? Math.max(0, v.duration) : 0);
      return { key: v.id, label: text(v.name), detail: formatDuration(end - start), segments: [{ state: v.status, start, end }] };
    });
  const vertex = list(job.vertices).find((v) => v.id === selected);
  return (
    <>
      <Card title="Vertex Timeline">
        {rows.length === 0 ? <Message>No vertex has started yet.</Message> : <Timeline rows={rows} selected={selected} onSelect={(key) => setSelected((s) => (s === key ? undefined : key))} />}
      </Card>
      {vertex && <SubtaskTimeline jid={job.jid} vertexId={vertex.id} name={text(vertex.name)} />}
    </>
  );
}

/** GET …/vertices/:vid/subtasktimes: per subtask, one segment per state it went through. */
function SubtaskTimeline({ jid, vertexId, name }: { jid: string; vertexId: string; name: string }) {
  const times = usePoll<SubtaskTimes>(`./jobs/${enc(jid)}/vertices/${enc(vertexId)}/subtasktimes`);
  const now = isNumber(times.data?.now) ? times.data.now : Date.now();
  const rows: Row[] = list(times.data?.subtasks).map((s) => {
    const entered = Object.entries(s?.timestamps ?? {})
      .filter((e): e is [string, number] => isNumber(e[1]) && e[1] > 0)
      .sort((a, b) => a[1] - b[1]);
    const segments = entered.flatMap(([state, start], i): Segment[] => {
      const next = entered[i + 1];
      if (next) return [{ state, start, end: next[1] }];
      return TERMINAL.has(state) ? [] : [{ state, start, end: now }];
    });
    return { key: String(s?.subtask), label: `Subtask ${text(s?.subtask)}`, detail: text(s?.endpoint ?? s?.host), segments };
  });
  return (
    <Card title={`Subtasks of ${name}`}>
      {times.data === undefined ? (
        <Pending error={times.error} what="The subtask times" />
      ) : rows.every((r) => r.segments.length === 0) ? (
        <Message>No subtask has a recorded state change yet.</Message>
      ) : (
        <Timeline rows={rows} legend />
      )}
    </Card>
  );
}

function Timeline({ rows, selected, onSelect, legend = false }: { rows: readonly Row[]; selected?: string; onSelect?: (key: string) => void; legend?: boolean }) {
  const all = rows.flatMap((r) => r.segments);
  const min = Math.min(...all.map((s) => s.start));
  const max = Math.max(...all.map((s) => s.end));
  const range = Math.max(1, max - min);
  const at = (t: number) => ((t - min) / range) * 100;
  const states = [...new Set(all.map((s) => s.state))];
  return (
    <div class="timeline">
      {rows.map((row) => (
        <div key={row.key} class={`timeline-row${selected === row.key ? ' selected' : ''}`} data-row={row.key}>
          <div class="timeline-label" title={row.label}>
            {row.label}
            {row.detail !== undefined && <span class="muted small"> {row.detail}</span>}
          </div>
          <div class="timeline-track">
            {row.segments.map((s, i) => (
              <button
                key={i}
                type="button"
                class={`timeline-bar ${stateClass(s.state)}${onSelect ? '' : ' static'}`}
                style={{ left: `${at(s.start)}%`, width: `${Math.max(0.4, at(s.end) - at(s.start))}%` }}
                title={`${s.state}: ${formatClock(s.start)} – ${formatClock(s.end)} (${formatDuration(s.end - s.start)})`}
                onClick={onSelect ? () => onSelect(row.key) : undefined}
                tabIndex={onSelect ? 0 : -1}
              />
            ))}
          </div>
        </div>
      ))}
      <div class="timeline-row timeline-axis">
        <div class="timeline-label" />
        <div class="timeline-track">
          {Array.from({ length: AXIS_TICKS }, (_, i) => (
            <span key={i} class="timeline-tick" style={{ left: `${(i / (AXIS_TICKS - 1)) * 100}%` }}>
              {formatClock(min + (range * i) / (AXIS_TICKS - 1))}
            </span>
          ))}
        </div>
      </div>
      {legend && (
        <div class="legend">
          {states.map((state) => (
            <span key={state} class="legend-item">
              <span class={`legend-swatch ${stateClass(state)}`} /> {state}
            </span>
          ))}
        </div>
      )}
    </div>
  );
}
