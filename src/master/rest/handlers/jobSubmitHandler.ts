import { pathToFileURL } from 'node:url';
import { JobSubmissionError } from '../../dispatcher/Dispatcher.js';
import { InvalidJobFileError, type JarStore } from '../../dispatcher/JarStore.js';
import { parseMultipart } from '../../dispatcher/multipart.js';
import { BadRequestError } from '../RestHandlerError.js';
import { RequestBody } from '../requestBodies.js';
import type { Router } from '../Router.js';
import type { JobManagerServices } from './JobManagerServices.js';

/** The multipart field holding the submission's JSON (Flink's JobSubmitRequestBody travels in `request` too). */
export const SUBMIT_REQUEST_FIELD = 'request';

/**
 * `POST /jobs`: the CLI's submission (Flink's JobSubmitHandler), which `web.submit.enable: false` does not turn off.
 * A multipart form with one job file (the bundled module `flink run` builds, or a TypeScript/JavaScript program) and a
 * JSON part `request`: `{"programArgsList":[…],"parallelism":n,"savepointPath":…,"allowNonRestoredState":bool}`, all
 * optional. The program runs at once and is not kept for the dashboard's /jars list. Answers 202
 * `{"jobUrl":"/jobs/<jobid>"}` as Flink does.
 */
export function registerJobSubmitHandler(router: Router, services: JobManagerServices, programs: JarStore): void {
  router.add('POST', '/jobs', async ({ body, headers }) => {
    let parts;
    try {
      parts = parseMultipart(body, headers['content-type'] as string | undefined);
    } catch (error) {
      throw new BadRequestError(
        `Request did not match expected format JobSubmitRequestBody. ${(error as Error).message} POST /jobs takes the job program file and a \`${SUBMIT_REQUEST_FIELD}\` JSON part (tsflink cannot read a Java-serialized JobGraph).`,
      );
    }
    const requestPart = parts.find((p) => p.name === SUBMIT_REQUEST_FIELD && p.filename === undefined);
    const request = RequestBody.parse(requestPart?.data ?? Buffer.alloc(0), 'JobSubmitRequestBody');
    if (request.has('jobGraphFileName')) {
      throw new BadRequestError(
        'tsflink cannot read a Java-serialized JobGraph. Submit the job program instead: `flink run` of tsflink, or POST /jobs with the program file and a `request` part (docs/security.md).',
      );
    }
    const programArgs = request.stringList('programArgsList') ?? [];
    const parallelism = request.positiveInteger('parallelism');
    const savepointPath = request.string('savepointPath') || undefined;
    const allowNonRestoredState = request.boolean('allowNonRestoredState') ?? false;
    const files = parts.filter((p) => p.filename !== undefined);
    if (files.length !== 1) throw new BadRequestError(`Exactly 1 job file must be sent, received ${files.length}.`);
    let programId: string;
    try {
      programId = (await programs.upload(files[0]!.filename!, files[0]!.data)).id;
    } catch (error) {
      if (error instanceof InvalidJobFileError) throw new BadRequestError(error.message);
      throw error;
    }
    try {
      const jobId = await services.dispatcher.submitProgram({
        name: files[0]!.filename!,
        moduleUrl: pathToFileURL(programs.modulePath(programId)!).href,
        jobModule: programs.moduleCode(programId),
        programArgs,
        parallelism,
        savepoint: savepointPath === undefined ? undefined : { path: savepointPath, allowNonRestoredState },
      });
      return { status: 202, body: { jobUrl: `/jobs/${jobId}` } };
    } catch (error) {
      if (error instanceof JobSubmissionError) throw new BadRequestError(error.message, { cause: error });
      throw error;
    } finally {
      programs.delete(programId);
    }
  });
}
