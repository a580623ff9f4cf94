import { randomHex } from '../../common/ids.js';
import type { JobGraph, JobVertex } from '../../graph/JobGraph.js';
import { EXECUTION_STATES, JOB_STATUSES, type ExecutionState, type JobStatus } from '../dispatcher/JobStatus.js';
import type { TaskMetricsSnapshot } from '../../metrics/TaskMetricGroup.js';

/** One attempt to run a subtask (Flink's Execution). */
export class Execution {
  state: ExecutionState = 'CREATED';
  readonly timestamps: Partial<Record<ExecutionState, number>> = { CREATED: Date.now() };
  resourceId: string | undefined;
  address: string | undefined;
  host: string | undefined;
  /** The subtask's newest metrics report (reset with every new attempt). */
  metrics: TaskMetricsSnapshot | undefined;
  failure: { name: string; message: string; stack: string } | undefined;

  constructor(
    readonly vertex: ExecutionJobVertex,
    readonly subtaskIndex: number,
    readonly attemptNumber: number,
    readonly attemptId: string = randomHex(16),
  ) {}

  transition(state: ExecutionState): ExecutionState {
    const old = this.state;
    this.state = state;
    this.timestamps[state] = Date.now();
    return old;
  }

  isTerminal(): boolean {
    return this.state === 'FINISHED' || this.state === 'CANCELED' || this.state === 'FAILED';
  }

  /** `<vertex name> (<i+1>/<parallelism>)#<attempt>`. */
  get displayName(): string {
    return `${this.vertex.jobVertex.name} (${this.subtaskIndex + 1}/${this.vertex.parallelism})#${this.attemptNumber}`;
  }
}

/** All subtasks of one JobVertex (Flink's ExecutionJobVertex with its ExecutionVertices' current attempts). */
export class ExecutionJobVertex {
  executions: Execution[];

  constructor(readonly jobVertex: JobVertex) {
    this.executions = Array.from({ length: jobVertex.parallelism }, (_, i) => new Execution(this, i, 0));
  }

  get parallelism(): number {
    return this.jobVertex.parallelism;
  }

  /** Replaces every subtask's execution with a new attempt (a restart). */
  newAttempts(): void {
    this.executions = this.executions.map((e) => new Execution(this, e.subtaskIndex, e.attemptNumber + 1));
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
  readonly statusTimestamps: Partial<Record<JobStatus, number>> = { INITIALIZING: Date.now() };

  constructor(readonly jobGraph: JobGraph) {
    this.vertices = jobGraph.vertices.map((v) => new ExecutionJobVertex(v));
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

  allExecutions(): Execution[] {
    return this.vertices.flatMap((v) => v.executions);
  }

  transition(status: JobStatus): JobStatus {
    const old = this.status;
    this.status = status;
    this.statusTimestamps[status] = Date.now();
    return old;
  }

  /** Every JobStatus with the time the job entered it, 0 if never (REST `timestamps`). */
  timestampsJson(): Record<JobStatus, number> {
    return Object.fromEntries(JOB_STATUSES.map((s) => [s, this.statusTimestamps[s] ?? 0])) as Record<JobStatus, number>;
  }
}
