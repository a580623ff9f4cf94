import { BadRequestError } from './RestHandlerError.js';

/** The largest JSON request body read (every request class of the API is a few fields); larger ones are refused. */
export const MAX_JSON_BODY_BYTES = 1_048_576;
/** Jackson's default StreamReadConstraints.maxNestingDepth: deeper documents are refused before they are parsed. */
export const MAX_JSON_NESTING_DEPTH = 1000;

/** The deepest nesting of objects and arrays in a JSON text (brackets inside strings do not count); stops early past the limit. */
function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > deepest) deepest = depth;
      if (deepest > MAX_JSON_NESTING_DEPTH) return deepest;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return deepest;
}

/**
 * A request's JSON object body, whatever its content type (curl's `-d` sends form-urlencoded; empty means `{}`), read
 * field by field with Jackson's leniency (a boolean or number may come as a string, as in the playground's
 * `{"cancel-job":"true"}`). Anything malformed is answered with Flink's `Request did not match expected format <RequestBody>.`
 * and what is wrong; an unknown field is ignored, as Flink does.
 */
export class RequestBody {
  private constructor(
    private readonly json: Record<string, unknown>,
    readonly name: string,
  ) {}

  static parse(body: Buffer, name: string): RequestBody {
    if (body.length > MAX_JSON_BODY_BYTES) {
      throw new BadRequestError(`Request did not match expected format ${name}. The JSON body has ${body.length} bytes, more than the ${MAX_JSON_BODY_BYTES} accepted.`);
    }
    const text = body.toString('utf8').trim();
    if (text === '') return new RequestBody({}, name);
    const depth = nestingDepth(text);
    if (depth > MAX_JSON_NESTING_DEPTH) {
      throw new BadRequestError(`Request did not match expected format ${name}. Document nesting depth (${depth}) exceeds the maximum allowed (${MAX_JSON_NESTING_DEPTH}).`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new BadRequestError(`Request did not match expected format ${name}. The body is not valid JSON: ${(error as Error).message}.`);
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new BadRequestError(`Request did not match expected format ${name}. The body must be a JSON object.`);
    return new RequestBody(json as Record<string, unknown>, name);
  }

  has(field: string): boolean {
    return this.json[field] !== undefined && this.json[field] !== null;
  }

  string(field: string): string | undefined {
    const value = this.json[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') throw this.mismatch(field, 'a string', value);
    return value;
  }

  boolean(field: string): boolean | undefined {
    const value = this.json[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'boolean') return value;
    if (value === 'true' || value === 'false') return value === 'true';
    throw this.mismatch(field, 'a boolean', value);
  }

  /** A positive integer, as a number or a numeric string. */
  positiveInteger(field: string): number | undefined {
    const value = this.json[field];
    if (value === undefined || value === null || value === '') return undefined;
    const number = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isInteger(number) || number < 1) throw this.mismatch(field, 'a positive integer', value);
    return number;
  }

  stringList(field: string): string[] | undefined {
    const value = this.json[field];
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw this.mismatch(field, 'a list of strings', value);
    return value as string[];
  }

  oneOf<T extends string>(field: string, allowed: readonly T[]): T | undefined {
    const value = this.string(field);
    if (value === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(value)) throw this.mismatch(field, `one of ${allowed.join(', ')}`, value);
    return value as T;
  }

  /** A caller-chosen trigger id (Flink 1.15+): 32 lowercase hex characters. */
  triggerId(): string | undefined {
    const value = this.string('triggerId');
    if (value !== undefined && !/^[0-9a-f]{32}$/.test(value)) throw this.mismatch('triggerId', 'a 32-character hex id', value);
    return value;
  }

  private mismatch(field: string, expected: string, value: unknown): BadRequestError {
    const shown = JSON.stringify(value);
    return new BadRequestError(`Request did not match expected format ${this.name}. Field '${field}' must be ${expected}, not ${shown.length > 200 ? `${shown.slice(0, 200)}…` : shown}.`);
  }
}
