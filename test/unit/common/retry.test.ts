// The one retry loop and the one poll loop (src/common/retry.ts), with delays of a few milliseconds.
import t from 'tap';
import { TsFlinkError } from '../../../src/common/errors.js';
import { PollTimeoutError, pollUntil, retry, RetryError, RETRIES_EXHAUSTED_MESSAGE } from '../../../src/common/retry.js';

class Flaky extends TsFlinkError {
  constructor(n: number) {
    super(`failure ${n}`, { retriable: true });
  }
}
const retriable = (e: unknown) => e instanceof TsFlinkError && e.retriable;

t.test('succeeds after retriable failures, with delays growing by the multiplier up to the maximum', async (t) => {
  const waits: Array<[string, number, number]> = [];
  let calls = 0;
  const result = await retry(
    async (attempt) => {
      calls++;
      t.equal(attempt, calls, 'the attempt number is passed in');
      if (attempt < 5) throw new Flaky(attempt);
      return 'done';
    },
    { maxAttempts: 5, initialDelayMs: 1, multiplier: 2, maxDelayMs: 3, isRetriable: retriable, onRetry: (e, attempt, delay) => waits.push([(e as Error).message, attempt, delay]) },
  );
  t.equal(result, 'done');
  t.equal(calls, 5);
  t.same(waits, [
    ['failure 1', 1, 1],
    ['failure 2', 2, 2],
    ['failure 3', 3, 3],
    ['failure 4', 4, 3],
  ]);
});

t.test('a failure that is not retriable is rethrown at once, as it is', async (t) => {
  const fatal = new TsFlinkError('fatal');
  let calls = 0;
  const error = await retry(
    async () => {
      calls++;
      throw fatal;
    },
    { maxAttempts: 10, initialDelayMs: 1, isRetriable: retriable },
  ).catch((e: unknown) => e);
  t.equal(error, fatal);
  t.equal(calls, 1);
});

t.test("RetryError with Flink's message and the last failure as cause once maxAttempts are used", async (t) => {
  let calls = 0;
  const error = await retry(
    async () => {
      throw new Flaky(++calls);
    },
    { maxAttempts: 3, initialDelayMs: 0, isRetriable: retriable },
  ).catch((e: unknown) => e);
  t.ok(error instanceof RetryError);
  t.equal((error as Error).message, RETRIES_EXHAUSTED_MESSAGE);
  t.equal(RETRIES_EXHAUSTED_MESSAGE, 'Could not complete the operation. Number of retries has been exhausted.');
  t.equal((error as Error).name, 'RetryError');
  t.match((error as Error).cause, { message: 'failure 3' });
  t.equal(calls, 3);
});

t.test('maxAttempts below 1 still makes one attempt', async (t) => {
  let calls = 0;
  await t.rejects(
    retry(
      async () => {
        throw new Flaky(++calls);
      },
      { maxAttempts: 0, initialDelayMs: 0, isRetriable: retriable },
    ),
    RetryError,
  );
  t.equal(calls, 1);
});

t.test('no attempt starts after the deadline: the last failure is rethrown as it is', async (t) => {
  let calls = 0;
  const started = Date.now();
  const error = await retry(
    async () => {
      throw new Flaky(++calls);
    },
    { maxAttempts: 100, initialDelayMs: 100, deadline: started + 150, isRetriable: retriable },
  ).catch((e: unknown) => e);
  t.ok(error instanceof Flaky, 'not a RetryError');
  t.equal(calls, 2, 'attempts at 0 ms and 100 ms; one at 200 ms would pass the deadline');
  t.ok(Date.now() - started < 1000, 'gave up without waiting for the third attempt');
});

t.test('an aborted signal stops the waiting and rethrows the last failure', async (t) => {
  const abort = new AbortController();
  let calls = 0;
  const started = Date.now();
  setTimeout(() => abort.abort(), 20);
  const error = await retry(
    async () => {
      throw new Flaky(++calls);
    },
    { maxAttempts: 100, initialDelayMs: 10_000, isRetriable: retriable, signal: abort.signal },
  ).catch((e: unknown) => e);
  t.match(error, { message: 'failure 1' });
  t.equal(calls, 1);
  t.ok(Date.now() - started < 5000);
});

t.test('pollUntil probes until a value comes, growing the delay', async (t) => {
  let probes = 0;
  const value = await pollUntil(async () => (++probes < 4 ? undefined : probes), { initialDelayMs: 1, multiplier: 2, maxDelayMs: 4, description: 'the fourth probe' });
  t.equal(value, 4);
  t.equal(await pollUntil(async () => 0, { initialDelayMs: 1000, description: 'a falsy value' }), 0, 'any value but undefined ends the poll at once');
});

t.test('pollUntil: a deadline ends it with PollTimeoutError naming what it waited for; a probe failure ends it as it is', async (t) => {
  const started = Date.now();
  await t.rejects(pollUntil(async () => undefined, { initialDelayMs: 20, deadline: started + 70, description: 'Godot' }), {
    name: 'PollTimeoutError',
    message: 'Timed out waiting for Godot.',
  });
  t.ok(Date.now() - started < 1000);
  const broken = new Error('probe failed');
  await t.rejects(
    pollUntil(
      async () => {
        throw broken;
      },
      { initialDelayMs: 1, description: 'x' },
    ),
    broken,
  );
  const abort = new AbortController();
  setTimeout(() => abort.abort(), 10);
  await t.rejects(pollUntil(async () => undefined, { initialDelayMs: 10_000, description: 'the end', signal: abort.signal }), PollTimeoutError);
});
