// The REST API's answers as the dashboard reads them (Flink 1.20's shapes). They come from the network: every field may be
// missing or of another type, so rendering goes through the defensive helpers in format.ts.

export interface ClusterConfig {
  'refresh-interval'?: number;
  'flink-version'?: string;
  'flink-revision'?: string;
  features?: { 'web-submit'?: boolean; 'web-cancel'?: boolean };
}

export interface ClusterOverview {
  taskmanagers?: number;
  'slots-total'?: number;
  'slots-available'?: number;
  'jobs-running'?: number;
  'jobs-finished'?: number;
  'jobs-cancelled'?: number;
  'jobs-failed'?: number;
}

/** One job of GET /jobs/overview; `tasks` has lower-case ExecutionState keys. */
export interface JobSummary {
  jid: string;
  name: string;
  state: string;
  'start-time': number;
  'end-time': number;
  duration: number;
  tasks?: Record<string, number>;
}

export interface JobsOverview {
  jobs?: JobSummary[];
}

export interface IOMetrics {
  'read-bytes'?: number;
  'write-bytes'?: number;
  'read-records'?: number;
  'write-records'?: number;
}

export interface JobVertex {
  id: string;
  name: string;
  parallelism: number;
  status: string;
  'start-time': number;
  'end-time': number;
  duration: number;
  tasks?: Record<string, number>;
  metrics?: IOMetrics;
}

export interface PlanInput {
  num?: number;
  id: string;
  ship_strategy?: string;
}

export interface PlanNode {
  id: string;
  parallelism?: number;
  description?: string;
  inputs?: PlanInput[];
}

export interface JobPlan {
  name?: string;
  type?: string;
  nodes?: PlanNode[];
}

export interface JobDetails extends Omit<JobSummary, 'tasks'> {
  vertices?: JobVertex[];
  'status-counts'?: Record<string, number>;
  plan?: JobPlan;
}

/** An entry of the aggregated subtask metrics (numbers). */
export interface AggregatedMetric {
  id: string;
  min?: number;
  max?: number;
  avg?: number;
  sum?: number;
}

/** An entry of a metric collection (the value is a string). */
export interface MetricValue {
  id: string;
  value?: string;
}

export interface ExceptionEntry {
  exceptionName?: string;
  stacktrace?: string;
  timestamp?: number;
  taskName?: string | null;
  location?: string | null;
  endpoint?: string | null;
  taskManagerId?: string | null;
  concurrentExceptions?: ExceptionEntry[];
}

export interface JobExceptions {
  exceptionHistory?: { entries?: ExceptionEntry[]; truncated?: boolean };
}

export interface SubtaskTimes {
  name?: string;
  now?: number;
  subtasks?: Array<{ subtask: number; host?: string; endpoint?: string; duration?: number; timestamps?: Record<string, number> }>;
}

export interface CheckpointStats {
  id: number;
  status: string;
  is_savepoint?: boolean;
  checkpoint_type?: string;
  trigger_timestamp?: number;
  latest_ack_timestamp?: number;
  checkpointed_size?: number;
  state_size?: number;
  end_to_end_duration?: number;
  num_subtasks?: number;
  num_acknowledged_subtasks?: number;
  external_path?: string;
  failure_timestamp?: number;
  failure_message?: string;
}

export interface RestoredCheckpoint {
  id: number;
  restore_timestamp?: number;
  is_savepoint?: boolean;
  external_path?: string;
}

export interface SummaryStats {
  min?: number;
  max?: number;
  avg?: number;
  p50?: number;
  p90?: number;
  p99?: number;
}

export interface CheckpointingStatistics {
  counts?: { restored?: number; total?: number; in_progress?: number; completed?: number; failed?: number };
  summary?: { checkpointed_size?: SummaryStats; state_size?: SummaryStats; end_to_end_duration?: SummaryStats };
  latest?: {
    completed?: CheckpointStats | null;
    savepoint?: CheckpointStats | null;
    failed?: CheckpointStats | null;
    restored?: RestoredCheckpoint | null;
  };
  history?: CheckpointStats[];
}

export interface CheckpointConfig {
  mode?: string;
  interval?: number;
  timeout?: number;
  min_pause?: number;
  max_concurrent?: number;
  externalization?: { enabled?: boolean; delete_on_cancellation?: boolean };
  state_backend?: string;
  checkpoint_storage?: string;
  unaligned_checkpoints?: boolean;
  tolerable_failed_checkpoints?: number;
}

export interface JobConfig {
  'execution-config'?: {
    'execution-mode'?: string;
    'restart-strategy'?: string;
    'job-parallelism'?: number;
    'object-reuse-mode'?: boolean;
    'user-config'?: Record<string, unknown>;
  };
}

export interface SubtaskInfo {
  subtask: number;
  status: string;
  attempt?: number;
  host?: string;
  endpoint?: string;
  'taskmanager-id'?: string;
  'start-time'?: number;
  duration?: number;
  metrics?: IOMetrics;
}

export interface VertexDetails {
  id: string;
  name?: string;
  parallelism?: number;
  subtasks?: SubtaskInfo[];
}

/** The answer of a savepoint or stop-with-savepoint trigger's status URL. */
export interface SavepointOperation {
  status?: { id?: string };
  operation?: { location?: string; 'failure-cause'?: { class?: string; 'stack-trace'?: string } };
}

export interface TaskManagerInfo {
  id: string;
  path?: string;
  dataPort?: number;
  timeSinceLastHeartbeat?: number;
  slotsNumber?: number;
  freeSlots?: number;
  hardware?: { cpuCores?: number; physicalMemory?: number; freeMemory?: number; managedMemory?: number };
  memoryConfiguration?: { taskHeap?: number; frameworkHeap?: number; totalProcessMemory?: number };
}

export interface TaskManagerList {
  taskmanagers?: TaskManagerInfo[];
}

export interface TaskManagerDetails extends TaskManagerInfo {
  allocatedSlots?: Array<{ jobId?: string }>;
  metrics?: {
    heapUsed?: number;
    heapCommitted?: number;
    heapMax?: number;
    nonHeapUsed?: number;
    nonHeapCommitted?: number;
    nonHeapMax?: number;
    directCount?: number;
    directUsed?: number;
    directMax?: number;
    mappedCount?: number;
    mappedUsed?: number;
    mappedMax?: number;
    nettyShuffleMemoryUsed?: number;
    nettyShuffleMemoryTotal?: number;
    garbageCollectors?: Array<{ name?: string; count?: number; time?: number }>;
  };
}

export interface LogList {
  logs?: Array<{ name: string; size?: number; mtime?: number }>;
}

export interface ConfigEntry {
  key: string;
  value: string;
}

export interface JarEntryPoint {
  name: string;
  description?: string | null;
}

export interface JarFile {
  id: string;
  name: string;
  uploaded?: number;
  entry?: JarEntryPoint[];
}

export interface JarList {
  address?: string;
  files?: JarFile[];
}

export type VerifierProblemKind = 'wrong' | 'missing' | 'duplicate';

/** GET /playground/verifier (tsflink's output verifier). */
export interface VerifierStatus {
  status?: string;
  topic?: string;
  windows?: { ok?: number; wrong?: number; missing?: number; duplicate?: number };
  'latest-window-end'?: number;
  updated?: number;
  problems?: Array<{ kind?: VerifierProblemKind; page?: string; 'window-start'?: number; count?: number }>;
}
