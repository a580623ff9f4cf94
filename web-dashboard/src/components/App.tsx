import { useEffect, useState } from 'preact/hooks';
import { onUnauthorized, request } from '../api';
import { ConfigContext } from '../config';
import { isNumber, text } from '../format';
import { JobListPage } from '../pages/JobListPage';
import { JobPage } from '../pages/job/JobPage';
import { JobManagerPage } from '../pages/cluster/JobManagerPage';
import { OverviewPage } from '../pages/OverviewPage';
import { SubmitPage } from '../pages/SubmitPage';
import { TaskManagerPage } from '../pages/cluster/TaskManagerPage';
import { TaskManagersPage } from '../pages/cluster/TaskManagersPage';
import { leadership as leadershipStore, type Leadership } from '../leadership';
import { refresh } from '../refresh';
import { useRoute, type Route } from '../router';
import type { ClusterConfig } from '../types';
import { Guard, Message } from './common';
import { Login } from './Login';
import { Sidebar } from './Sidebar';
import { Toasts } from './Toasts';

const TITLES: Record<Route['page'], string> = {
  overview: 'Overview',
  jobs: 'Jobs',
  job: 'Job',
  'task-managers': 'Task Managers',
  'task-manager': 'Task Manager',
  'job-manager': 'Job Manager',
  submit: 'Submit New Job',
  'not-found': 'Not Found',
};

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'overview':
      return <OverviewPage />;
    case 'jobs':
      return <JobListPage list={route.list} />;
    case 'job':
      return <JobPage jid={route.jid} tab={route.tab} />;
    case 'task-managers':
      return <TaskManagersPage />;
    case 'task-manager':
      return <TaskManagerPage id={route.id} tab={route.tab} file={route.file} />;
    case 'job-manager':
      return <JobManagerPage tab={route.tab} file={route.file} />;
    case 'submit':
      return <SubmitPage />;
    case 'not-found':
      return (
        <Message>
          There is no such page. Back to the <a href="#/overview">Overview</a>.
        </Message>
      );
  }
}

/** What identifies a page's state: switching tabs keeps it, opening another job or TaskManager starts afresh. */
function pageKey(route: Route): string {
  if (route.page === 'job') return `job/${route.jid}`;
  if (route.page === 'task-manager') return `task-manager/${route.id}`;
  if (route.page === 'jobs') return `jobs/${route.list}`;
  return route.page;
}

export function App() {
  const route = useRoute();
  const [config, setConfig] = useState<ClusterConfig | undefined>(undefined);
  const [loginNeeded, setLoginNeeded] = useState(false);
  const [leadership, setLeadership] = useState<Leadership | undefined>(undefined);
  useEffect(() => onUnauthorized(() => setLoginNeeded(true)), []);
  useEffect(() => leadershipStore.subscribe(setLeadership), []);
  useEffect(() => {
    void request<ClusterConfig>('./config').then((answer) => {
      if (answer.status === 401) return;
      const loaded = answer.ok && answer.data !== null && typeof answer.data === 'object' ? answer.data : undefined;
      setConfig(loaded);
      const interval = loaded?.['refresh-interval'];
      refresh.start(isNumber(interval) ? interval : 3000);
    });
  }, []);

  if (loginNeeded) return <Login />;

  return (
    <ConfigContext.Provider value={config}>
      <div class="layout">
        <Sidebar route={route} submit={config?.features?.['web-submit'] === true} />
        <div class="main">
          <header class="topbar">
            <span class="topbar-title">{TITLES[route.page]}</span>
            <span class="topbar-version">
              {leadership && (
                <span class="topbar-leader">
                  Leader: {leadership.leader}
                  {leadership.role === 'standby' ? ' (this JobManager stands by and forwards to it)' : ' (this JobManager)'}
                </span>
              )}
              <span>Version: {text(config?.['flink-version'])}</span>
              <span>Commit: {text(config?.['flink-revision'])}</span>
            </span>
          </header>
          <main class="content">
            <Guard key={pageKey(route)}>
              <Page route={route} />
            </Guard>
          </main>
        </div>
      </div>
      <Toasts />
    </ConfigContext.Provider>
  );
}
