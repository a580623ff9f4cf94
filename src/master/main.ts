/** Process entrypoint of the JobManager (bin/jobmanager.sh). */
import { runClusterProcess } from '../common/process/runClusterProcess.js';
import { StandaloneSessionClusterEntrypoint } from './StandaloneSessionClusterEntrypoint.js';

await runClusterProcess('standalonesession', process.argv.slice(2), async (configuration, log, context, configDir) => {
  const jobManager = new StandaloneSessionClusterEntrypoint(configuration, log, configDir, context.logFile);
  const { rpcPort, restPort, prometheusPort } = await jobManager.start();
  return { ports: { rpc: rpcPort, rest: restPort, ...(prometheusPort !== undefined && { prometheus: prometheusPort }) }, close: () => jobManager.close() };
});
