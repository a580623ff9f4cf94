import { Card, Message, Pending } from '../../components/common';
import { formatBytes, formatTime, list, text } from '../../format';
import { usePoll } from '../../poll';
import { href, navigate } from '../../router';
import type { TaskManagerList } from '../../types';

/** GET ./taskmanagers: every registered TaskManager; a row opens it. */
export function TaskManagersPage() {
  const taskManagers = usePoll<TaskManagerList>('./taskmanagers');
  const rows = list(taskManagers.data?.taskmanagers).filter((tm) => tm !== null && typeof tm === 'object' && typeof tm.id === 'string');
  return (
    <Card title="Task Managers">
      {taskManagers.data === undefined ? (
        <Pending error={taskManagers.error} what="The TaskManagers" />
      ) : rows.length === 0 ? (
        <Message>No TaskManager is registered.</Message>
      ) : (
        <table class="table task-managers">
          <thead>
            <tr>
              <th>ID</th>
              <th class="num">Data Port</th>
              <th>Last Heartbeat</th>
              <th class="num">All Slots</th>
              <th class="num">Free Slots</th>
              <th class="num">CPU Cores</th>
              <th class="num">Physical Memory</th>
              <th class="num">Heap Size</th>
              <th class="num">Managed Memory</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((tm) => (
              <tr key={tm.id} class="clickable" data-taskmanager-id={tm.id} onClick={() => navigate(href('task-manager', tm.id))}>
                <td>
                  <a href={href('task-manager', tm.id)}>{tm.id}</a>
                  <div class="muted small">{text(tm.path)}</div>
                </td>
                <td class="num">{text(tm.dataPort)}</td>
                <td>{formatTime(tm.timeSinceLastHeartbeat)}</td>
                <td class="num">{text(tm.slotsNumber)}</td>
                <td class="num">{text(tm.freeSlots)}</td>
                <td class="num">{text(tm.hardware?.cpuCores)}</td>
                <td class="num">{formatBytes(tm.hardware?.physicalMemory)}</td>
                <td class="num">{formatBytes(tm.memoryConfiguration?.taskHeap)}</td>
                <td class="num">{formatBytes(tm.hardware?.managedMemory)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}
