import { useEffect, useState } from 'preact/hooks';
import { refresh } from './refresh';
import { toasts } from './toasts';

// Hash routes, as in Flink's dashboard: #/overview, #/job/running, #/job/running/<jid>/checkpoints, …

const JOB_TABS = ['overview', 'exceptions', 'timeline', 'checkpoints', 'configuration'] as const;
export type JobTab = (typeof JOB_TABS)[number];
const TASK_MANAGER_TABS = ['metrics', 'logs', 'stdout', 'log-list'] as const;
export type TaskManagerTab = (typeof TASK_MANAGER_TABS)[number];
const JOB_MANAGER_TABS = ['metrics', 'configuration', 'logs', 'stdout', 'log-list'] as const;
export type JobManagerTab = (typeof JOB_MANAGER_TABS)[number];
export type JobList = 'running' | 'completed';

export type Route =
  | { page: 'overview' }
  | { page: 'jobs'; list: JobList }
  | { page: 'job'; list: JobList; jid: string; tab: JobTab }
  | { page: 'task-managers' }
  | { page: 'task-manager'; id: string; tab: TaskManagerTab; file?: string }
  | { page: 'job-manager'; tab: JobManagerTab; file?: string }
  | { page: 'submit' }
  | { page: 'not-found' };

function oneOf<T extends string>(values: readonly T[], value: string | undefined, fallback: T): T | undefined {
  if (value === undefined) return fallback;
  return values.find((v) => v === value);
}

function parseRoute(hash: string): Route {
  let parts: string[];
  try {
    parts = hash.replace(/^#\/?/, '').split('/').filter((p) => p !== '').map(decodeURIComponent);
  } catch {
    return { page: 'not-found' };
  }
  const [page, a, b, c] = parts;
  switch (page) {
    case undefined:
    case 'overview':
      return { page: 'overview' };
    case 'job': {
      if (a !== 'running' && a !== 'completed') return { page: 'not-found' };
      if (b === undefined) return { page: 'jobs', list: a };
      const tab = oneOf(JOB_TABS, c, 'overview');
      return tab ? { page: 'job', list: a, jid: b, tab } : { page: 'not-found' };
    }
    case 'task-manager': {
      if (a === undefined) return { page: 'task-managers' };
      const tab = oneOf(TASK_MANAGER_TABS, b, 'metrics');
      return tab ? { page: 'task-manager', id: a, tab, ...(tab === 'log-list' && c !== undefined ? { file: c } : {}) } : { page: 'not-found' };
    }
    case 'job-manager': {
      const tab = oneOf(JOB_MANAGER_TABS, a, 'metrics');
      return tab ? { page: 'job-manager', tab, ...(tab === 'log-list' && b !== undefined ? { file: b } : {}) } : { page: 'not-found' };
    }
    case 'submit':
      return { page: 'submit' };
    default:
      return { page: 'not-found' };
  }
}

/** `#/a/b/c` with every segment encoded (ids and file names come from the server). */
export function href(...segments: string[]): string {
  return `#/${segments.map(encodeURIComponent).join('/')}`;
}

const COMPLETED_STATES = new Set(['FINISHED', 'FAILED', 'CANCELED']);

export function isCompleted(state: string): boolean {
  return COMPLETED_STATES.has(state);
}

export function jobHref(jid: string, state: string, tab?: JobTab): string {
  const list = isCompleted(state) ? 'completed' : 'running';
  return tab ? href('job', list, jid, tab) : href('job', list, jid);
}

export function navigate(target: string): void {
  window.location.hash = target;
}

/** The current route; every navigation also ticks the refresh timer and lets failures be announced again. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onChange = () => {
      toasts.forgetShown();
      setRoute(parseRoute(window.location.hash));
      refresh.tick();
    };
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
