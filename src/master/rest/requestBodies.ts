import { BadRequestError } from './RestHandlerError.js';

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
    const text = body.toString('utf8').trim();
    if (text === '') return new RequestBody({}, name);
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
    return new BadRequestError(`Request did not match expected format ${this.name}. Field '${field}' must be ${expected}, not ${JSON.stringify(value)}.`);
  }
}
