import { z } from 'zod';
import { acceptedSubmission, courseResultRow, jsonSubmission, labSummary, problem, scoreOverride, submissionView } from './schemas';

const schema = (s: z.ZodType) => z.toJSONSchema(s, { target: 'draft-2020-12', unrepresentable: 'any', io: 'output' });
const json = (ref: string) => ({ 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } });
const problemResponse = (description: string) => ({ description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } });
/** The problems a /v1 route may answer; any of them may also answer 429 (rate limits). */
const problems = (...codes: number[]) => ({
  ...Object.fromEntries(codes.map((c) => [String(c), problemResponse('problem')])),
  '429': { ...problemResponse('over a rate limit; see Retry-After'), headers: { 'Retry-After': { schema: { type: 'integer' }, description: 'seconds' } } },
});
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };

/** The OpenAPI 3.1 document, generated from the same zod schemas the routes validate with. */
export function openApiDocument(): object {
  return {
    openapi: '3.1.0',
    info: { title: 'kadai', version: '0.1.0', description: 'Automated grading of container and Kubernetes labs' },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        JsonSubmission: schema(jsonSubmission),
        AcceptedSubmission: schema(acceptedSubmission),
        Submission: schema(submissionView),
        LabSummary: schema(labSummary),
        CourseResultRow: schema(courseResultRow),
        Problem: schema(problem),
        ScoreOverride: schema(scoreOverride),
      },
    },
    security: [{ bearer: [] }],
    paths: {
      '/v1/submissions': {
        post: {
          summary: 'Submit lab work (multipart: lab + one zip/tar.gz; or JSON: files map or quiz answers)',
          parameters: [{ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string' } }],
          requestBody: {
            required: true,
            content: {
              ...json('JsonSubmission'),
              'multipart/form-data': { schema: { type: 'object', properties: { lab: { type: 'string' }, archive: { type: 'string', format: 'binary' } }, required: ['lab', 'archive'] } },
            },
          },
          responses: { '202': { description: 'queued', content: json('AcceptedSubmission') }, '200': { description: 'same Idempotency-Key: the earlier submission', content: json('AcceptedSubmission') }, ...problems(400, 401, 403, 404, 409, 413, 415, 422),
            '409': problemResponse("refused by the course's policy: the assignment is not open or past its deadline, no attempts are left, or too many of this student's submissions to the lab ended in error (free errors are capped; an instructor's regrade frees one)") },
        },
      },
      '/v1/submissions/{id}': { get: { summary: 'State, score and per-check feedback', parameters: [idParam], responses: { '200': { description: 'the submission', content: json('Submission') }, ...problems(401, 404) } } },
      '/v1/submissions/{id}/events': { get: { summary: 'Server-Sent Events until a terminal state', parameters: [idParam], responses: { '200': { description: 'text/event-stream of Submission objects, event name = state' }, ...problems(401, 404) } } },
      '/v1/submissions/{id}/regrade': { post: { summary: 'Regrade one submission (instructor, audited)', parameters: [idParam], responses: { '202': { description: 'queued as a new grading run' }, ...problems(401, 403, 404, 409) } } },
      '/v1/submissions/{id}/override': {
        post: {
          summary: "Set a graded submission's score by hand (instructor, audited with the reason)",
          parameters: [idParam],
          requestBody: { required: true, content: json('ScoreOverride') },
          responses: { '200': { description: 'the submission', content: json('Submission') }, ...problems(401, 403, 404, 409, 422) },
        },
      },
      '/v1/assignments/{id}/regrade': { post: { summary: 'Regrade every graded submission of an assignment (instructor, audited)', parameters: [idParam], responses: { '202': { description: 'queued' }, ...problems(401, 403, 404) } } },
      '/v1/labs': { get: { summary: 'The lab catalog', responses: { '200': { description: 'labs', content: { 'application/json': { schema: { type: 'object', properties: { labs: { type: 'array', items: { $ref: '#/components/schemas/LabSummary' } } } } } } }, ...problems(401) } } },
      '/v1/labs/{id}': { get: { summary: 'One lab (a quiz without its key for students)', parameters: [idParam], responses: { '200': { description: 'the lab' }, ...problems(401, 404) } } },
      '/v1/courses/{id}/results': {
        get: {
          summary: 'Class results (instructor, admin, LMS); ?format=csv or Accept: text/csv for CSV',
          parameters: [idParam, { name: 'format', in: 'query', required: false, schema: { enum: ['json', 'csv'] } }],
          responses: { '200': { description: 'one row per student and assignment', content: { 'application/json': { schema: { type: 'object', properties: { course: { type: 'string' }, results: { type: 'array', items: { $ref: '#/components/schemas/CourseResultRow' } } } } }, 'text/csv': { schema: { type: 'string' } } } }, ...problems(401, 403) },
        },
      },
      '/healthz': { get: { security: [], summary: 'Liveness', responses: { '200': { description: 'ok' } } } },
      '/readyz': { get: { security: [], summary: 'Readiness: Postgres and Redis answer, and no worker reports its Docker sandbox limits missing', responses: { '200': { description: 'ready' }, '503': { description: 'not ready' } } } },
      '/metrics': { get: { security: [], summary: 'Prometheus metrics', responses: { '200': { description: 'text exposition format' } } } },
    },
  };
}
