import { useState } from 'preact/hooks';
import { enc, request } from '../api';
import { Card, Message, Pending } from '../components/common';
import { JobGraph } from '../components/JobGraph';
import { useClusterConfig } from '../config';
import { formatTime, list, splitArguments, text } from '../format';
import { usePoll } from '../poll';
import { href, navigate } from '../router';
import type { JarFile, JarList, JobPlan } from '../types';

/** Job programs the cluster takes: tsflink runs TypeScript/JavaScript modules; .jar is for other Flink endpoints. */
const ACCEPTED = '.ts,.mts,.js,.mjs,.jar';

/** Submit New Job: upload a job program, run it (or show its plan), delete it. */
export function SubmitPage() {
  const config = useClusterConfig();
  const jars = usePoll<JarList>(config?.features?.['web-submit'] === false ? null : './jars');
  const [selected, setSelected] = useState<string | undefined>(undefined);
  const [uploading, setUploading] = useState(false);
  if (config?.features?.['web-submit'] === false) return <Message>Job submission through the web interface is disabled on this cluster (web.submit.enable).</Message>;

  const upload = async (input: HTMLInputElement) => {
    const file = input.files?.[0];
    if (!file) return;
    const form = new FormData();
    form.append('jarfile', file, file.name);
    setUploading(true);
    await request('./jars/upload', { method: 'POST', body: form });
    setUploading(false);
    input.value = '';
    jars.reload();
  };
  const remove = async (jar: JarFile) => {
    await request(`./jars/${enc(jar.id)}`, { method: 'DELETE' });
    if (selected === jar.id) setSelected(undefined);
    jars.reload();
  };

  const files = list(jars.data?.files).filter((f) => f !== null && typeof f === 'object' && typeof f.id === 'string');
  const selectedJar = files.find((f) => f.id === selected);
  return (
    <>
      <Card
        title="Uploaded Jobs"
        actions={
          <label class={`button primary${uploading ? ' disabled' : ''}`}>
            {uploading ? 'Uploading…' : '+ Add New'}
            <input class="file-input" type="file" accept={ACCEPTED} disabled={uploading} onChange={(e) => void upload(e.currentTarget)} />
          </label>
        }
      >
        {jars.data === undefined ? (
          <Pending error={jars.error} what="The uploaded jobs" />
        ) : files.length === 0 ? (
          <Message>No job uploaded yet: add a job module (for example examples/streaming/ClickEventCount.ts).</Message>
        ) : (
          <table class="table jar-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Upload Time</th>
                <th>Entry</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {files.map((jar) => (
                <tr key={jar.id} data-jar-id={jar.id} class={`clickable${jar.id === selected ? ' selected' : ''}`} onClick={() => setSelected(jar.id)}>
                  <td class="jar-name">{text(jar.name)}</td>
                  <td>{formatTime(jar.uploaded)}</td>
                  <td>{list(jar.entry).map((e) => e?.name).filter((n) => typeof n === 'string').join(', ') || '—'}</td>
                  <td class="actions">
                    <button
                      class="button danger small"
                      onClick={(e) => {
                        e.stopPropagation();
                        void remove(jar);
                      }}
                    >
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
      {selectedJar && <RunForm key={selectedJar.id} jar={selectedJar} />}
    </>
  );
}

interface RunRequest {
  entryClass?: string;
  parallelism?: number;
  programArgsList: string[];
  savepointPath?: string;
  allowNonRestoredState?: boolean;
}

function RunForm({ jar }: { jar: JarFile }) {
  const entries = list(jar.entry).filter((e) => e !== null && typeof e?.name === 'string');
  const [entryClass, setEntryClass] = useState(entries[0]?.name ?? '');
  const [parallelism, setParallelism] = useState('');
  const [programArgs, setProgramArgs] = useState('');
  const [savepointPath, setSavepointPath] = useState('');
  const [allowNonRestoredState, setAllowNonRestoredState] = useState(false);
  const [busy, setBusy] = useState(false);
  const [plan, setPlan] = useState<JobPlan | undefined>(undefined);

  const body = (): RunRequest | undefined => {
    const p = parallelism.trim() === '' ? undefined : Number(parallelism);
    if (p !== undefined && (!Number.isInteger(p) || p < 1)) return undefined;
    return {
      ...(entryClass !== '' ? { entryClass } : {}),
      ...(p !== undefined ? { parallelism: p } : {}),
      programArgsList: splitArguments(programArgs),
      ...(savepointPath.trim() !== '' ? { savepointPath: savepointPath.trim(), allowNonRestoredState } : {}),
    };
  };
  const valid = body() !== undefined;

  const run = async () => {
    const runRequest = body();
    if (!runRequest) return;
    setBusy(true);
    const answer = await request<{ jobid?: unknown }>(`./jars/${enc(jar.id)}/run`, { method: 'POST', body: runRequest });
    setBusy(false);
    if (answer.ok && typeof answer.data?.jobid === 'string') navigate(href('job', 'running', answer.data.jobid));
  };
  const showPlan = async () => {
    const runRequest = body();
    if (!runRequest) return;
    setBusy(true);
    const answer = await request<{ plan?: JobPlan }>(`./jars/${enc(jar.id)}/plan`, { method: 'POST', body: runRequest });
    setBusy(false);
    setPlan(answer.ok ? answer.data?.plan : undefined);
  };

  return (
    <>
      <Card title={`Run ${text(jar.name)}`} class="run-form">
        <form
          class="form"
          onSubmit={(e) => {
            e.preventDefault();
            void run();
          }}
        >
          <label>
            <span>Entry</span>
            <select class="input" value={entryClass} onChange={(e) => setEntryClass(e.currentTarget.value)}>
              {entries.map((e) => (
                <option key={e.name} value={e.name}>
                  {e.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            <span>Parallelism</span>
            <input class="input" name="parallelism" type="number" min={1} step={1} placeholder="cluster default" value={parallelism} onInput={(e) => setParallelism(e.currentTarget.value)} />
          </label>
          <label class="wide">
            <span>Program Arguments</span>
            <input class="input" name="programArgs" type="text" placeholder="--bootstrap.servers localhost:9092 --checkpointing" value={programArgs} onInput={(e) => setProgramArgs(e.currentTarget.value)} />
          </label>
          <label class="wide">
            <span>Savepoint Path</span>
            <input class="input" name="savepointPath" type="text" placeholder="optional: restore from this savepoint" value={savepointPath} onInput={(e) => setSavepointPath(e.currentTarget.value)} />
          </label>
          <label class="checkbox">
            <input type="checkbox" checked={allowNonRestoredState} onChange={(e) => setAllowNonRestoredState(e.currentTarget.checked)} />
            <span>Allow Non Restored State</span>
          </label>
          <div class="form-actions">
            <button type="button" class="button" disabled={busy || !valid} onClick={() => void showPlan()}>
              Show Plan
            </button>
            <button type="submit" class="button primary" disabled={busy || !valid}>
              Submit
            </button>
          </div>
          {!valid && <p class="message warning">The parallelism must be a whole number of at least 1.</p>}
        </form>
      </Card>
      {plan && (
        <Card title={`Plan of ${plan.name ?? jar.name}`}>
          <JobGraph nodes={list(plan.nodes)} />
        </Card>
      )}
    </>
  );
}
