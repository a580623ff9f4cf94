/**
 * Metrics a job's code registers (Flink's org.apache.flink.metrics): counters and gauges in a metric group, reported
 * under the operator's scope (REST ids such as `0.Source__Kafka.KafkaSourceReader.commitsSucceeded`, Prometheus
 * names such as `flink_taskmanager_job_task_operator_KafkaSourceReader_commitsSucceeded`).
 */
export interface Counter {
  inc(n?: number): void;
  dec(n?: number): void;
  getCount(): number;
}

/** A value read when metrics are reported. */
export type GaugeValue = number | string | boolean;

export interface MetricGroup {
  counter(name: string): Counter;
  /** `read` is called at every report; it must be cheap and must not throw. */
  gauge(name: string, read: () => GaugeValue): void;
  /** A named sub-group (`addGroup('KafkaSourceReader')`), or a key-value one (`addGroup('topic', 'input')`) whose value is a label in Prometheus. */
  addGroup(name: string, value?: string): MetricGroup;
}
