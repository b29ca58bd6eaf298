import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { z } from 'zod';
import { parseInput } from './validate';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** One documented answer: its description and, when it has a body, the body's schema (or a raw JSON Schema) and media type. */
export interface Answer {
  description: string;
  schema?: z.ZodType | object;
  /** default application/json */
  type?: string;
  /** The same answer in other media types (e.g. text/csv), as raw JSON Schemas. */
  also?: Record<string, object>;
}

/** What a route declares once: the express route and its OpenAPI operation both come from it. */
export interface Operation<B extends z.ZodType | undefined = undefined> {
  summary: string;
  /** false: no token or session needed (health, the LTI launch) */
  auth?: false;
  /** A JSON body: parsed with this schema before the handler runs (422 naming each field otherwise). */
  body?: B;
  /** What the body is, for the error message ("invalid <what>: …"). */
  bodyName?: string;
  /** Request bodies the handler reads itself (multipart, CSV, forms): zod schemas or raw JSON Schemas. */
  otherBodies?: Record<string, z.ZodType | object>;
  /** Query and header parameters, documented as given. */
  parameters?: Array<{ name: string; in: 'query' | 'header'; description?: string; schema?: object }>;
  answers: Record<number, Answer | string>;
  /** Problem answers the route gives (401 and 429 are added for authenticated routes). */
  problems?: number[];
  /** Middleware run before the handler (rate limits, form parsing). */
  before?: RequestHandler[];
}

type Handler<B extends z.ZodType | undefined> = (req: Request, res: Response, body: B extends z.ZodType ? z.output<B> : undefined) => unknown;

export interface DeclaredRoute {
  method: Method;
  /** express form, e.g. /v1/courses/:id */
  path: string;
  operation: Operation<z.ZodType | undefined>;
}

/**
 * An express Router whose every route declares its method, path, body schema and answers once; the
 * OpenAPI document is built from `routes`, so it cannot miss a route or disagree with what the route
 * validates.
 */
export class ApiRouter {
  readonly router = Router();
  readonly routes: DeclaredRoute[] = [];

  get<B extends z.ZodType | undefined = undefined>(path: string, operation: Operation<B>, handler: Handler<B>): void {
    this.add('get', path, operation, handler);
  }
  post<B extends z.ZodType | undefined = undefined>(path: string, operation: Operation<B>, handler: Handler<B>): void {
    this.add('post', path, operation, handler);
  }
  put<B extends z.ZodType | undefined = undefined>(path: string, operation: Operation<B>, handler: Handler<B>): void {
    this.add('put', path, operation, handler);
  }
  patch<B extends z.ZodType | undefined = undefined>(path: string, operation: Operation<B>, handler: Handler<B>): void {
    this.add('patch', path, operation, handler);
  }
  delete<B extends z.ZodType | undefined = undefined>(path: string, operation: Operation<B>, handler: Handler<B>): void {
    this.add('delete', path, operation, handler);
  }

  private add<B extends z.ZodType | undefined>(method: Method, path: string, operation: Operation<B>, handler: Handler<B>): void {
    this.routes.push({ method, path, operation: operation as Operation<z.ZodType | undefined> });
    const schema = operation.body;
    this.router[method](path, ...(operation.before ?? []), async (req, res) => {
      const body = schema === undefined ? undefined : parseInput(schema, req.body, operation.bodyName ?? 'body');
      await handler(req, res, body as Parameters<Handler<B>>[2]);
    });
  }
}
