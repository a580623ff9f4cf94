import type { Route } from '../router';

function NavLink({ href, label, active }: { href: string; label: string; active: boolean }) {
  return (
    <li>
      <a href={href} class={active ? 'active' : undefined} aria-current={active ? 'page' : undefined}>
        {label}
      </a>
    </li>
  );
}

/** Flink's sidebar; Submit New Job only when the cluster allows web submission. */
export function Sidebar({ route, submit }: { route: Route; submit: boolean }) {
  const jobs = route.page === 'jobs' || route.page === 'job' ? route.list : undefined;
  return (
    <aside class="sidebar">
      <a class="logo" href="#/overview">
        <span class="logo-mark" aria-hidden="true">
          ts
        </span>
        tsflink
      </a>
      <nav>
        <ul>
          <NavLink href="#/overview" label="Overview" active={route.page === 'overview'} />
          <li class="nav-group">
            <span>Jobs</span>
            <ul>
              <NavLink href="#/job/running" label="Running Jobs" active={jobs === 'running'} />
              <NavLink href="#/job/completed" label="Completed Jobs" active={jobs === 'completed'} />
            </ul>
          </li>
          <NavLink href="#/task-manager" label="Task Managers" active={route.page === 'task-managers' || route.page === 'task-manager'} />
          <NavLink href="#/job-manager" label="Job Manager" active={route.page === 'job-manager'} />
          {submit && <NavLink href="#/submit" label="Submit New Job" active={route.page === 'submit'} />}
        </ul>
      </nav>
    </aside>
  );
}
