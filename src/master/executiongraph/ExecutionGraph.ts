import type { Clock } from '../../common/time/Clock.js';
import { randomHex } from '../../common/ids.js';
import type { JobGraphDescription, JobVertexDescription } from '../../graph/JobGraph.js';
import type { TaskMetricsSnapshot } from '../../metrics/TaskMetricGroup.js';
import type { TaskExecutorGateway } from '../../taskmanager/TaskExecutorGateway.js';
import { EXECUTION_STATES, isTerminalExecutionState, type ExecutionState } from './ExecutionState.js';
import { JOB_STATUSES, type JobStatus } from './JobStatus.js';

/** Where an execution was deployed (Flink's TaskManagerLocation together with the slot's TaskManagerGateway). */
export interface TaskManagerLocation {
  resourceId: string;
  /** host:port of the TaskExecutor's RPC endpoint. */
  address: string;
  /** host:port of its data (shuffle) server. */
  dataAddress: string;
  host: string;
  gateway: TaskExecutorGateway;
}

/** Why an execution failed. */
export interface ExecutionFailure {
  name: string;
  message: string;
  stack: string;
}

/** One attempt to run a subtask (Flink's Execution). */
export class Execution {
  state: ExecutionState = 'CREATED';
  readonly timestamps: Partial<Record<ExecutionState, number>>;
  /** Set when the execution is assigned a slot. */
  location: TaskManagerLocation | undefined;
  /** The subtask's newest metrics report (reset with every new attempt). */
  metrics: TaskMetricsSnapshot | undefined;
  failure: ExecutionFailure | undefined;

  constructor(
    readonly vertex: ExecutionJobVertex,
    readonly subtaskIndex: number,
    readonly attemptNumber: number,
    private readonly clock: Clock,
    readonly attemptId: string = randomHex(16),
  ) {
    this.timestamps = { CREATED: clock.now() };
  }

  get resourceId(): string | undefined {
    return this.location?.resourceId;
  }

  get address(): string | undefined {
    return this.location?.address;
  }

  get host(): string | undefined {
    return this.location?.host;
  }

  transition(state: ExecutionState): ExecutionState {
    const old = this.state;
    this.state = state;
    this.timestamps[state] = this.clock.now();
    return old;
  }

  isTerminal(): boolean {
    return isTerminalExecutionState(this.state);
  }

  /** `<vertex name> (<i+1>/<parallelism>)#<attempt>`. */
  get displayName(): string {
    return `${this.vertex.jobVertex.name} (${this.subtaskIndex + 1}/${this.vertex.parallelism})#${this.attemptNumber}`;
  }
}

/** All subtasks of one JobVertex (Flink's ExecutionJobVertex with its ExecutionVertices' current attempts). */
export class ExecutionJobVertex {
  executions: Execution[];

  constructor(
    readonly jobVertex: JobVertexDescription,
    private readonly clock: Clock,
  ) {
    this.executions = Array.from({ length: jobVertex.parallelism }, (_, i) => new Execution(this, i, 0, clock));
  }

  get parallelism(): number {
    return this.jobVertex.parallelism;
  }

  /** Replaces every subtask's execution with a new attempt (a restart). */
  newAttempts(): void {
    this.executions = this.executions.map((e) => new Execution(this, e.subtaskIndex, e.attemptNumber + 1, this.clock));
  }

  /** Counts per ExecutionState (every state present, upper-case keys). */
  stateCounts(): Record<ExecutionState, number> {
    const counts = Object.fromEntries(EXECUTION_STATES.map((s) => [s, 0])) as Record<ExecutionState, number>;
    for (const e of this.executions) counts[e.state]++;
    return counts;
  }

  /** The vertex's state as Flink aggregates it from its subtasks. */
  aggregateState(): ExecutionState {
    return aggregateExecutionState(this.executions);
  }
}

/** The state of a group of subtasks as Flink aggregates it (ExecutionJobVertex.getAggregateJobVertexState). */
export function aggregateExecutionState(executions: readonly Execution[]): ExecutionState {
  const order: ExecutionState[] = ['FAILED', 'CANCELING', 'CANCELED', 'RUNNING', 'INITIALIZING', 'DEPLOYING', 'SCHEDULED', 'RECONCILING', 'CREATED'];
  if (executions.every((e) => e.state === 'FINISHED')) return 'FINISHED';
  for (const state of order) if (executions.some((e) => e.state === state)) return state;
  return 'CREATED';
}

/** The job's runtime graph (Flink's ExecutionGraph): its vertices' executions and the job's status history. */
export class ExecutionGraph {
  readonly vertices: ExecutionJobVertex[];
  private readonly byAttempt = new Map<string, Execution>();
  status: JobStatus = 'INITIALIZING';
  readonly statusTimestamps: Partial<Record<JobStatus, number>>;

  constructor(
    readonly jobGraph: JobGraphDescription,
    private readonly clock: Clock,
  ) {
    this.statusTimestamps = { INITIALIZING: clock.now() };
    this.vertices = jobGraph.vertices.map((v) => new ExecutionJobVertex(v, clock));
    for (const v of this.vertices) for (const e of v.executions) this.byAttempt.set(e.attemptId, e);
  }

  /** The current attempt with this id; an earlier attempt's id is unknown (its messages are stale). */
  execution(attemptId: string): Execution | undefined {
    return this.byAttempt.get(attemptId);
  }

  /** Starts a new attempt of every subtask, forgetting the old attempts' ids. */
  resetForRestart(): void {
    this.byAttempt.clear();
    for (const v of this.vertices) {
      v.newAttempts();
      for (const e of v.executions) this.byAttempt.set(e.attemptId, e);
    }
  }

  /**
   * Reconciliation: `execution` (a subtask the job recovered, not deployed by this JobManager) becomes the attempt a
   * TaskManager reports running, under that attempt's id and number; its state and timestamps carry over.
   */
  adoptAttempt(execution: Execution, attemptId: string, attemptNumber: number): Execution {
    const vertex = execution.vertex;
    if (vertex.executions[execution.subtaskIndex] !== execution) throw new Error(`${execution.displayName} is not a current attempt.`);
    const adopted = new Execution(vertex, execution.subtaskIndex, attemptNumber, this.clock, attemptId);
    adopted.state = execution.state;
    Object.assign(adopted.timestamps, execution.timestamps);
    vertex.executions[execution.subtaskIndex] = adopted;
    this.byAttempt.delete(execution.attemptId);
    this.byAttempt.set(attemptId, adopted);
    return adopted;
  }

  allExecutions(): Execution[] {
    return this.vertices.flatMap((v) => v.executions);
  }

  /** The vertex with this id. */
  vertex(vertexId: string): ExecutionJobVertex | undefined {
    return this.vertices.find((v) => v.jobVertex.id === vertexId);
  }

  transition(status: JobStatus): JobStatus {
    const old = this.status;
    this.status = status;
    this.statusTimestamps[status] = this.clock.now();
    return old;
  }

  /** Every JobStatus with the time the job entered it, 0 if never (REST `timestamps`). */
  timestampsJson(): Record<JobStatus, number> {
    return Object.fromEntries(JOB_STATUSES.map((s) => [s, this.statusTimestamps[s] ?? 0])) as Record<JobStatus, number>;
  }
}
