import t from 'tap';
import { AsyncOperations } from '../../../../src/master/rest/AsyncOperations.js';

t.test('asynchronous operations are bounded: the oldest finished result goes first, and with none finished a trigger is refused', async (t) => {
  const operations = new AsyncOperations(2);
  let finishFirst!: () => void;
  operations.start('k', () => new Promise((resolve) => (finishFirst = () => resolve({ done: 1 }))), 'a');
  operations.start('k', () => new Promise(() => undefined), 'b');
  t.throws(() => operations.start('k', async () => ({}), 'c'), { message: 'Too many asynchronous operations are running (2); try again later.', httpStatus: 503 });
  finishFirst();
  await new Promise((resolve) => setImmediate(resolve));
  t.same(operations.status('k', 'a'), { status: { id: 'COMPLETED' }, operation: { done: 1 } });
  operations.start('k', async () => ({}), 'c');
  t.equal(operations.status('k', 'a'), undefined, 'the finished one made room');
  t.same(operations.status('k', 'b'), { status: { id: 'IN_PROGRESS' }, operation: null });
});
