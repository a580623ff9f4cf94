import { BadRequestError } from './RestHandlerError.js';

/**
 * A request's JSON object body, whatever its content type (empty means `{}`); anything else is answered with Flink's
 * `Request did not match expected format <RequestBody>.`
 */
export function jsonBody(body: Buffer, requestBody: string): Record<string, unknown> {
  const text = body.toString('utf8').trim();
  if (text === '') return {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new BadRequestError(`Request did not match expected format ${requestBody}.`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new BadRequestError(`Request did not match expected format ${requestBody}.`);
  return json as Record<string, unknown>;
}
