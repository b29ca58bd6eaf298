import { z } from 'zod';
import type { Answer, DeclaredRoute } from './api-router';
import { acceptedSubmission, assignment, course, courseResultRow, issuedToken, labSummary, problem, submissionView, tokenInfo, user, webhookDelivery, webhookEndpoint } from './schemas';

/** Schemas named in components (and referenced by $ref) wherever a route uses exactly them. */
const NAMED: Record<string, z.ZodType> = {
  Submission: submissionView,
  AcceptedSubmission: acceptedSubmission,
  LabSummary: labSummary,
  CourseResultRow: courseResultRow,
  Course: course,
  Assignment: assignment,
  User: user,
  TokenInfo: tokenInfo,
  IssuedToken: issuedToken,
  WebhookEndpoint: webhookEndpoint,
  WebhookDelivery: webhookDelivery,
  Problem: problem,
};

const jsonSchema = (s: z.ZodType, io: 'input' | 'output') => {
  const converted = z.toJSONSchema(s, { target: 'draft-2020-12', unrepresentable: 'any', io }) as Record<string, unknown>;
  delete converted.$schema; // the document's dialect is 3.1's, said once
  return converted;
};
const isZod = (s: unknown): s is z.ZodType => s instanceof z.ZodType;

/** A schema as the document shows it: a $ref for a named one, else inline (zod's own JSON Schema). */
function schemaOf(s: z.ZodType | object, io: 'input' | 'output'): object {
  if (!isZod(s)) return s;
  const name = Object.keys(NAMED).find((n) => NAMED[n] === s);
  return name && io === 'output' ? { $ref: `#/components/schemas/${name}` } : jsonSchema(s, io);
}

const PROBLEM_TEXT: Record<number, string> = {
  400: 'bad request',
  401: 'no valid token or session',
  403: 'not allowed for this role or course',
  404: 'not found (also what is not the caller’s to see)',
  409: 'conflict with the current state',
  413: 'too large',
  415: 'unsupported media type',
  422: 'invalid input: each issue named by field or file:line:col',
};
const problemAnswer = (description: string) => ({ description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } });

function answerOf(answer: Answer | string) {
  const a = typeof answer === 'string' ? { description: answer } : answer;
  const content = {
    ...(a.schema === undefined ? {} : { [a.type ?? 'application/json']: { schema: schemaOf(a.schema, 'output') } }),
    ...Object.fromEntries(Object.entries(a.also ?? {}).map(([type, schema]) => [type, { schema }])),
  };
  return Object.keys(content).length ? { description: a.description, content } : { description: a.description };
}

/** express's `/v1/courses/:id` as OpenAPI's `/v1/courses/{id}`, with its path parameters. */
function openApiPath(path: string): { path: string; names: string[] } {
  const names = [...path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
  return { path: path.replace(/:(\w+)/g, '{$1}'), names };
}

function operationOf(route: DeclaredRoute): object {
  const op = route.operation;
  const authenticated = op.auth !== false;
  const { names } = openApiPath(route.path);
  const responses: Record<string, object> = Object.fromEntries(Object.entries(op.answers).map(([code, a]) => [code, answerOf(a)]));
  for (const code of [...(op.problems ?? []), ...(authenticated ? [401] : [])]) responses[String(code)] ??= problemAnswer(PROBLEM_TEXT[code] ?? 'problem');
  if (route.path.startsWith('/v1/')) {
    responses['429'] = { ...problemAnswer('over a rate limit; see Retry-After'), headers: { 'Retry-After': { schema: { type: 'integer' }, description: 'seconds' } } };
  }
  // every authenticated write under /v1 honours Idempotency-Key (idempotency.ts; submissions.ts for POST /v1/submissions)
  const idempotent = authenticated && route.method !== 'get' && route.path.startsWith('/v1/');
  const idempotencyKey = { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 200 }, description: 'the same key again answers with the first answer' };
  const bodies = { ...(op.body ? { 'application/json': { schema: schemaOf(op.body, 'input') } } : {}), ...Object.fromEntries(Object.entries(op.otherBodies ?? {}).map(([t, s]) => [t, { schema: schemaOf(s, 'input') }])) };
  return {
    summary: op.summary,
    ...(authenticated ? {} : { security: [] }),
    parameters: [...names.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })), ...(op.parameters ?? []).map((p) => ({ required: false, schema: { type: 'string' }, ...p })), ...(idempotent ? [idempotencyKey] : [])],
    ...(Object.keys(bodies).length ? { requestBody: { required: Boolean(op.body) || Object.keys(bodies).length > 0, content: bodies } } : {}),
    responses,
  };
}

/** The OpenAPI 3.1 document of the routes as they are declared (see ApiRouter). */
export function openApiDocument(routes: DeclaredRoute[]): object {
  const paths: Record<string, Record<string, object>> = {};
  for (const route of routes) {
    const { path } = openApiPath(route.path);
    (paths[path] ??= {})[route.method] = operationOf(route);
  }
  return {
    openapi: '3.1.0',
    info: { title: 'kadai', version: '0.1.0', description: 'Automated grading of container and Kubernetes labs' },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, session: { type: 'apiKey', in: 'cookie', name: 'kadai_session' } },
      schemas: Object.fromEntries(Object.entries(NAMED).map(([name, s]) => [name, jsonSchema(s, 'output')])),
    },
    security: [{ bearer: [] }, { session: [] }],
    paths,
  };
}
