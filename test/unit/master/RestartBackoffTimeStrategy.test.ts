import t from 'tap';
import { Configuration } from '../../../src/common/config/Configuration.js';
import { createRestartBackoffTimeStrategy } from '../../../src/master/scheduler/failover/RestartBackoffTimeStrategy.js';

t.test('defaults: no restart without checkpointing, exponential delay with it (Flink 1.20)', async (t) => {
  const none = createRestartBackoffTimeStrategy(new Configuration(), false);
  none.notifyFailure(0);
  t.notOk(none.canRestart());
  const exponential = createRestartBackoffTimeStrategy(new Configuration().setString('restart-strategy.exponential-delay.jitter-factor', '0'), true);
  const delays: number[] = [];
  for (let i = 0; i < 12; i++) {
    exponential.notifyFailure(i * 1000);
    t.ok(exponential.canRestart());
    delays.push(exponential.getBackoffTime());
  }
  t.same(delays.slice(0, 4), [1000, 1500, 2250, 3375], 'starts at 1 s, × 1.5 per failure');
  t.equal(delays.at(-1), 60_000, 'capped at 1 min');
  exponential.notifyFailure(12_000 + 3_600_000);
  t.equal(exponential.getBackoffTime(), 1000, 'reset after an hour without failures');
});

t.test('fixed-delay and failure-rate count what the keys say', async (t) => {
  const fixed = createRestartBackoffTimeStrategy(
    new Configuration().setString('restart-strategy.type', 'fixed-delay').setString('restart-strategy.fixed-delay.attempts', '2').setString('restart-strategy.fixed-delay.delay', '5 s'),
    true,
  );
  const allowed = [1, 2, 3].map((i) => (fixed.notifyFailure(i), fixed.canRestart()));
  t.same(allowed, [true, true, false]);
  t.equal(fixed.getBackoffTime(), 5000);
  const rate = createRestartBackoffTimeStrategy(new Configuration().setString('restart-strategy', 'failure-rate').setString('restart-strategy.failure-rate.max-failures-per-interval', '2'), false);
  rate.notifyFailure(0);
  rate.notifyFailure(1000);
  t.ok(rate.canRestart());
  rate.notifyFailure(2000);
  t.notOk(rate.canRestart(), 'three failures within a minute');
  rate.notifyFailure(200_000);
  t.ok(rate.canRestart(), 'old failures fall out of the interval');
  t.throws(() => createRestartBackoffTimeStrategy(new Configuration().setString('restart-strategy.type', 'sometimes'), true), { message: /Unknown restart strategy 'sometimes'/ });
});
