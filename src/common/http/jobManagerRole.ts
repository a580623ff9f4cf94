/**
 * The response header on every REST API answer of a JobManager: `leader` when the leading JobManager answered itself,
 * `standby` when a standby forwarded the call to the leader (or refused it while none leads). Clients that must reach
 * the leader itself (the playground, tests) read it; Flink's REST shapes are unchanged.
 */
export const JOB_MANAGER_ROLE_HEADER = 'X-TsFlink-JobManager';

/** With HA, on every REST API answer: the leading JobManager's REST address (the dashboard names it). */
export const LEADER_ADDRESS_HEADER = 'X-TsFlink-Leader';
