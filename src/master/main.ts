/** Process entrypoint of the JobManager (bin/jobmanager.sh). */
import { runClusterProcess } from '../common/process/runClusterProcess.js';
import { StandaloneSessionClusterEntrypoint } from './StandaloneSessionClusterEntrypoint.js';

await runClusterProcess('standalonesession', process.argv.slice(2), async (configuration, log) => {
  const jobManager = new StandaloneSessionClusterEntrypoint(configuration, log);
  const { rpcPort, restPort } = await jobManager.start();
  return { ports: { rpc: rpcPort, rest: restPort }, close: () => jobManager.close() };
});
