/** A request as a handler sees it: path parameters, query parameters and the raw body. */
export interface HandlerRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  body: Buffer;
  headers: Record<string, string | string[] | undefined>;
}

export interface HandlerResponse {
  status: number;
  /** Serialized as JSON, unless `contentType` is set: then a string or bytes sent as they are. */
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

  match(method: string, path: string): { handler: Handler; params: Record<string, string> } | undefined {
    const segments = splitPath(path);
    for (const route of this.routes) {
      if (route.method !== method || route.segments.length !== segments.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < segments.length && ok; i++) {
        const expected = route.segments[i]!;
        if (expected.startsWith(':')) params[expected.slice(1)] = decodeURIComponent(segments[i]!);
        else ok = expected === segments[i];
      }
      if (ok) return { handler: route.handler, params };
    }
    return undefined;
  }
}

function splitPath(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}
