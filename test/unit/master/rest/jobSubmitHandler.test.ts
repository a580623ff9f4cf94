// POST /jobs, the CLI's submission: a multipart form with the program and a `request` JSON part.
import t from 'tap';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JarStore } from '../../../../src/master/dispatcher/JarStore.js';
import { JobSubmissionError, type ProgramSubmission } from '../../../../src/master/dispatcher/Dispatcher.js';
import type { JobManagerServices } from '../../../../src/master/rest/handlers/JobManagerServices.js';
import { registerJobSubmitHandler } from '../../../../src/master/rest/handlers/jobSubmitHandler.js';
import { Router } from '../../../../src/master/rest/Router.js';

const dir = mkdtempSync(join(tmpdir(), 'tsflink-submit-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

function multipart(parts: Array<{ name: string; filename?: string; data: string }>): { body: Buffer; contentType: string } {
  const boundary = 'b0undary';
  const text = parts
    .map((p) => `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"${p.filename ? `; filename="${p.filename}"` : ''}\r\n\r\n${p.data}\r\n`)
    .join('');
  return { body: Buffer.from(`${text}--${boundary}--\r\n`), contentType: `multipart/form-data; boundary=${boundary}` };
}

function endpoint(submit: (program: ProgramSubmission) => Promise<string>) {
  const store = new JarStore(join(dir, 'submissions'));
  const router = new Router();
  registerJobSubmitHandler(router, { dispatcher: { submitProgram: submit } } as unknown as JobManagerServices, store);
  const match = router.match('POST', '/jobs')!;
  return {
    store,
    post: async ({ body, contentType }: { body: Buffer; contentType: string }) => match.handler({ params: {}, query: new URLSearchParams(), body, headers: { 'content-type': contentType } }),
  };
}

t.test('the program is bundled and submitted with the request part; the answer is 202 with the job URL; nothing is kept', async (t) => {
  const submitted: ProgramSubmission[] = [];
  const { post, store } = endpoint(async (program) => {
    submitted.push(program);
    return 'ab'.repeat(16);
  });
  const response = await post(
    multipart([
      { name: 'request', data: JSON.stringify({ programArgsList: ['--a', 'b c'], parallelism: 2, savepointPath: '/sp', allowNonRestoredState: true }) },
      { name: 'file_0', filename: 'Job.ts', data: 'const n: number = 1; export default n;' },
    ]),
  );
  t.same(response, { status: 202, body: { jobUrl: `/jobs/${'ab'.repeat(16)}` } });
  t.equal(submitted.length, 1);
  t.match(submitted[0], { name: 'Job.ts', programArgs: ['--a', 'b c'], parallelism: 2, savepoint: { path: '/sp', allowNonRestoredState: true } });
  t.match(submitted[0]!.jobModule.toString(), /export/);
  t.same(store.list(), [], 'the program is not listed for the dashboard');
  t.same(readdirSync(store.directory).filter((f) => f !== 'node_modules'), [], 'nor kept');
});

t.test('defaults without a request part; refusals are 400 in Flink words', async (t) => {
  const submitted: ProgramSubmission[] = [];
  const { post } = endpoint(async (program) => {
    submitted.push(program);
    if (program.programArgs.includes('--fail')) throw new JobSubmissionError('Could not run the job program job.js: boom');
    return 'cd'.repeat(16);
  });
  t.same((await post(multipart([{ name: 'file_0', filename: 'job.js', data: 'export default 1;' }]))).status, 202);
  t.match(submitted[0], { programArgs: [], parallelism: undefined, savepoint: undefined });
  await t.rejects(post({ body: Buffer.from('{}'), contentType: 'application/x-www-form-urlencoded' }), { httpStatus: 400, message: /cannot read a Java-serialized JobGraph/ });
  await t.rejects(post(multipart([{ name: 'request', data: '{"jobGraphFileName":"graph.bin","jobJarFileNames":[]}' }, { name: 'file_0', filename: 'graph.bin', data: 'x' }])), {
    httpStatus: 400,
    message: /cannot read a Java-serialized JobGraph/,
  });
  await t.rejects(post(multipart([{ name: 'request', data: '{}' }])), { httpStatus: 400, message: 'Exactly 1 job file must be sent, received 0.' });
  await t.rejects(post(multipart([{ name: 'file_0', filename: 'job.jar', data: 'PK' }])), { httpStatus: 400, message: /Only TypeScript or JavaScript job files/ });
  await t.rejects(post(multipart([{ name: 'request', data: '{"parallelism":0}' }, { name: 'file_0', filename: 'job.js', data: '1' }])), {
    httpStatus: 400,
    message: /Request did not match expected format JobSubmitRequestBody. Field 'parallelism' must be a positive integer/,
  });
  await t.rejects(post(multipart([{ name: 'request', data: '{"programArgsList":["--fail"]}' }, { name: 'file_0', filename: 'job.js', data: 'export default 1;' }])), {
    httpStatus: 400,
    message: 'Could not run the job program job.js: boom',
  });
});
