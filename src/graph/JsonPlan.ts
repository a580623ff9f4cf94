import type { JobGraphDescription } from './JobGraph.js';

/** The job graph as Flink's JsonPlanGenerator writes it: what REST `plan` and the web UI's graph show. */
export function jsonPlan(jobId: string, graph: JobGraphDescription): Record<string, unknown> {
  return {
    jid: jobId,
    name: graph.jobName,
    type: 'STREAMING',
    nodes: graph.vertices.map((vertex) => ({
      id: vertex.id,
      parallelism: vertex.parallelism,
      operator: '',
      operator_strategy: '',
      description: escapeHtml(vertex.operators.map((n) => n.name).join('<br/>')),
      ...(vertex.inputs.length > 0
        ? { inputs: vertex.inputs.map((edge, num) => ({ num, id: edge.source.id, ship_strategy: edge.shipStrategy, exchange: 'pipelined_bounded' })) }
        : {}),
      optimizer_properties: {},
    })),
  };
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, (m, i, s) => (s.startsWith('<br/>', i) ? m : '&lt;')).replace(/>/g, (m, i, s) => (s.slice(i - 4, i + 1) === '<br/>' ? m : '&gt;'));
}
