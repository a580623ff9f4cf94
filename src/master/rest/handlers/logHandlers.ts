import { LogFileLocation, readLogFile } from '../../../common/process/LogFileLocation.js';
import type { LogFileRequest, TaskExecutorGateway } from '../../../taskmanager/TaskExecutorGateway.js';
import { NotFoundError, RestHandlerError } from '../RestHandlerError.js';
import type { HandlerResponse, Router } from '../Router.js';
import type { JobManagerServices } from './JobManagerServices.js';

const TEXT_TYPE = 'text/plain; charset=UTF-8';
/** rest.server.max-content-length's default. Flink serves whole files; a longer one is answered with its last bytes (streamed, never held whole). */
const MAX_FILE_BYTES = 104_857_600;
/** Flink's TaskManagerStdoutFileHandler answers a missing stdout file with this text and 200. */
const STDOUT_NOT_FOUND_INFO =
  'The file STDOUT does not exist on the TaskExecutor. \nIf you are using kubernetes mode, please use "kubectl logs <pod-name>" to get stdout content.';

/**
 * The log files of the JobManager and of each TaskManager: GET /jobmanager/logs, /jobmanager/log, /jobmanager/stdout,
 * /jobmanager/logs/:filename and the same under /taskmanagers/:taskmanagerid, fetched from that TaskExecutor.
 */
export function registerLogHandlers(router: Router, services: JobManagerServices): void {
  const { resourceManager } = services;
  const logFiles = services.logFile === undefined ? undefined : new LogFileLocation(services.logFile);

  const jobManagerFile = async (name: string | undefined): Promise<HandlerResponse> => {
    const handle = name === undefined ? undefined : await logFiles?.open(name);
    if (!handle) throw new NotFoundError('This file does not exist in JobManager log dir.');
    return text(readLogFile(handle, MAX_FILE_BYTES));
  };
  router.add('GET', '/jobmanager/logs', async () => ({ status: 200, body: { logs: (await logFiles?.listLogs()) ?? [] } }));
  router.add('GET', '/jobmanager/log', () => jobManagerFile(logFiles?.fileName('LOG')));
  router.add('GET', '/jobmanager/stdout', () => jobManagerFile(logFiles?.fileName('STDOUT')));
  router.add('GET', '/jobmanager/logs/:filename', ({ params }) => jobManagerFile(params.filename!));

  const taskExecutor = (taskManagerId: string, unknownMessage: string): TaskExecutorGateway => {
    const taskManager = resourceManager.getTaskManager(taskManagerId);
    if (!taskManager) throw new NotFoundError(unknownMessage);
    return taskManager.gateway;
  };
  const taskManagerFile = async (taskManagerId: string, file: LogFileRequest, onNotFound?: () => HandlerResponse): Promise<HandlerResponse> => {
    const gateway = taskExecutor(taskManagerId, `Failed to transfer file from TaskExecutor ${taskManagerId} because it was unknown.`);
    let content: AsyncIterable<Uint8Array> | undefined;
    try {
      content = await gateway.requestFileUpload(file, MAX_FILE_BYTES);
    } catch (error) {
      throw new RestHandlerError(`Failed to transfer file from TaskExecutor ${taskManagerId}.`, 500, { cause: error });
    }
    // Streamed to the client as the chunks arrive; the first has arrived already (or the file is empty).
    if (content) return text(content);
    if (onNotFound) return onNotFound();
    throw new RestHandlerError(`The file ${'name' in file ? file.name : file.type} does not exist on the TaskExecutor.`, 404);
  };
  router.add('GET', '/taskmanagers/:taskmanagerid/logs', async ({ params }) => {
    const taskManagerId = params.taskmanagerid!;
    const gateway = taskExecutor(taskManagerId, `Could not find TaskExecutor ${taskManagerId}.`);
    try {
      return { status: 200, body: { logs: await gateway.requestLogList() } };
    } catch (error) {
      throw new RestHandlerError('Could not find any file.', 404, { cause: error });
    }
  });
  router.add('GET', '/taskmanagers/:taskmanagerid/log', ({ params }) => taskManagerFile(params.taskmanagerid!, { type: 'LOG' }));
  router.add('GET', '/taskmanagers/:taskmanagerid/stdout', ({ params }) => taskManagerFile(params.taskmanagerid!, { type: 'STDOUT' }, () => text(STDOUT_NOT_FOUND_INFO)));
  router.add('GET', '/taskmanagers/:taskmanagerid/logs/:filename', ({ params }) => taskManagerFile(params.taskmanagerid!, { name: params.filename! }));
}

function text(body: AsyncIterable<Uint8Array> | string): HandlerResponse {
  return { status: 200, body, contentType: TEXT_TYPE };
}
