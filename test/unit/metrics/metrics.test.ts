import t from 'tap';
import { aggregatedMetrics, metricCollection, parseIndexRanges } from '../../../src/master/metrics/MetricQueries.js';
import { ComponentMetricGroup, metricId, metricValueString } from '../../../src/metrics/MetricGroup.js';
import { MeterView, SimpleCounter, VIEW_UPDATE_INTERVAL_MS } from '../../../src/metrics/Metrics.js';
import { renderPrometheus } from '../../../src/metrics/PrometheusReporter.js';
import { TaskMetricGroup, watermarkValue } from '../../../src/metrics/TaskMetricGroup.js';
import { MAX_WATERMARK, MIN_WATERMARK } from '../../../src/job/watermarks.js';

t.test('MeterView: events per second over the samples of its span', async (t) => {
  const counter = new SimpleCounter();
  const view = new MeterView(counter, 20_000, 0);
  t.equal(view.getRate(), 0);
  counter.inc(500);
  view.update(VIEW_UPDATE_INTERVAL_MS);
  t.equal(view.getRate(), 100, 'before the span has passed: over the time since creation');
  for (let i = 2; i <= 10; i++) {
    counter.inc(500);
    view.update(i * VIEW_UPDATE_INTERVAL_MS);
  }
  t.equal(view.getRate(), 100, 'a steady 100/s stays 100/s once the ring wraps');
  view.update(11 * VIEW_UPDATE_INTERVAL_MS);
  t.equal(view.getRate(), 75, 'a sample without events lowers the rate over the span (3 of 4 intervals had 500)');
});

t.test('metric groups: ids, key-value groups, failing gauges left out', async (t) => {
  const group = new ComponentMetricGroup();
  group.counter('numRecordsIn').inc(3);
  const reader = group.addGroup('KafkaSourceReader');
  reader.addGroup('topic', 'in.put').addGroup('partition', '0').gauge('currentOffset', () => 42);
  group.gauge('broken', () => {
    throw new Error('no');
  });
  const entries = group.dump('Source: Kafka', []);
  t.same(entries.map(metricId), ['Source: Kafka.numRecordsIn', 'Source: Kafka.KafkaSourceReader.topic.in_put.partition.0.currentOffset']);
  t.same(entries[1], ['Source: Kafka', 'KafkaSourceReader.topic=in_put.partition=0', 'currentOffset', 42]);
  t.equal(metricValueString(Number.NaN), 'NaN');
  t.equal(metricValueString(true), 'true');
  t.equal(watermarkValue(MIN_WATERMARK), '-9223372036854775808');
  t.equal(watermarkValue(MAX_WATERMARK), '9223372036854775807');
  t.equal(watermarkValue(15_000), 15_000);
});

t.test('task metrics: idle, backpressured and busy time add up to the elapsed time', async (t) => {
  const task = new TaskMetricGroup();
  const start = Date.now();
  task.idleStarted(start);
  task.idleEnded(start + 300);
  task.backPressureStarted(start + 300);
  const snapshot = task.snapshot(start + 500);
  t.equal(snapshot.io.accumulatedIdleMs, 300);
  t.equal(snapshot.io.accumulatedBackPressuredMs, 200, 'a backpressure wait in progress counts already');
  const isBackPressured = snapshot.entries.find((e) => e[2] === 'isBackPressured');
  t.equal(isBackPressured?.[3], true);
});

t.test('collections and aggregations: strings vs numbers, get, agg, subtask ranges', async (t) => {
  const values = new Map<string, number | string | boolean>([['a', 1], ['b', 'x'], ['c', true]]);
  t.same(metricCollection(values, new URLSearchParams('')), [{ id: 'a' }, { id: 'b' }, { id: 'c' }]);
  t.same(metricCollection(values, new URLSearchParams('get=c,a,zzz')), [{ id: 'c', value: 'true' }, { id: 'a', value: '1' }]);
  const components = [new Map([['m', 1]]), new Map([['m', 3]]), new Map([['m', 'n/a']])];
  t.same(aggregatedMetrics(components, new URLSearchParams('get=m')), [{ id: 'm', min: 1, max: 3, avg: 2, sum: 4 }], 'non-numeric values are skipped');
  t.same(aggregatedMetrics(components, new URLSearchParams('get=m&agg=SUM')), [{ id: 'm', sum: 4 }]);
  t.throws(() => aggregatedMetrics(components, new URLSearchParams('get=m&agg=median')), /could not parse parameters/);
  t.same([...parseIndexRanges(new URLSearchParams('subtasks=1,3,5-7'), 'subtasks')!], [1, 3, 5, 6, 7]);
  t.throws(() => parseIndexRanges(new URLSearchParams('subtasks=0-99999999'), 'subtasks'));
});

t.test('Prometheus text: scope and groups in the name, variables and key-value groups as labels', async (t) => {
  const text = await renderPrometheus([
    {
      scope: ['taskmanager', 'job', 'task'],
      labels: { tm_id: 'tm-1', job_id: 'j', subtask_index: '0' },
      entries: [
        ['', '', 'numRecordsIn', 5],
        ['', '', 'isBackPressured', false],
        ['Source__Kafka', 'KafkaSourceReader.topic=input.partition=1', 'currentOffset', 7],
        ['', '', 'lastCheckpointExternalPath', 'file:/x'],
      ],
    },
  ]);
  t.match(text, /^flink_taskmanager_job_task_numRecordsIn\{job_id="j",subtask_index="0",tm_id="tm-1"\} 5$/m);
  t.match(text, /^flink_taskmanager_job_task_isBackPressured\{[^}]*\} 0$/m);
  t.match(text, /^flink_taskmanager_job_task_operator_KafkaSourceReader_topic_partition_currentOffset\{job_id="j",operator_name="Source__Kafka",partition="1",subtask_index="0",tm_id="tm-1",topic="input"\} 7$/m);
  t.notMatch(text, /lastCheckpointExternalPath/, 'text values are left out');
});
