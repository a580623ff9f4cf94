import { graphlib, layout } from '@dagrejs/dagre';
import type { ComponentChildren } from 'preact';
import { useId, useMemo } from 'preact/hooks';
import { formatWatermark, list, msPerSecondPercent, text } from '../format';
import type { JobVertex, PlanNode } from '../types';
import { stateClass } from './common';

const NODE_WIDTH = 230;
const LINE_HEIGHT = 18;
const NAME_CHARS_PER_LINE = 30;
const NAME_LINES = 2;
const PADDING = 14;

/** What the job graph shows of a running JobVertex besides its IO: the maxima over its subtasks and its low watermark. */
export interface VertexLive {
  /** backPressuredTimeMsPerSecond, max over subtasks. */
  backPressured?: number;
  /** busyTimeMsPerSecond, max over subtasks. */
  busy?: number;
  /** Whether the watermarks could be read at all. */
  watermarksKnown: boolean;
  /** The lowest subtask watermark; undefined: no subtask has one yet. */
  lowWatermark?: number;
}

interface GraphNode {
  id: string;
  name: string;
  nameLines: string[];
  parallelism: unknown;
  x: number;
  y: number;
  height: number;
}

interface GraphEdge {
  key: string;
  from: string;
  to: string;
  label: string;
  points: Array<{ x: number; y: number }>;
  labelX: number;
  labelY: number;
}

interface Layout {
  width: number;
  height: number;
  nodes: GraphNode[];
  edges: GraphEdge[];
}

/** The plan's `description` is the HTML-escaped name with `<br/>` for line breaks. */
function planName(description: string | undefined): string {
  if (typeof description !== 'string') return '';
  return description
    .replace(/<br\s*\/?>/gi, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

/** The name in at most two lines of whole words, the last one cut with "…" if the name is longer. */
function wrapName(name: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of name.split(/\s+/).filter((w) => w !== '')) {
    if (line === '') line = word;
    else if (line.length + 1 + word.length <= NAME_CHARS_PER_LINE) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line !== '') lines.push(line);
  const shown = lines.slice(0, NAME_LINES);
  const last = shown.length - 1;
  if (last >= 0 && (lines.length > NAME_LINES || shown[last]!.length > NAME_CHARS_PER_LINE)) {
    shown[last] = `${shown[last]!.slice(0, NAME_CHARS_PER_LINE - 1)}…`;
  }
  return shown.length > 0 ? shown : ['(unnamed)'];
}

function computeLayout(nodes: readonly PlanNode[], names: ReadonlyMap<string, string>, detailLines: number): Layout {
  const g = new graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: 'LR', nodesep: 40, ranksep: 50, edgesep: 20, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  const byId = new Map<string, GraphNode>();
  for (const node of nodes) {
    if (node === null || typeof node !== 'object' || typeof node.id !== 'string' || byId.has(node.id)) continue;
    const name = names.get(node.id) ?? planName(node.description);
    const nameLines = wrapName(name);
    const height = PADDING * 2 + (nameLines.length + detailLines) * LINE_HEIGHT;
    byId.set(node.id, { id: node.id, name, nameLines, parallelism: node.parallelism, x: 0, y: 0, height });
    g.setNode(node.id, { width: NODE_WIDTH, height });
  }
  const edges: Array<{ key: string; from: string; to: string; label: string }> = [];
  for (const node of nodes) {
    if (!byId.has(node?.id)) continue;
    list(node.inputs).forEach((input, index) => {
      if (input === null || typeof input !== 'object' || !byId.has(input.id)) return;
      const key = `${input.id}->${node.id}#${index}`;
      const label = typeof input.ship_strategy === 'string' ? input.ship_strategy : '';
      edges.push({ key, from: input.id, to: node.id, label });
      g.setEdge(input.id, node.id, { width: label.length * 7 + 12, height: 18, labelpos: 'c' }, key);
    });
  }
  layout(g);
  for (const node of byId.values()) {
    const placed = g.node(node.id);
    node.x = placed.x ?? 0;
    node.y = placed.y ?? 0;
  }
  const graph = g.graph();
  return {
    width: Math.ceil(graph.width ?? 0),
    height: Math.ceil(graph.height ?? 0),
    nodes: [...byId.values()],
    edges: edges.map((edge) => {
      const placed = g.edge(edge.from, edge.to, edge.key);
      return { ...edge, points: placed?.points ?? [], labelX: placed?.x ?? 0, labelY: placed?.y ?? 0 };
    }),
  };
}

/** A smooth path through dagre's edge points. */
function edgePath(points: ReadonlyArray<{ x: number; y: number }>): string {
  if (points.length === 0) return '';
  let d = `M${points[0]!.x},${points[0]!.y}`;
  for (let i = 1; i < points.length - 1; i++) {
    const p = points[i]!;
    const next = points[i + 1]!;
    d += ` Q${p.x},${p.y} ${(p.x + next.x) / 2},${(p.y + next.y) / 2}`;
  }
  const last = points[points.length - 1]!;
  return `${d} L${last.x},${last.y}`;
}

interface JobGraphProps {
  nodes: readonly PlanNode[];
  /** The job's vertices (names, status): absent for a plan that does not run yet. */
  vertices?: readonly JobVertex[];
  live?: Record<string, VertexLive>;
  selected?: string;
  onSelect?: (vertexId: string) => void;
}

/**
 * The job graph (a DAG of JobVertices from `plan.nodes[].inputs`), laid out by dagre left to right and drawn as SVG;
 * edges are labelled with their ship strategy.
 */
export function JobGraph({ nodes, vertices, live, selected, onSelect }: JobGraphProps) {
  const markerId = `arrow-${useId()}`;
  const byId = new Map(list(vertices).map((v) => [v.id, v]));
  const names = new Map(list(vertices).filter((v) => typeof v.name === 'string').map((v) => [v.id, v.name]));
  const detailLines = vertices ? 6 : 1;
  const structure = JSON.stringify([nodes.map((n) => [n?.id, list(n?.inputs).map((i) => [i?.id, i?.ship_strategy]), n?.description]), [...names], detailLines]);
  const graph = useMemo(() => computeLayout(nodes, names, detailLines), [structure]);
  if (graph.nodes.length === 0) return <p class="message">The plan has no vertices.</p>;

  return (
    <div class="graph-scroll">
      <svg class="job-graph" width={graph.width} height={graph.height} viewBox={`0 0 ${graph.width} ${graph.height}`} role="img" aria-label="Job graph">
        <defs>
          <marker id={markerId} viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" class="graph-arrow" />
          </marker>
        </defs>
        {graph.edges.map((edge) => (
          <g key={edge.key} class="graph-edge" data-from={edge.from} data-to={edge.to}>
            <path d={edgePath(edge.points)} marker-end={`url(#${markerId})`} />
            {edge.label !== '' && (
              <g transform={`translate(${edge.labelX},${edge.labelY})`}>
                <rect class="graph-edge-label-box" x={-(edge.label.length * 7 + 12) / 2} y={-9} width={edge.label.length * 7 + 12} height={18} rx={3} />
                <text class="graph-edge-label" text-anchor="middle" dominant-baseline="central">
                  {edge.label}
                </text>
              </g>
            )}
          </g>
        ))}
        {graph.nodes.map((node) => {
          const vertex = byId.get(node.id);
          const lines: ComponentChildren[] = [`Parallelism: ${text(vertex?.parallelism ?? node.parallelism)}`];
          if (vertex) {
            const figures = live?.[node.id];
            lines.push(
              <>
                Status: <tspan class={`graph-state ${stateClass(vertex.status)}`}>{text(vertex.status)}</tspan>
              </>,
              `Backpressured (max): ${msPerSecondPercent(figures?.backPressured)}`,
              `Busy (max): ${msPerSecondPercent(figures?.busy)}`,
              'Low Watermark:',
              <tspan class="graph-watermark">{figures?.watermarksKnown ? formatWatermark(figures.lowWatermark) : '—'}</tspan>,
            );
          }
          const clickable = onSelect !== undefined;
          return (
            <g
              key={node.id}
              class={`graph-node${selected === node.id ? ' selected' : ''}${clickable ? ' clickable' : ''}`}
              data-vertex-id={node.id}
              transform={`translate(${node.x - NODE_WIDTH / 2},${node.y - node.height / 2})`}
              onClick={clickable ? () => onSelect(node.id) : undefined}
              onKeyDown={clickable ? (e) => (e.key === 'Enter' || e.key === ' ') && onSelect(node.id) : undefined}
              tabIndex={clickable ? 0 : undefined}
              role={clickable ? 'button' : undefined}
            >
              <title>{node.name}</title>
              <rect class="graph-node-box" width={NODE_WIDTH} height={node.height} rx={6} />
              <rect class={`graph-node-stripe ${stateClass(vertex?.status)}`} width={5} height={node.height} rx={2} />
              {node.nameLines.map((line, i) => (
                <text key={`n${i}`} class="graph-node-name" x={PADDING} y={PADDING + LINE_HEIGHT * i + 12}>
                  {line}
                </text>
              ))}
              {lines.map((line, i) => (
                <text key={`d${i}`} class="graph-node-detail" x={PADDING} y={PADDING + LINE_HEIGHT * (node.nameLines.length + i) + 12}>
                  {line}
                </text>
              ))}
            </g>
          );
        })}
      </svg>
    </div>
  );
}
