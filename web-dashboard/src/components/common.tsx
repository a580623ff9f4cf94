import type { ComponentChildren } from 'preact';
import { useErrorBoundary } from 'preact/hooks';
import { formatCount, isNumber } from '../format';

export function Card({ title, actions, children, class: extra }: { title?: ComponentChildren; actions?: ComponentChildren; children: ComponentChildren; class?: string }) {
  return (
    <section class={extra ? `card ${extra}` : 'card'}>
      {(title !== undefined || actions !== undefined) && (
        <header class="card-header">
          <h2>{title}</h2>
          {actions !== undefined && <div class="card-actions">{actions}</div>}
        </header>
      )}
      <div class="card-body">{children}</div>
    </section>
  );
}

/** A quiet line in place of data that is missing, loading or failed. */
export function Message({ children }: { children: ComponentChildren }) {
  return <p class="message">{children}</p>;
}

/** "Loading…" before the first answer, the failure after a failed one. */
export function Pending({ error, what }: { error: string | undefined; what: string }) {
  return <Message>{error === undefined ? 'Loading…' : `${what} could not be loaded: ${error}`}</Message>;
}

// JobStatus and ExecutionState names (CANCELLING is a JobStatus, CANCELING an ExecutionState).
const STATES = new Set([
  'INITIALIZING', 'CREATED', 'SCHEDULED', 'DEPLOYING', 'RUNNING', 'FINISHED', 'FAILING', 'FAILED', 'CANCELLING',
  'CANCELING', 'CANCELED', 'RESTARTING', 'SUSPENDED', 'RECONCILING', 'IN_PROGRESS', 'COMPLETED', 'PENDING',
]);

/** The CSS class that colours a state; unknown names get a neutral colour. */
export function stateClass(state: unknown): string {
  return typeof state === 'string' && STATES.has(state) ? `state-${state.toLowerCase()}` : 'state-unknown';
}

export function StateBadge({ state }: { state: unknown }) {
  return <span class={`badge ${stateClass(state)}`}>{typeof state === 'string' ? state : '—'}</span>;
}

/** ExecutionState names in lifecycle order, for task counts. */
const TASK_STATES = ['CREATED', 'SCHEDULED', 'DEPLOYING', 'INITIALIZING', 'RUNNING', 'FINISHED', 'CANCELING', 'CANCELED', 'FAILED', 'RECONCILING'];

/** Coloured counts of the tasks in each state; keys may be upper- or lower-case (/jobs/overview uses lower-case). */
export function TaskCounts({ counts }: { counts: Record<string, number> | undefined }) {
  if (counts === null || typeof counts !== 'object') return <span>—</span>;
  const upper = new Map(Object.entries(counts).map(([k, v]) => [k.toUpperCase(), v]));
  const shown = TASK_STATES.filter((s) => isNumber(upper.get(s)) && upper.get(s)! > 0);
  return (
    <span class="task-counts">
      {shown.map((s) => (
        <span key={s} class={`task-count ${stateClass(s)}`} title={s} data-state={s}>
          {formatCount(upper.get(s))}
        </span>
      ))}
    </span>
  );
}

export interface TabItem {
  id: string;
  label: string;
  href: string;
}

export function Tabs({ items, active }: { items: readonly TabItem[]; active: string }) {
  return (
    <nav class="tabs">
      {items.map((item) => (
        <a key={item.id} href={item.href} class={item.id === active ? 'tab active' : 'tab'} aria-current={item.id === active ? 'page' : undefined}>
          {item.label}
        </a>
      ))}
    </nav>
  );
}

export function KeyValueTable({ rows }: { rows: ReadonlyArray<readonly [string, ComponentChildren]> }) {
  return (
    <table class="table key-value">
      <tbody>
        {rows.map(([key, value]) => (
          <tr key={key}>
            <th scope="row">{key}</th>
            <td>{value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Usage of a capacity, as a bar with the numbers beside it. */
export function UsageBar({ used, max, format }: { used: unknown; max: unknown; format: (value: unknown) => string }) {
  const share = isNumber(used) && isNumber(max) && max > 0 ? Math.min(1, Math.max(0, used / max)) : undefined;
  return (
    <div class="usage">
      <div class="usage-bar">{share !== undefined && <div class="usage-fill" style={{ width: `${(share * 100).toFixed(1)}%` }} />}</div>
      <span class="usage-text">
        {format(used)} / {format(max)}
      </span>
    </div>
  );
}

/** Keeps a panel's rendering failure (an answer of an unexpected shape) inside the panel. */
export function Guard({ children }: { children: ComponentChildren }) {
  const [error, reset] = useErrorBoundary();
  if (error) {
    return (
      <Message>
        This panel could not show the server's answer ({error instanceof Error ? error.message : String(error)}).{' '}
        <button class="link" onClick={reset}>
          Try again
        </button>
      </Message>
    );
  }
  return <>{children}</>;
}
