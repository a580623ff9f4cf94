import { enc, request } from '../../api';
import { list, lowWatermark } from '../../format';
import { usePolled } from '../../poll';
import type { VertexLive } from '../../components/JobGraph';
import type { AggregatedMetric, MetricValue } from '../../types';

const METRICS = 'backPressuredTimeMsPerSecond,busyTimeMsPerSecond';

function maxOf(metrics: readonly AggregatedMetric[], id: string): number | undefined {
  const max = metrics.find((m) => m?.id === id)?.max;
  return typeof max === 'number' ? max : undefined;
}

// Quiet calls: a vertex whose metrics cannot be read shows "—" in its node.
async function loadVertexLive(jid: string, vertexId: string): Promise<VertexLive> {
  const base = `./jobs/${enc(jid)}/vertices/${enc(vertexId)}`;
  const [metrics, watermarks] = await Promise.all([
    request<AggregatedMetric[]>(`${base}/subtasks/metrics?get=${METRICS}`, { quiet: true }),
    request<MetricValue[]>(`${base}/watermarks`, { quiet: true }),
  ]);
  const aggregated = metrics.ok ? list(metrics.data) : [];
  return {
    backPressured: maxOf(aggregated, 'backPressuredTimeMsPerSecond'),
    busy: maxOf(aggregated, 'busyTimeMsPerSecond'),
    watermarksKnown: watermarks.ok && Array.isArray(watermarks.data),
    lowWatermark: watermarks.ok ? lowWatermark(list(watermarks.data)) : undefined,
  };
}

/** Every vertex's live figures, re-read on every refresh tick. */
export function useVertexLive(jid: string, vertexIds: readonly string[]): Record<string, VertexLive> | undefined {
  const polled = usePolled<Record<string, VertexLive>>(vertexIds.length === 0 ? null : `${jid}|${vertexIds.join(',')}`, async () => {
    const entries = await Promise.all(vertexIds.map(async (id) => [id, await loadVertexLive(jid, id)] as const));
    return { ok: true, status: 200, data: Object.fromEntries(entries) };
  });
  return polled.data;
}
