import { createHash } from 'node:crypto';
import type { Partitioning, Pipeline, Transformation } from '../job/transformations.js';

export type ShipStrategy = 'FORWARD' | 'HASH' | 'REBALANCE';

/** One operator of the job: a transformation with its resolved parallelism and stable id. */
export interface StreamNode {
  /** 32 hex characters; from `uid()` when set, else a hash of the node's position and its upstream ids. */
  operatorId: string;
  transformation: Transformation;
  name: string;
  parallelism: number;
  maxParallelism: number;
}

export interface JobEdge {
  source: JobVertex;
  target: JobVertex;
  shipStrategy: ShipStrategy;
  /** Set for HASH. */
  keySelector: ((value: any) => string | number) | undefined;
}

/** A chain of operators that runs as one task per subtask (Flink's JobVertex). */
export interface JobVertex {
  /** The id of the chain's head operator. */
  id: string;
  name: string;
  parallelism: number;
  maxParallelism: number;
  /** Head first. */
  operators: StreamNode[];
  inputs: JobEdge[];
  outputs: JobEdge[];
}

export interface JobGraph {
  jobName: string;
  vertices: JobVertex[];
  /** Hash of the graph's shape: workers rebuild the graph from the program and must arrive at the same one. */
  planHash: string;
  checkpointInterval: number | undefined;
  maxParallelism: number;
}

/**
 * What the JobManager knows of a job graph (scheduling, checkpoints, state mapping, plan JSON, REST): its shape,
 * without the operators' functions. It is structured-cloneable, so the thread that ran the program's main() hands it
 * to the JobManager; TaskManagers rebuild the full JobGraph from the program and check its `planHash`. A JobGraph is
 * one too (it has everything a description has).
 */
export interface JobGraphDescription {
  jobName: string;
  vertices: JobVertexDescription[];
  planHash: string;
  checkpointInterval: number | undefined;
  maxParallelism: number;
}

/** A JobVertex without functions. */
export interface JobVertexDescription {
  id: string;
  name: string;
  parallelism: number;
  maxParallelism: number;
  /** Head first. */
  operators: OperatorDescription[];
  inputs: JobEdgeDescription[];
  outputs: JobEdgeDescription[];
}

/** A JobEdge without its key selector; `source` and `target` are vertices of the same description. */
export interface JobEdgeDescription {
  source: JobVertexDescription;
  target: JobVertexDescription;
  shipStrategy: ShipStrategy;
}

/** A StreamNode without its transformation. */
export interface OperatorDescription {
  operatorId: string;
  name: string;
  parallelism: number;
  maxParallelism: number;
}

/** The function-free copy of a job graph that crosses to the JobManager (see JobGraphDescription). */
export function describeJobGraph(graph: JobGraph): JobGraphDescription {
  const vertices = new Map<JobVertex, JobVertexDescription>();
  for (const v of graph.vertices) {
    const operators = v.operators.map(({ operatorId, name, parallelism, maxParallelism }) => ({ operatorId, name, parallelism, maxParallelism }));
    vertices.set(v, { id: v.id, name: v.name, parallelism: v.parallelism, maxParallelism: v.maxParallelism, operators, inputs: [], outputs: [] });
  }
  const edges = new Map<JobEdge, JobEdgeDescription>();
  const describe = (edge: JobEdge): JobEdgeDescription => {
    let described = edges.get(edge);
    if (!described) edges.set(edge, (described = { source: vertices.get(edge.source)!, target: vertices.get(edge.target)!, shipStrategy: edge.shipStrategy }));
    return described;
  };
  for (const v of graph.vertices) {
    const described = vertices.get(v)!;
    described.inputs = v.inputs.map(describe);
    described.outputs = v.outputs.map(describe);
  }
  const { jobName, planHash, checkpointInterval, maxParallelism } = graph;
  return { jobName, vertices: [...vertices.values()], planHash, checkpointInterval, maxParallelism };
}

/** A JobGraphDescription as JSON: the vertices' edges as indexes into one edge list (the description itself has cycles). */
export interface SerializedJobGraphDescription {
  jobName: string;
  planHash: string;
  checkpointInterval: number | null;
  maxParallelism: number;
  vertices: Array<Omit<JobVertexDescription, 'inputs' | 'outputs'> & { inputs: number[]; outputs: number[] }>;
  edges: Array<{ source: number; target: number; shipStrategy: ShipStrategy }>;
}

export function serializeJobGraphDescription(graph: JobGraphDescription): SerializedJobGraphDescription {
  const vertexIndex = new Map(graph.vertices.map((v, i) => [v, i]));
  const edges: JobEdgeDescription[] = [];
  const edgeIndex = (edge: JobEdgeDescription): number => {
    let index = edges.indexOf(edge);
    if (index < 0) index = edges.push(edge) - 1;
    return index;
  };
  const vertices = graph.vertices.map(({ id, name, parallelism, maxParallelism, operators, inputs, outputs }) => ({
    id,
    name,
    parallelism,
    maxParallelism,
    operators: operators.map(({ operatorId, name, parallelism, maxParallelism }) => ({ operatorId, name, parallelism, maxParallelism })),
    inputs: inputs.map(edgeIndex),
    outputs: outputs.map(edgeIndex),
  }));
  return {
    jobName: graph.jobName,
    planHash: graph.planHash,
    checkpointInterval: graph.checkpointInterval ?? null,
    maxParallelism: graph.maxParallelism,
    vertices,
    edges: edges.map((e) => ({ source: vertexIndex.get(e.source)!, target: vertexIndex.get(e.target)!, shipStrategy: e.shipStrategy })),
  };
}

export function deserializeJobGraphDescription(json: SerializedJobGraphDescription): JobGraphDescription {
  const vertices: JobVertexDescription[] = json.vertices.map(({ id, name, parallelism, maxParallelism, operators }) => ({
    id,
    name,
    parallelism,
    maxParallelism,
    operators,
    inputs: [],
    outputs: [],
  }));
  const vertex = (index: number): JobVertexDescription => {
    const found = vertices[index];
    if (!found) throw new Error(`the job graph names vertex ${index} of ${vertices.length}`);
    return found;
  };
  const edges = json.edges.map((e): JobEdgeDescription => ({ source: vertex(e.source), target: vertex(e.target), shipStrategy: e.shipStrategy }));
  const edge = (index: number): JobEdgeDescription => {
    const found = edges[index];
    if (!found) throw new Error(`the job graph names edge ${index} of ${edges.length}`);
    return found;
  };
  json.vertices.forEach((v, i) => {
    vertices[i]!.inputs = v.inputs.map(edge);
    vertices[i]!.outputs = v.outputs.map(edge);
  });
  return { jobName: json.jobName, planHash: json.planHash, checkpointInterval: json.checkpointInterval ?? undefined, maxParallelism: json.maxParallelism, vertices };
}

export interface JobGraphOptions {
  /** `-p` / the REST `parallelism`: used where neither the operator nor the environment sets one. */
  defaultParallelism: number;
}

function hex32(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

/**
 * Turns what the program built into a JobGraph: resolves parallelism and partitioning, gives every operator a stable
 * id (Flink's StreamGraphHasher idea: `uid` when set, else position and upstream ids, so an unchanged program keeps
 * its ids), and chains forward-connected operators of equal parallelism unless chaining is disabled.
 */
export function buildJobGraph(pipeline: Pipeline, options: JobGraphOptions): JobGraph {
  const transformations = collect(pipeline.sinks);
  if (transformations.length === 0) {
    throw new Error("The program didn't contain a Flink job. Perhaps you forgot to call execute() on the execution environment.");
  }
  const nodes = new Map<Transformation, StreamNode>();
  const usedIds = new Set<string>();
  transformations.forEach((t, position) => {
    const upstream = t.input ? nodes.get(t.input.transformation)!.operatorId : '';
    const operatorId = t.uid !== undefined ? hex32(`uid:${t.uid}`) : hex32(`auto:${position}:${t.operator.kind}:${upstream}:${t.input?.partitioning.kind ?? ''}`);
    if (usedIds.has(operatorId)) throw new Error(`Duplicate operator uid '${t.uid}': every uid must be unique within a job.`);
    usedIds.add(operatorId);
    const parallelism = t.parallelism ?? pipeline.config.parallelism ?? options.defaultParallelism;
    const maxParallelism = t.maxParallelism ?? pipeline.config.maxParallelism;
    if (parallelism > maxParallelism) {
      throw new Error(`The parallelism (${parallelism}) of operator '${t.name}' is higher than its maximum parallelism (${maxParallelism}).`);
    }
    nodes.set(t, { operatorId, transformation: t, name: t.name, parallelism, maxParallelism });
  });

  // Resolve each input edge's strategy and decide chaining.
  const downstreamCount = new Map<Transformation, number>();
  for (const t of transformations) if (t.input) downstreamCount.set(t.input.transformation, (downstreamCount.get(t.input.transformation) ?? 0) + 1);
  const strategyOf = (t: Transformation): ShipStrategy => resolveStrategy(t.input!.partitioning, nodes.get(t.input!.transformation)!, nodes.get(t)!);
  const chainedToInput = (t: Transformation): boolean =>
    pipeline.config.chaining &&
    t.input !== undefined &&
    strategyOf(t) === 'FORWARD' &&
    downstreamCount.get(t.input.transformation) === 1 &&
    t.operator.kind !== 'source' &&
    t.input.transformation.operator.kind !== 'sink';

  const vertexOf = new Map<Transformation, JobVertex>();
  const vertices: JobVertex[] = [];
  for (const t of transformations) {
    const node = nodes.get(t)!;
    if (chainedToInput(t)) {
      const vertex = vertexOf.get(t.input!.transformation)!;
      vertex.operators.push(node);
      vertex.name = `${vertex.name} -> ${node.name}`;
      vertexOf.set(t, vertex);
      continue;
    }
    const vertex: JobVertex = { id: node.operatorId, name: node.name, parallelism: node.parallelism, maxParallelism: node.maxParallelism, operators: [node], inputs: [], outputs: [] };
    vertices.push(vertex);
    vertexOf.set(t, vertex);
    if (t.input) {
      const source = vertexOf.get(t.input.transformation)!;
      const partitioning = t.input.partitioning;
      const edge: JobEdge = { source, target: vertex, shipStrategy: strategyOf(t), keySelector: partitioning.kind === 'hash' ? partitioning.keySelector : undefined };
      source.outputs.push(edge);
      vertex.inputs.push(edge);
    }
  }
  for (const vertex of vertices) {
    const keyed = vertex.operators.find((n) => n.transformation.operator.kind === 'window' || n.transformation.operator.kind === 'keyedProcess');
    if (keyed && !(vertex.inputs.length === 1 && vertex.inputs[0]!.shipStrategy === 'HASH' && vertex.operators[0] === keyed)) {
      throw new Error(`Operator '${keyed.name}' needs a keyed stream: call keyBy() right before it.`);
    }
  }
  const shape = vertices.map((v) => ({
    id: v.id,
    name: v.name,
    parallelism: v.parallelism,
    maxParallelism: v.maxParallelism,
    operators: v.operators.map((n) => `${n.operatorId}:${n.transformation.operator.kind}`),
    inputs: v.inputs.map((e) => `${e.source.id}:${e.shipStrategy}`),
  }));
  return {
    jobName: pipeline.jobName,
    vertices,
    planHash: hex32(JSON.stringify(shape)),
    checkpointInterval: pipeline.config.checkpointInterval,
    maxParallelism: pipeline.config.maxParallelism,
  };
}

function resolveStrategy(partitioning: Partitioning, upstream: StreamNode, node: StreamNode): ShipStrategy {
  switch (partitioning.kind) {
    case 'hash':
      return 'HASH';
    case 'rebalance':
      return 'REBALANCE';
    case 'forward':
      if (upstream.parallelism !== node.parallelism) {
        throw new Error(
          `Forward partitioning does not allow change of parallelism. Upstream operation: ${upstream.name} parallelism: ${upstream.parallelism}, downstream operation: ${node.name} parallelism: ${node.parallelism} You must use another partitioning strategy, such as broadcast, rebalance, shuffle or global.`,
        );
      }
      return 'FORWARD';
    case 'default':
      return upstream.parallelism === node.parallelism ? 'FORWARD' : 'REBALANCE';
  }
}

/** Every transformation the sinks depend on, in creation order (inputs before their consumers). */
function collect(sinks: readonly Transformation[]): Transformation[] {
  const seen = new Set<Transformation>();
  const visit = (t: Transformation) => {
    if (seen.has(t)) return;
    if (t.input) visit(t.input.transformation);
    seen.add(t);
  };
  sinks.forEach(visit);
  return [...seen].sort((a, b) => a.id - b.id);
}
