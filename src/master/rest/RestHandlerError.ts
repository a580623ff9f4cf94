import { TsFlinkError } from '../../common/errors.js';

/** A REST failure with its HTTP status; answered as `{"errors":[message]}` (Flink's RestHandlerException). */
export class RestHandlerError extends TsFlinkError {
  constructor(
    message: string,
    readonly httpStatus: number,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
  }
}

export class NotFoundError extends RestHandlerError {
  constructor(message: string) {
    super(message, 404);
  }
}

export class BadRequestError extends RestHandlerError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, 400, options);
  }
}
