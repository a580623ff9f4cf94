import { useEffect, useRef } from 'preact/hooks';
import { Card, Message, Pending } from '../../components/common';
import { formatBytes, formatTime, list } from '../../format';
import { usePoll } from '../../poll';
import { href } from '../../router';
import type { LogList } from '../../types';

/**
 * A text file of the process (log, stdout, one file of the log list): loaded once per visit, not on every tick (logs
 * can be megabytes), with a Reload button; scrolled to its end, where the news is.
 */
export function TextFile({ title, url }: { title: string; url: string }) {
  const file = usePoll<string>(url, { text: true, quiet: true, live: false });
  const pre = useRef<HTMLPreElement>(null);
  useEffect(() => {
    if (pre.current) pre.current.scrollTop = pre.current.scrollHeight;
  }, [file.data]);
  return (
    <Card
      title={title}
      actions={
        <button class="button" onClick={file.reload}>
          Reload
        </button>
      }
    >
      {file.data === undefined ? (
        file.error === undefined ? <Message>Loading…</Message> : <Message>Not available: {file.error}</Message>
      ) : file.data === '' ? (
        <Message>The file is empty.</Message>
      ) : (
        <pre class="log" ref={pre}>
          {file.data}
        </pre>
      )}
    </Card>
  );
}

/** The process's log files (`<base>/logs`); a name opens the file below the list. */
export function LogFiles({ base, linkBase, file }: { base: string; linkBase: readonly string[]; file: string | undefined }) {
  const logs = usePoll<LogList>(`${base}/logs`);
  const files = list(logs.data?.logs).filter((f) => f !== null && typeof f === 'object' && typeof f.name === 'string');
  return (
    <>
      <Card title="Log List">
        {logs.data === undefined ? (
          <Pending error={logs.error} what="The log list" />
        ) : files.length === 0 ? (
          <Message>No log files.</Message>
        ) : (
          <table class="table">
            <thead>
              <tr>
                <th>Log Name</th>
                <th class="num">Size</th>
                <th>Last Modified</th>
              </tr>
            </thead>
            <tbody>
              {files.map((f) => (
                <tr key={f.name} class={f.name === file ? 'selected' : undefined}>
                  <td>
                    <a href={href(...linkBase, f.name)}>{f.name}</a>
                  </td>
                  <td class="num">{formatBytes(f.size)}</td>
                  <td>{formatTime(f.mtime)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
      {file !== undefined && <TextFile title={file} url={`${base}/logs/${encodeURIComponent(file)}`} />}
    </>
  );
}
