/** Process entrypoint of a TaskManager (bin/taskmanager.sh). */
import { runClusterProcess } from '../common/process/runClusterProcess.js';
import { TaskManagerRunner } from './TaskManagerRunner.js';

await runClusterProcess('taskexecutor', process.argv.slice(2), async (configuration, log) => {
  const runner = new TaskManagerRunner(configuration, log);
  const { resourceId, rpcPort } = await runner.start();
  return { ports: { rpc: rpcPort, resourceId }, close: () => runner.close() };
});
