import { fileURLToPath } from 'node:url';

/**
 * Flink's EnvironmentInfo (GET /jobmanager/environment, /jobs/:id/jobmanager/environment, the dashboard's
 * "JVM (Classpath)" section) for a Node process: the runtime's version and architecture, its start options, and where
 * its modules come from. Flink 1.20's shape: `jvm` and `classpath`; environment variables (added by later Flink
 * versions) are left out, as they may hold secrets.
 */
export interface EnvironmentInfo {
  jvm: { version: string; arch: string; options: string[] };
  classpath: string[];
}

/** The installation's root: dist/common/process/ → the directory holding dist/ and node_modules/. */
const INSTALLATION_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export function environmentInfo(): EnvironmentInfo {
  return {
    jvm: {
      version: `Node.js ${process.version} (V8 ${process.versions.v8})`,
      arch: process.arch,
      options: [...process.execArgv],
    },
    classpath: [`${INSTALLATION_ROOT}dist`, `${INSTALLATION_ROOT}node_modules`],
  };
}
