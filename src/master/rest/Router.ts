import { BadRequestError } from './RestHandlerError.js';

/** A request as a handler sees it: path parameters, query parameters and the raw body. */
export interface HandlerRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  body: Buffer;
  headers: Record<string, string | string[] | undefined>;
}

export interface HandlerResponse {
  status: number;
  /**
   * Serialized as JSON, unless `contentType` is set: then a string or bytes sent as they are, or an async iterable of
   * byte chunks streamed with backpressure (a log file, never held whole).
   */
  body: unknown;
  contentType?: string;
}

export type Handler = (request: HandlerRequest) => HandlerResponse | Promise<HandlerResponse>;

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

interface Route {
  method: HttpMethod;
  segments: string[];
  handler: Handler;
}

/**
 * Matches `METHOD /a/:param/b` templates against request paths. Like Flink's router, a path whose method has no route
 * is not found (there is no 405).
 */
export class Router {
  private readonly routes: Route[] = [];

  add(method: HttpMethod, template: string, handler: Handler): this {
    this.routes.push({ method, segments: splitPath(template), handler });
    return this;
  }

  /**
   * The route for a request. Where several templates match, literal segments win over parameters, left to right
   * (`/subtasks/metrics` over `/subtasks/:subtaskindex`), whatever the order routes were added in.
   */
  match(method: string, path: string): { handler: Handler; params: Record<string, string> } | undefined {
    const segments = splitPath(path);
    let best: Route | undefined;
    for (const route of this.routes) {
      if (route.method !== method || route.segments.length !== segments.length) continue;
      if (!route.segments.every((expected, i) => expected.startsWith(':') || expected === segments[i])) continue;
      if (!best || moreSpecific(route, best)) best = route;
    }
    if (!best) return undefined;
    const params: Record<string, string> = {};
    best.segments.forEach((expected, i) => {
      if (expected.startsWith(':')) params[expected.slice(1)] = decodeParameter(segments[i]!);
    });
    return { handler: best.handler, params };
  }
}

function moreSpecific(a: Route, b: Route): boolean {
  for (let i = 0; i < a.segments.length; i++) {
    const aParam = a.segments[i]!.startsWith(':');
    const bParam = b.segments[i]!.startsWith(':');
    if (aParam !== bParam) return bParam;
  }
  return false;
}

function splitPath(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

function decodeParameter(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new BadRequestError(`Bad request, could not parse parameters: '${segment}' is not a valid URL-encoded path parameter.`);
  }
}
