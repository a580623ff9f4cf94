/** Process entrypoint of a TaskManager (bin/taskmanager.sh). */
import { runClusterProcess } from '../common/process/runClusterProcess.js';
import { TaskManagerRunner } from './TaskManagerRunner.js';

await runClusterProcess('taskexecutor', process.argv.slice(2), async (configuration, log, context, configDir) => {
  const runner = new TaskManagerRunner(configuration, log, context.logFile, configDir);
  const { resourceId, rpcPort, dataPort, prometheusPort } = await runner.start();
  return { ports: { rpc: rpcPort, data: dataPort, resourceId, ...(prometheusPort !== undefined && { prometheus: prometheusPort }) }, close: () => runner.close() };
});
