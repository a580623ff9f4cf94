// The REST router: which template a method and path match, and the parameters it captures.
import t from 'tap';
import { Router, type Handler } from '../../../../src/master/rest/Router.js';

const handler = (name: string): Handler => Object.assign(() => ({ status: 200, body: name }), { route: name });
const routeOf = (match: ReturnType<Router['match']>) => (match?.handler as unknown as { route: string } | undefined)?.route;

t.test('literal segments win over parameters, whatever the order routes were added in', async (t) => {
  for (const order of [0, 1]) {
    const router = new Router();
    const routes: Array<[string, string]> = [
      ['/jobs/:jobid/vertices/:vertexid/subtasks/:subtaskindex', 'subtask'],
      ['/jobs/:jobid/vertices/:vertexid/subtasks/metrics', 'subtask metrics'],
    ];
    for (const [template, name] of order === 0 ? routes : [...routes].reverse()) router.add('GET', template, handler(name));
    t.equal(routeOf(router.match('GET', '/jobs/j1/vertices/v1/subtasks/metrics')), 'subtask metrics', `order ${order}`);
    t.equal(routeOf(router.match('GET', '/jobs/j1/vertices/v1/subtasks/3')), 'subtask', `order ${order}`);
  }
  const router = new Router().add('GET', '/jobs/:jobid', handler('job')).add('GET', '/jobs/overview', handler('overview'));
  t.equal(routeOf(router.match('GET', '/jobs/overview')), 'overview');
  t.equal(routeOf(router.match('GET', '/jobs/abc')), 'job');
});

t.test('left to right: an earlier literal segment decides first', async (t) => {
  const router = new Router().add('GET', '/:a/literal', handler('param first')).add('GET', '/literal/:b', handler('literal first'));
  t.equal(routeOf(router.match('GET', '/literal/literal')), 'literal first');
});

t.test('parameters are captured by name and URL-decoded', async (t) => {
  const router = new Router().add('GET', '/jobs/:jobid/checkpoints/details/:checkpointid', handler('checkpoint'));
  const match = router.match('GET', '/jobs/abc123/checkpoints/details/42');
  t.equal(routeOf(match), 'checkpoint');
  t.same(match?.params, { jobid: 'abc123', checkpointid: '42' });
  t.same(new Router().add('DELETE', '/jars/:jarid', handler('jar')).match('DELETE', '/jars/a%20b%2Fc.js')?.params, { jarid: 'a b/c.js' });
  t.same(new Router().add('GET', '/overview', handler('o')).match('GET', '/overview')?.params, {}, 'no parameters');
});

t.test('a malformed escape in a parameter is a bad request', async (t) => {
  const router = new Router().add('GET', '/jobs/:jobid', handler('job'));
  t.throws(() => router.match('GET', '/jobs/%E0%A4%A'), { name: 'BadRequestError', httpStatus: 400, message: /'%E0%A4%A' is not a valid URL-encoded path parameter/ });
});

t.test('methods are distinguished; a path whose method has no route is not found', async (t) => {
  const router = new Router()
    .add('GET', '/jobs/:jobid', handler('details'))
    .add('PATCH', '/jobs/:jobid', handler('cancel'))
    .add('POST', '/jars/:jarid/run', handler('run'));
  t.equal(routeOf(router.match('GET', '/jobs/j')), 'details');
  t.equal(routeOf(router.match('PATCH', '/jobs/j')), 'cancel');
  t.equal(router.match('DELETE', '/jobs/j'), undefined);
  t.equal(router.match('GET', '/jars/x/run'), undefined);
  t.equal(routeOf(router.match('POST', '/jars/x/run')), 'run');
});

t.test('unknown paths do not match: other literals, fewer or more segments', async (t) => {
  const router = new Router().add('GET', '/jobs/:jobid/exceptions', handler('exceptions')).add('GET', '/overview', handler('overview'));
  t.equal(router.match('GET', '/jobs/j/plan'), undefined);
  t.equal(router.match('GET', '/jobs/j'), undefined);
  t.equal(router.match('GET', '/jobs/j/exceptions/extra'), undefined);
  t.equal(router.match('GET', '/nope'), undefined);
  t.equal(router.match('GET', '/'), undefined);
  t.equal(routeOf(router.match('GET', '/overview/')), 'overview', 'a trailing slash is the same path');
  t.equal(routeOf(router.match('GET', '//jobs//j/exceptions')), 'exceptions', 'empty segments are ignored');
});
