import { booleanOption, durationOption, intOption, memoryOption, stringOption } from './ConfigOption.js';

/**
 * The configuration keys tsflink reads, with Flink's names and defaults. Where tsflink's default differs from Flink's,
 * the description says why.
 */
export const JobManagerOptions = {
  ADDRESS: stringOption('jobmanager.rpc.address', { defaultValue: 'localhost', description: 'Host of the JobManager RPC endpoint.' }),
  PORT: intOption('jobmanager.rpc.port', { defaultValue: 6123, description: 'Port of the JobManager RPC endpoint; 0 picks a free port.' }),
  BIND_HOST: stringOption('jobmanager.bind-host', {
    defaultValue: '127.0.0.1',
    description: 'Address the JobManager RPC server binds to. tsflink binds to loopback unless told otherwise (Flink: all interfaces).',
  }),
} as const;

export const RestOptions = {
  PORT: intOption('rest.port', { defaultValue: 8081, deprecatedKeys: ['web.port'], description: 'Port of the REST endpoint and web UI; 0 picks a free port.' }),
  ADDRESS: stringOption('rest.address', { defaultValue: undefined, description: 'Address clients use for REST; falls back to jobmanager.rpc.address.' }),
  BIND_ADDRESS: stringOption('rest.bind-address', {
    defaultValue: '127.0.0.1',
    description: 'Address the REST server binds to. tsflink binds to loopback unless told otherwise (Flink: all interfaces).',
  }),
  BIND_PORT: stringOption('rest.bind-port', { defaultValue: undefined, description: 'Port (or range) the REST server binds to; falls back to rest.port.' }),
  RETRY_MAX_ATTEMPTS: intOption('rest.retry.max-attempts', { defaultValue: 20, description: 'Retries of a REST call that could not connect.' }),
  RETRY_DELAY: durationOption('rest.retry.delay', { defaultValue: 3000, description: 'Delay between REST call retries.' }),
  CONNECTION_TIMEOUT: durationOption('rest.connection-timeout', { defaultValue: 15_000, description: 'Timeout to establish a REST connection.' }),
  SERVER_MAX_CONTENT_LENGTH: intOption('rest.server.max-content-length', { defaultValue: 104_857_600, description: 'The largest request body (bytes) the REST server accepts; larger ones are answered 413.' }),
  SERVER_MAX_BUFFERED_CONTENT_LENGTH: intOption('rest.server.max-buffered-content-length', {
    defaultValue: 209_715_200,
    description:
      "tsflink's own: the request body bytes the REST server holds at once, over all requests (a request reserves its declared length). A request that does not fit is answered 503. Must be at least rest.server.max-content-length.",
  }),
  ALLOWED_HOSTS: stringOption('rest.allowed-hosts', {
    defaultValue: undefined,
    description:
      "tsflink's own: further host names, comma-separated, that requests may name in their Host header (besides localhost, loopback addresses, rest.address, rest.bind-address, this machine's host name and interface addresses); '*' accepts any (behind a proxy that checks Host). Stops DNS rebinding.",
  }),
  FLAMEGRAPH_ENABLED: booleanOption('rest.flamegraph.enabled', {
    defaultValue: false,
    description: "Flame graphs of a vertex's subtasks in the dashboard (on-CPU samples from V8's profiler in their threads); off: the endpoint answers endTimestamp -2.",
  }),
  FLAMEGRAPH_REFRESH_INTERVAL: durationOption('rest.flamegraph.refresh-interval', { defaultValue: 60_000, description: "How old a vertex's flame graph may be before it is sampled again." }),
  FLAMEGRAPH_CLEANUP_INTERVAL: durationOption('rest.flamegraph.cleanup-interval', { defaultValue: 600_000, description: 'How long an unread flame graph is kept.' }),
  FLAMEGRAPH_NUM_SAMPLES: intOption('rest.flamegraph.num-samples', {
    defaultValue: 100,
    description: 'With rest.flamegraph.delay-between-samples, how long a sampling lasts (their product, at most 10 s); V8 samples every millisecond within it.',
  }),
  FLAMEGRAPH_DELAY: durationOption('rest.flamegraph.delay-between-samples', { defaultValue: 50, description: 'See rest.flamegraph.num-samples.' }),
  FLAMEGRAPH_STACK_DEPTH: intOption('rest.flamegraph.stack-depth', { defaultValue: 100, description: 'The deepest stack a flame graph shows.' }),
  AUTHENTICATION_TOKEN: stringOption('rest.authentication.token', {
    defaultValue: undefined,
    description:
      "tsflink's own: when set, every REST call must carry `Authorization: Bearer <token>` (or the dashboard's session cookie, set after logging in with the token); else 401. The CLI sends it from its configuration. Static dashboard files are served without it.",
  }),
} as const;

export const ClientOptions = {
  TIMEOUT: durationOption('client.timeout', { defaultValue: 60_000, deprecatedKeys: ['akka.client.timeout'], description: 'Timeout of a client operation.' }),
} as const;

export const TaskManagerOptions = {
  NUM_TASK_SLOTS: intOption('taskmanager.numberOfTaskSlots', {
    defaultValue: 2,
    description: 'Slots a TaskManager offers. tsflink defaults to 2, the playground value (Flink: 1).',
  }),
  HOST: stringOption('taskmanager.host', { defaultValue: '127.0.0.1', description: 'Host name the TaskManager advertises.' }),
  BIND_HOST: stringOption('taskmanager.bind-host', { defaultValue: '127.0.0.1', description: 'Address the TaskManager servers bind to.' }),
  RPC_PORT: intOption('taskmanager.rpc.port', { defaultValue: 0, description: 'TaskManager RPC port; 0 picks a free port.' }),
  DATA_PORT: intOption('taskmanager.data.port', { defaultValue: 0, description: 'TaskManager data (shuffle) port; 0 picks a free port.' }),
  RESOURCE_ID: stringOption('taskmanager.resource-id', { defaultValue: undefined, description: 'Fixed TaskManager id; generated when unset.' }),
} as const;

/** Flink's ResourceManagerOptions for the slots of the cluster. */
export const ResourceManagerOptions = {
  MAX_SLOT_NUM: intOption('slotmanager.number-of-slots.max', {
    defaultValue: 2_147_483_647,
    description: 'Most slots the cluster takes from all its TaskManagers together; a registration that would exceed it is refused.',
  }),
} as const;

export const HeartbeatManagerOptions = {
  HEARTBEAT_INTERVAL: durationOption('heartbeat.interval', { defaultValue: 10_000, description: 'Time between heartbeats.' }),
  HEARTBEAT_TIMEOUT: durationOption('heartbeat.timeout', { defaultValue: 50_000, description: 'Silence after which a peer is considered lost.' }),
} as const;

export const ClusterOptions = {
  INITIAL_REGISTRATION_TIMEOUT: durationOption('cluster.registration.initial-timeout', {
    defaultValue: 100,
    description: 'First registration attempt timeout; doubled on each failed attempt.',
  }),
  MAX_REGISTRATION_TIMEOUT: durationOption('cluster.registration.max-timeout', {
    defaultValue: 30_000,
    description: 'Upper bound of the registration attempt timeout.',
  }),
  REFUSED_REGISTRATION_DELAY: durationOption('cluster.registration.refused-registration-delay', {
    defaultValue: 30_000,
    description: 'Pause after the ResourceManager refused a registration.',
  }),
  THREAD_DUMP_STACKTRACE_MAX_DEPTH: intOption('cluster.thread-dump.stacktrace-max-depth', {
    defaultValue: 8,
    description: 'Frames of a stack a thread dump shows (GET /jobmanager/thread-dump, /taskmanagers/:id/thread-dump).',
  }),
} as const;

export const WebOptions = {
  REFRESH_INTERVAL: durationOption('web.refresh-interval', { defaultValue: 3000, description: 'Dashboard refresh interval.' }),
  SUBMIT_ENABLE: booleanOption('web.submit.enable', { defaultValue: true, description: "Allow job submission through the web UI and /jars (false: those endpoints answer 404). The CLI's POST /jobs is not affected, as in Flink." }),
  CANCEL_ENABLE: booleanOption('web.cancel.enable', { defaultValue: true, description: 'Allow cancelling jobs through the web UI.' }),
  RESCALE_ENABLE: booleanOption('web.rescale.enable', { defaultValue: false, description: 'Allow rescaling through the web UI.' }),
  TMP_DIR: stringOption('web.tmpdir', { defaultValue: undefined, description: "Where the JobManager keeps uploaded programs when web.upload.dir is unset; the system's temp directory when unset." }),
  UPLOAD_DIR: stringOption('web.upload.dir', { defaultValue: undefined, description: 'Where uploaded job programs are stored; a new temporary directory when unset.' }),
  DASHBOARD_DIR: stringOption('web.dashboard.dir', {
    defaultValue: undefined,
    description:
      "tsflink's own: a directory of web dashboard files served instead of tsflink's dashboard, e.g. Apache Flink 1.20's own (flink-runtime-web's web/ folder; bin/flink-stock.sh web-dir). It must hold an index.html.",
  }),
  ACCESS_CONTROL_ALLOW_ORIGIN: stringOption('web.access-control-allow-origin', {
    defaultValue: undefined,
    description:
      "The origin (e.g. https://tools.example.com) whose web pages may call the REST API (CORS): sent as Access-Control-Allow-Origin, its preflights answered, its state-changing requests accepted. tsflink's default is unset, so no other origin may (Flink: '*', any web page).",
  }),
} as const;

/** Flink's Prometheus reporter keys (metrics.reporter.prom.*). */
export const MetricOptions = {
  PROMETHEUS_FACTORY_CLASS: stringOption('metrics.reporter.prom.factory.class', {
    defaultValue: undefined,
    description: 'Setting it (to Flink\'s org.apache.flink.metrics.prometheus.PrometheusReporterFactory) turns the Prometheus reporter on.',
  }),
  PROMETHEUS_PORT: stringOption('metrics.reporter.prom.port', {
    defaultValue: undefined,
    description: 'Port or range (9250-9260) the Prometheus reporter serves /metrics on; setting it turns the reporter on (9249 when only the factory class is set).',
  }),
  PROMETHEUS_HOST: stringOption('metrics.reporter.prom.host', {
    defaultValue: '127.0.0.1',
    description: 'Address the Prometheus reporter binds to. tsflink binds to loopback unless told otherwise (Flink: all interfaces).',
  }),
} as const;

/** tsflink's own keys for the one-command playground (not Flink's). */
export const PlaygroundOptions = {
  VERIFIER_URL: stringOption('playground.verifier.url', {
    defaultValue: undefined,
    description: "The playground's output verifier (http://host:port); the JobManager serves its totals at GET /playground/verifier. Unset: that endpoint answers 404.",
  }),
} as const;

/** Flink 1.20's restart-strategy keys and defaults. */
export const RestartStrategyOptions = {
  TYPE: stringOption('restart-strategy.type', { defaultValue: undefined, deprecatedKeys: ['restart-strategy'], description: 'none, fixed-delay, failure-rate or exponential-delay; unset: exponential-delay with checkpointing, else none.' }),
  FIXED_DELAY_ATTEMPTS: intOption('restart-strategy.fixed-delay.attempts', { defaultValue: 1, description: 'Restarts before the job fails.' }),
  FIXED_DELAY_DELAY: durationOption('restart-strategy.fixed-delay.delay', { defaultValue: 1000, description: 'Delay between restarts.' }),
  FAILURE_RATE_MAX_FAILURES: intOption('restart-strategy.failure-rate.max-failures-per-interval', { defaultValue: 1, description: 'Failures per interval before the job fails.' }),
  FAILURE_RATE_INTERVAL: durationOption('restart-strategy.failure-rate.failure-rate-interval', { defaultValue: 60_000, description: 'The interval failures are counted in.' }),
  FAILURE_RATE_DELAY: durationOption('restart-strategy.failure-rate.delay', { defaultValue: 1000, description: 'Delay between restarts.' }),
  EXPONENTIAL_INITIAL_BACKOFF: durationOption('restart-strategy.exponential-delay.initial-backoff', { defaultValue: 1000, description: 'First delay.' }),
  EXPONENTIAL_MAX_BACKOFF: durationOption('restart-strategy.exponential-delay.max-backoff', { defaultValue: 60_000, description: 'Longest delay.' }),
  EXPONENTIAL_MULTIPLIER: stringOption('restart-strategy.exponential-delay.backoff-multiplier', { defaultValue: '1.5', description: 'Growth of the delay per failure.' }),
  EXPONENTIAL_RESET_THRESHOLD: durationOption('restart-strategy.exponential-delay.reset-backoff-threshold', { defaultValue: 3_600_000, description: 'Quiet time after which the delay starts over.' }),
  EXPONENTIAL_JITTER: stringOption('restart-strategy.exponential-delay.jitter-factor', { defaultValue: '0.1', description: 'Random spread of the delay.' }),
  EXPONENTIAL_ATTEMPTS_BEFORE_RESET: intOption('restart-strategy.exponential-delay.attempts-before-reset-backoff', { defaultValue: 2_147_483_647, description: 'Restarts before the job fails.' }),
} as const;

/** Flink 1.20's CheckpointingOptions (with the `state.*` keys they replaced). */
export const CheckpointingOptions = {
  CHECKPOINTS_DIRECTORY: stringOption('execution.checkpointing.dir', {
    defaultValue: undefined,
    deprecatedKeys: ['state.checkpoints.dir'],
    description: "Where checkpoints are written (a path or file:// URI), one sub-directory per job; unset: 'tsflink-checkpoints' in the JobManager's io.tmp.dirs.",
  }),
  SAVEPOINT_DIRECTORY: stringOption('execution.checkpointing.savepoint-dir', { defaultValue: undefined, deprecatedKeys: ['state.savepoints.dir'], description: 'Default savepoint directory.' }),
  MAX_RETAINED_CHECKPOINTS: intOption('execution.checkpointing.num-retained', { defaultValue: 1, deprecatedKeys: ['state.checkpoints.num-retained'], description: 'Completed checkpoints kept.' }),
  CHECKPOINTING_INTERVAL: durationOption('execution.checkpointing.interval', { defaultValue: 0, description: "Checkpoint interval for jobs that set none; 0: checkpointing is off unless the job enables it." }),
  CHECKPOINTING_TIMEOUT: durationOption('execution.checkpointing.timeout', { defaultValue: 600_000, description: 'A checkpoint not completed within this time fails.' }),
  MIN_PAUSE_BETWEEN_CHECKPOINTS: durationOption('execution.checkpointing.min-pause', { defaultValue: 0, description: 'Least time between the end of a checkpoint and the start of the next.' }),
  EXTERNALIZED_CHECKPOINT_RETENTION: stringOption('execution.checkpointing.externalized-checkpoint-retention', {
    defaultValue: 'NO_EXTERNALIZED_CHECKPOINTS',
    description:
      'What happens to retained checkpoints when the job ends: NO_EXTERNALIZED_CHECKPOINTS (deleted), DELETE_ON_CANCELLATION (kept if the job failed), RETAIN_ON_CANCELLATION (kept).',
  }),
  TOLERABLE_FAILURE_NUMBER: intOption('execution.checkpointing.tolerable-failed-checkpoints', {
    defaultValue: -1,
    description: 'Consecutive failed checkpoints after which the job fails over; unset (-1): a failed checkpoint never fails the job.',
  }),
} as const;

export const CoreOptions = {
  DEFAULT_PARALLELISM: intOption('parallelism.default', { defaultValue: 1, description: 'Parallelism of a job that sets none.' }),
  TMP_DIRS: stringOption('io.tmp.dirs', { defaultValue: undefined, description: "Where a TaskManager keeps its working files (the first of a ','-separated list); the system's temp directory when unset." }),
} as const;

/**
 * Flink 1.20's security keys (security.ssl.*), and tsflink's own where Flink has none. tsflink authenticates every
 * internal connection even when nothing is configured (see docs/security.md): with `security.ssl.internal.enabled`
 * false it uses a certificate it generates for the cluster into `security.internal.cluster-certificate.dir`.
 */
export const SecurityOptions = {
  SSL_ENABLED: booleanOption('security.ssl.enabled', { defaultValue: false, description: 'Deprecated umbrella: true turns on internal and REST SSL.' }),
  SSL_PROTOCOL: stringOption('security.ssl.protocol', { defaultValue: 'TLSv1.2', description: 'Lowest TLS version accepted (TLSv1.2 or TLSv1.3).' }),
  SSL_ALGORITHMS: stringOption('security.ssl.algorithms', {
    defaultValue: undefined,
    description: "Comma-separated cipher suites (OpenSSL or IANA names); unset: Node's defaults.",
  }),
  SSL_VERIFY_HOSTNAME: booleanOption('security.ssl.verify-hostname', { defaultValue: true, description: "Check the REST server certificate's host name (clients)." }),
  SSL_PROVIDER: stringOption('security.ssl.provider', { defaultValue: 'JDK', description: "Flink's SSL engine choice; tsflink always uses Node's OpenSSL (JDK and OPENSSL are accepted)." }),

  SSL_INTERNAL_ENABLED: booleanOption('security.ssl.internal.enabled', {
    defaultValue: false,
    description: 'Use the configured key and trust stores for RPC and the data plane. false: tsflink still authenticates them, with its generated cluster certificate.',
  }),
  SSL_INTERNAL_KEYSTORE: stringOption('security.ssl.internal.keystore', { defaultValue: undefined, description: 'PKCS#12 file (or PEM with key and certificate) of this process.' }),
  SSL_INTERNAL_KEYSTORE_PASSWORD: stringOption('security.ssl.internal.keystore-password', { defaultValue: undefined, description: 'Password of the keystore.' }),
  SSL_INTERNAL_KEY_PASSWORD: stringOption('security.ssl.internal.key-password', { defaultValue: undefined, description: 'Password of the key in the keystore.' }),
  SSL_INTERNAL_KEYSTORE_TYPE: stringOption('security.ssl.internal.keystore-type', { defaultValue: 'PKCS12', description: 'PKCS12 or PEM (JKS cannot be read by Node; convert it with keytool -importkeystore).' }),
  SSL_INTERNAL_TRUSTSTORE: stringOption('security.ssl.internal.truststore', { defaultValue: undefined, description: 'PKCS#12 or PEM file of the certificates peers must present.' }),
  SSL_INTERNAL_TRUSTSTORE_PASSWORD: stringOption('security.ssl.internal.truststore-password', { defaultValue: undefined, description: 'Password of the truststore.' }),
  SSL_INTERNAL_TRUSTSTORE_TYPE: stringOption('security.ssl.internal.truststore-type', { defaultValue: 'PKCS12', description: 'PKCS12 or PEM.' }),
  SSL_INTERNAL_CERT_FINGERPRINT: stringOption('security.ssl.internal.cert.fingerprint', {
    defaultValue: undefined,
    description: "SHA-256 (or SHA-1) fingerprints, ','-separated, of the certificates peers may present (pinning).",
  }),
  SSL_INTERNAL_HANDSHAKE_TIMEOUT: durationOption('security.ssl.internal.handshake-timeout', { defaultValue: 10_000, description: 'TLS handshake timeout.' }),
  SSL_INTERNAL_SESSION_TIMEOUT: durationOption('security.ssl.internal.session-timeout', { defaultValue: 86_400_000, description: 'TLS session cache timeout.' }),
  CLUSTER_CERTIFICATE_DIR: stringOption('security.internal.cluster-certificate.dir', {
    defaultValue: undefined,
    description:
      "tsflink: where the cluster's generated key and certificate live when security.ssl.internal.enabled is false; created at the first start. Every JobManager and TaskManager of a cluster must see the same files. Unset: <conf dir>/cluster-certificate.",
  }),

  SSL_REST_ENABLED: booleanOption('security.ssl.rest.enabled', { defaultValue: false, description: 'Serve REST and the web UI over HTTPS.' }),
  SSL_REST_AUTHENTICATION_ENABLED: booleanOption('security.ssl.rest.authentication-enabled', { defaultValue: false, description: 'Require REST clients to present a certificate of the truststore (mutual TLS).' }),
  SSL_REST_KEYSTORE: stringOption('security.ssl.rest.keystore', { defaultValue: undefined, description: 'PKCS#12 or PEM keystore of the REST server (and of clients, with authentication).' }),
  SSL_REST_KEYSTORE_PASSWORD: stringOption('security.ssl.rest.keystore-password', { defaultValue: undefined, description: 'Password of the REST keystore.' }),
  SSL_REST_KEY_PASSWORD: stringOption('security.ssl.rest.key-password', { defaultValue: undefined, description: 'Password of the key in the REST keystore.' }),
  SSL_REST_KEYSTORE_TYPE: stringOption('security.ssl.rest.keystore-type', { defaultValue: 'PKCS12', description: 'PKCS12 or PEM.' }),
  SSL_REST_TRUSTSTORE: stringOption('security.ssl.rest.truststore', { defaultValue: undefined, description: 'PKCS#12 or PEM truststore: the server certificates clients trust, the client certificates the server accepts.' }),
  SSL_REST_TRUSTSTORE_PASSWORD: stringOption('security.ssl.rest.truststore-password', { defaultValue: undefined, description: 'Password of the REST truststore.' }),
  SSL_REST_TRUSTSTORE_TYPE: stringOption('security.ssl.rest.truststore-type', { defaultValue: 'PKCS12', description: 'PKCS12 or PEM.' }),
  SSL_REST_CERT_FINGERPRINT: stringOption('security.ssl.rest.cert.fingerprint', { defaultValue: undefined, description: "Fingerprints, ','-separated, of the certificates the REST peer may present (pinning)." }),
} as const;

/**
 * tsflink's own keys for running the main() of uploaded programs (REST plan and run, rescaling). Flink runs main() in
 * the JobManager's JVM; tsflink runs it in a thread of its own with these limits, so that a program that exits, spins
 * or allocates without bound fails its request and nothing else (see docs/security.md).
 */
export const ProgramOptions = {
  PROGRAM_TIMEOUT: durationOption('jobmanager.program.timeout', {
    defaultValue: 60_000,
    description: "tsflink: how long a program's main() may run on the JobManager until it hands its pipeline to execute(); its thread is then stopped and the request fails.",
  }),
  PROGRAM_MEMORY: memoryOption('jobmanager.program.memory', {
    defaultValue: 512 * 1024 * 1024,
    description: "tsflink: the heap a program's main() may use on the JobManager (its thread's old generation); beyond it the thread is stopped and the request fails. Buffers outside the JavaScript heap are not counted.",
  }),
  MAX_CONCURRENT_PROGRAMS: intOption('jobmanager.program.max-concurrent', {
    defaultValue: 2,
    description:
      "tsflink: how many programs' main() may run on the JobManager at once (each in its own thread with its own heap limit); further requests wait their turn, and beyond 16 waiting ones are refused.",
  }),
} as const;

/** Flink's HighAvailabilityOptions: JobManager leader election and job recovery through ZooKeeper. */
export const HighAvailabilityOptions = {
  TYPE: stringOption('high-availability.type', {
    defaultValue: 'none',
    deprecatedKeys: ['high-availability', 'recovery.mode'],
    description: 'none (a job is lost with its JobManager) or zookeeper (standby JobManagers, jobs recovered).',
  }),
  JOB_MANAGER_PORT_RANGE: stringOption('high-availability.jobmanager.port', {
    defaultValue: '0',
    deprecatedKeys: ['recovery.jobmanager.port'],
    description: "The JobManager's RPC port (or range, 50100-50200) with HA, instead of jobmanager.rpc.port; 0: a free port (ZooKeeper tells where it is).",
  }),
  ZOOKEEPER_QUORUM: stringOption('high-availability.zookeeper.quorum', { defaultValue: undefined, description: 'The ZooKeeper ensemble, host:port[,host:port...].' }),
  ZOOKEEPER_ROOT: stringOption('high-availability.zookeeper.path.root', { defaultValue: '/flink', description: 'The root node under which every cluster keeps its data.' }),
  CLUSTER_ID: stringOption('high-availability.cluster-id', { defaultValue: '/default', description: 'This cluster below the root; clusters sharing an ensemble need different ids.' }),
  STORAGE_DIR: stringOption('high-availability.storageDir', {
    defaultValue: undefined,
    deprecatedKeys: ['high-availability.zookeeper.storageDir'],
    description: 'Where JobManager metadata (job graphs, checkpoint pointers) is written; ZooKeeper keeps only references. Required with HA; a directory every JobManager host shares.',
  }),
  ZOOKEEPER_SESSION_TIMEOUT: durationOption('high-availability.zookeeper.client.session-timeout', { defaultValue: 60_000, description: 'The ZooKeeper session timeout.' }),
  ZOOKEEPER_CONNECTION_TIMEOUT: durationOption('high-availability.zookeeper.client.connection-timeout', { defaultValue: 15_000, description: 'How long a ZooKeeper request waits for a connection.' }),
  ZOOKEEPER_RETRY_WAIT: durationOption('high-availability.zookeeper.client.retry-wait', { defaultValue: 5000, description: 'Pause between retries of a failed ZooKeeper operation.' }),
  ZOOKEEPER_MAX_RETRY_ATTEMPTS: intOption('high-availability.zookeeper.client.max-retry-attempts', { defaultValue: 3, description: 'Retries of a failed ZooKeeper operation.' }),
  ZOOKEEPER_TOLERATE_SUSPENDED_CONNECTIONS: booleanOption('high-availability.zookeeper.client.tolerate-suspended-connections', {
    defaultValue: false,
    description: 'false: a suspended connection ends leadership at once; true: only a lost session does.',
  }),
  RECONCILIATION_GRACE_PERIOD: durationOption('high-availability.reconciliation.grace-period', {
    defaultValue: 120_000,
    description:
      'tsflink, with HA: how long a TaskManager keeps its subtasks running while no JobManager leads, for the next leader to take them over; after it they are cancelled. 0: cancelled at once (Flink).',
  }),
  RECONCILIATION_TIMEOUT: durationOption('high-availability.reconciliation.timeout', {
    defaultValue: 20_000,
    description:
      'tsflink, with HA: how long a new leader waits for the TaskManagers to report the subtasks of a job it recovered before it restarts the job from its latest checkpoint. 0: it restarts it at once (Flink).',
  }),
} as const;
