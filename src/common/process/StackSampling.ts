/**
 * The longest on-CPU sampling of a thread one request asks a TaskExecutor for (flame graphs: `rest.flamegraph.num-samples`
 * × `rest.flamegraph.delay-between-samples` must stay within it). Bounds what one REST request makes a cluster do.
 */
export const MAX_SAMPLING_DURATION_MS = 10_000;
