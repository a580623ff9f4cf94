import { pathToFileURL } from 'node:url';
import { randomHex } from '../../../common/ids.js';
import { jsonPlan } from '../../../graph/JsonPlan.js';
import { JobSubmissionError } from '../../dispatcher/Dispatcher.js';
import { InvalidJobFileError, type JarStore } from '../../dispatcher/JarStore.js';
import { parseMultipart } from '../../dispatcher/multipart.js';
import { BadRequestError, NotFoundError } from '../RestHandlerError.js';
import { RequestBody } from '../requestBodies.js';
import type { HandlerRequest, Router } from '../Router.js';
import type { JobManagerServices } from './JobManagerServices.js';

/** The web submission endpoints: POST /jars/upload, GET /jars, DELETE /jars/:jarid, POST /jars/:jarid/run. */
export function registerJarHandlers(router: Router, services: JobManagerServices, jars: JarStore, restAddress: () => string): void {
  router.add('POST', '/jars/upload', async ({ body, headers }) => {
    let parts;
    try {
      parts = parseMultipart(body, headers['content-type'] as string | undefined);
    } catch (error) {
      throw new BadRequestError(`Bad request: ${(error as Error).message}`);
    }
    const files = parts.filter((p) => p.filename !== undefined);
    if (files.length !== 1) throw new BadRequestError(`Exactly 1 file must be sent, received ${files.length}.`);
    try {
      const jar = await jars.upload(files[0]!.filename!, files[0]!.data);
      return { status: 200, body: { filename: `${jars.directory}/${jar.id}`, status: 'success' } };
    } catch (error) {
      if (error instanceof InvalidJobFileError) throw new BadRequestError(error.message);
      throw error;
    }
  });

  router.add('GET', '/jars', () => ({
    status: 200,
    body: {
      address: restAddress(),
      files: jars.list().map((jar) => ({ id: jar.id, name: jar.name, uploaded: jar.uploaded, entry: [{ name: 'main', description: null }] })),
    },
  }));

  router.add('DELETE', '/jars/:jarid', ({ params }) => {
    if (!jars.delete(params.jarid!)) throw new BadRequestError(`Jar file ${params.jarid} does not exist`);
    return { status: 200, body: {} };
  });

  // The plan a program would run as (Flink's JarPlanHandler; GET was removed after 1.15, so POST only).
  router.add('POST', '/jars/:jarid/plan', async (request) => {
    const jarId = request.params.jarid!;
    const modulePath = jars.modulePath(jarId);
    if (!modulePath) throw new NotFoundError(`Jar file ${jarId} does not exist`);
    const { programArgs, parallelism } = runRequest(request);
    try {
      const { jobGraph } = await services.dispatcher.compile({ name: jarId, moduleUrl: pathToFileURL(modulePath).href, programArgs, parallelism });
      return { status: 200, body: { plan: jsonPlan(randomHex(16), jobGraph) } };
    } catch (error) {
      if (error instanceof JobSubmissionError) throw new BadRequestError(error.message, { cause: error });
      throw error;
    }
  });

  router.add('POST', '/jars/:jarid/run', async (request) => {
    const jarId = request.params.jarid!;
    const modulePath = jars.modulePath(jarId);
    if (!modulePath) throw new NotFoundError(`Jar file ${jarId} does not exist`);
    const { programArgs, parallelism, savepointPath, allowNonRestoredState } = runRequest(request);
    let jobId: string;
    try {
      jobId = await services.dispatcher.submitProgram({
        name: jarId,
        moduleUrl: pathToFileURL(modulePath).href,
        jobModule: jars.moduleCode(jarId),
        programArgs,
        parallelism,
        savepoint: savepointPath === undefined ? undefined : { path: savepointPath, allowNonRestoredState },
      });
    } catch (error) {
      if (error instanceof JobSubmissionError) throw new BadRequestError(error.message, { cause: error });
      throw error;
    }
    return { status: 200, body: { jobid: jobId } };
  });
}

/** The run request: JSON body (whatever its content type; empty means `{}`), with query parameters as fallback. */
function runRequest({ body, query }: HandlerRequest): { programArgs: string[]; parallelism: number | undefined; savepointPath: string | undefined; allowNonRestoredState: boolean } {
  const json = RequestBody.parse(body, 'JarRunRequestBody');
  json.string('entryClass');
  json.oneOf('restoreMode', ['CLAIM', 'NO_CLAIM', 'LEGACY'] as const);
  let programArgs: string[] = [];
  const list = json.stringList('programArgsList');
  const line = json.string('programArgs');
  if (list) programArgs = list;
  else if (line !== undefined) programArgs = tokenize(line);
  else if (query.getAll('programArg').length > 0) programArgs = query.getAll('programArg').flatMap((a) => a.split(','));
  else if (query.get('program-args')) programArgs = tokenize(query.get('program-args')!);
  let parallelism = json.positiveInteger('parallelism');
  const queryParallelism = query.get('parallelism');
  if (parallelism === undefined && queryParallelism) {
    parallelism = Number(queryParallelism);
    if (!Number.isInteger(parallelism) || parallelism < 1) throw new BadRequestError(`Bad request, could not parse parameters: parallelism '${queryParallelism}' is not a positive integer.`);
  }
  const savepointPath = json.string('savepointPath') || query.get('savepointPath') || undefined;
  const allowNonRestoredState = json.boolean('allowNonRestoredState') ?? query.get('allowNonRestoredState') === 'true';
  return { programArgs, parallelism, savepointPath, allowNonRestoredState };
}

/** Splits a command line as a shell would for plain words and quotes: `--a "b c" 'd'` → [--a, b c, d]. */
export function tokenize(line: string): string[] {
  const tokens: string[] = [];
  const pattern = /"((?:\\.|[^"\\])*)"|'([^']*)'|(\S+)/g;
  for (const m of line.matchAll(pattern)) tokens.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? m[3]!));
  return tokens;
}
