import { useState } from 'preact/hooks';
import { enc, request } from '../../api';
import { Card, Message, Pending } from '../../components/common';
import { formatTime, list, text } from '../../format';
import { usePolled } from '../../poll';
import { href } from '../../router';
import type { ExceptionEntry, JobExceptions } from '../../types';

const PAGE_SIZE = 10;

/** The job's exception history, newest first; "Load more" asks for 10 more. */
export function ExceptionsTab({ jid }: { jid: string }) {
  const [max, setMax] = useState(PAGE_SIZE);
  // One key for every page size, so loading more keeps the entries shown until the longer list arrives.
  const exceptions = usePolled<JobExceptions>(`exceptions/${jid}`, () => request(`./jobs/${enc(jid)}/exceptions?maxExceptions=${max}`));
  const history = exceptions.data?.exceptionHistory;
  const entries = list(history?.entries).filter((e) => e !== null && typeof e === 'object');
  return (
    <Card title="Exception History">
      {exceptions.data === undefined ? (
        <Pending error={exceptions.error} what="The exception history" />
      ) : entries.length === 0 ? (
        <Message>No exceptions: the job has not failed.</Message>
      ) : (
        <>
          <table class="table exceptions">
            <thead>
              <tr>
                <th>Time</th>
                <th>Exception</th>
                <th>Task Name</th>
                <th>Location</th>
              </tr>
            </thead>
            {entries.map((entry, i) => (
              <ExceptionRows key={`${entry.timestamp}-${i}`} entry={entry} />
            ))}
          </table>
          {history?.truncated === true && (
            <button class="button load-more" onClick={() => {
                setMax((m) => m + PAGE_SIZE);
                exceptions.reload();
              }}>
              Load more
            </button>
          )}
        </>
      )}
    </Card>
  );
}

/** One exception: a summary row that expands to its stack trace (and the exceptions that came with it). */
function ExceptionRows({ entry }: { entry: ExceptionEntry }) {
  const [open, setOpen] = useState(false);
  const concurrent = list(entry.concurrentExceptions);
  const tm = entry.taskManagerId;
  return (
    <tbody class="exception">
      <tr class="clickable exception-summary" onClick={() => setOpen((o) => !o)} aria-expanded={open}>
        <td class="nowrap">
          <span class="expander">{open ? '▾' : '▸'}</span> {formatTime(entry.timestamp)}
        </td>
        <td class="exception-name">{text(entry.exceptionName)}</td>
        <td>{entry.taskName === null || entry.taskName === undefined ? '(global failure)' : text(entry.taskName)}</td>
        <td>
          {text(entry.endpoint ?? entry.location)}
          {typeof tm === 'string' && tm !== '' && (
            <div class="muted small">
              TaskManager <a href={href('task-manager', tm)} onClick={(e) => e.stopPropagation()}>{tm}</a>
            </div>
          )}
        </td>
      </tr>
      {open && (
        <tr class="exception-detail">
          <td colSpan={4}>
            <pre class="stacktrace">{text(entry.stacktrace)}</pre>
            {concurrent.length > 0 && (
              <details>
                <summary>{concurrent.length} concurrent exception(s)</summary>
                {concurrent.map((c, i) => (
                  <pre key={i} class="stacktrace">
                    {text(c?.taskName ?? '(global failure)')}: {text(c?.stacktrace)}
                  </pre>
                ))}
              </details>
            )}
          </td>
        </tr>
      )}
    </tbody>
  );
}
