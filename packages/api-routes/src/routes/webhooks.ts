import {
  audit,
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  endpointOfDelivery,
  getWebhookEndpoint,
  listWebhookDeliveries,
  listWebhookEndpoints,
  redeliver,
  rotateWebhookSecret,
  setWebhookEndpointDisabled,
  type WebhookEndpoint,
} from '@kadai/db';
import { checkWebhookUrl, newWebhookSecret } from '@kadai/webhooks';
import { type Request } from 'express';
import { z } from 'zod';
import { ApiRouter } from '../api-router';
import { managedCourse } from '../course-access';
import type { ApiDeps } from '../deps';
import { HttpProblem, UUID } from '../problem';
import { webhookDelivery, webhookEndpoint, webhookEndpointCreate, webhookSecret } from '../schemas';

/** After a rotation the previous secret keeps signing this long, so receivers switch without a gap. */
const ROTATION_GRACE_MS = 24 * 60 * 60 * 1000;

/**
 * A course's webhook endpoints (its instructors, admins, the LMS): register, list, rotate the secret,
 * disable/enable, remove; each endpoint's delivery log and manual redelivery. Registering checks the
 * URL against the policy (no private address unless allowed, never kadai itself, http(s) only);
 * the delivery process checks it again on every connection.
 */
export function webhookRoutes(deps: ApiDeps): ApiRouter {
  const api = new ApiRouter();

  const managedEndpoint = async (req: Request): Promise<{ endpoint: WebhookEndpoint; userId: string }> => {
    const id = String(req.params.id);
    const endpoint = UUID.test(id) ? await getWebhookEndpoint(deps.db, id) : undefined;
    if (!endpoint) throw new HttpProblem(404, 'Not found', `no webhook ${id}`);
    const { principal } = await managedCourse(deps, req, endpoint.courseId);
    return { endpoint, userId: principal.userId };
  };

  const withSecret = webhookEndpoint.extend(webhookSecret.shape);
  const register = {
    summary: 'Register a webhook endpoint of a course (URL checked: http(s), not kadai, no private address unless allowed)',
    body: webhookEndpointCreate,
    bodyName: 'webhook',
    answers: { 201: { description: 'registered; the secret is shown only now', schema: withSecret } },
    problems: [403, 404, 422],
  };
  api.post('/v1/courses/:id/webhooks', register, async (req, res, body) => {
    const { course, principal } = await managedCourse(deps, req, String(req.params.id));
    const url = await checkWebhookUrl(body.url, deps.webhookPolicy);
    const secret = newWebhookSecret();
    const endpoint = await createWebhookEndpoint(deps.db, { courseId: course.id, url: url.href, events: [...new Set(body.events)], secret, createdBy: principal.userId });
    await audit(deps.db, principal.userId, 'webhook-create', `webhook:${endpoint.id}`, { course: course.id, url: url.href, events: endpoint.events });
    res.status(201).location(`/v1/webhooks/${endpoint.id}`).json({ ...endpoint, secret, previousSecretValidUntil: null });
  });

  const endpoints = z.object({ course: z.string(), webhooks: z.array(webhookEndpoint) });
  api.get('/v1/courses/:id/webhooks', { summary: "A course's webhook endpoints", answers: { 200: { description: 'endpoints', schema: endpoints } }, problems: [403, 404] }, async (req, res) => {
    const { course } = await managedCourse(deps, req, String(req.params.id));
    res.json({ course: course.id, webhooks: await listWebhookEndpoints(deps.db, course.id) });
  });

  const theEndpoint = { 200: { description: 'the endpoint', schema: webhookEndpoint } };
  api.get('/v1/webhooks/:id', { summary: 'One webhook endpoint', answers: theEndpoint, problems: [403, 404] }, async (req, res) => {
    res.json((await managedEndpoint(req)).endpoint);
  });

  api.delete('/v1/webhooks/:id', { summary: 'Remove a webhook endpoint and its delivery log', answers: { 204: 'removed' }, problems: [403, 404] }, async (req, res) => {
    const { endpoint, userId } = await managedEndpoint(req);
    await deleteWebhookEndpoint(deps.db, endpoint.id);
    await audit(deps.db, userId, 'webhook-delete', `webhook:${endpoint.id}`, { course: endpoint.courseId, url: endpoint.url });
    res.status(204).end();
  });

  const rotate = { summary: 'A new signing secret; the previous one keeps signing for a day', answers: { 200: { description: 'the new secret, shown only now', schema: webhookSecret } }, problems: [403, 404] };
  api.post('/v1/webhooks/:id/rotate-secret', rotate, async (req, res) => {
    const { endpoint, userId } = await managedEndpoint(req);
    const secret = newWebhookSecret();
    await rotateWebhookSecret(deps.db, endpoint.id, secret, ROTATION_GRACE_MS);
    await audit(deps.db, userId, 'webhook-rotate-secret', `webhook:${endpoint.id}`);
    res.json({ secret, previousSecretValidUntil: new Date(Date.now() + ROTATION_GRACE_MS).toISOString() });
  });

  for (const [action, disabled] of [['disable', true], ['enable', false]] as const) {
    const summary = disabled ? 'Stop sending to an endpoint' : 'Send to an endpoint again (also after a 410 Gone)';
    api.post(`/v1/webhooks/:id/${action}`, { summary, answers: theEndpoint, problems: [403, 404] }, async (req, res) => {
      const { endpoint, userId } = await managedEndpoint(req);
      await setWebhookEndpointDisabled(deps.db, endpoint.id, disabled ? `disabled by ${req.principal?.login}` : null);
      await audit(deps.db, userId, `webhook-${action}`, `webhook:${endpoint.id}`);
      res.json(await getWebhookEndpoint(deps.db, endpoint.id));
    });
  }

  const deliveries = {
    summary: "An endpoint's delivery log, newest first, each with its attempts",
    parameters: [{ name: 'limit', in: 'query' as const, schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } }],
    answers: { 200: { description: 'deliveries', schema: z.object({ webhook: z.uuid(), deliveries: z.array(webhookDelivery) }) } },
    problems: [403, 404],
  };
  api.get('/v1/webhooks/:id/deliveries', deliveries, async (req, res) => {
    const { endpoint } = await managedEndpoint(req);
    const limit = Math.min(Math.max(Number(req.query.limit ?? 100) || 100, 1), 1000);
    res.json({ webhook: endpoint.id, deliveries: await listWebhookDeliveries(deps.db, endpoint.id, limit) });
  });

  const redelivered = { 202: { description: 'queued again', schema: z.object({ delivery: z.uuid(), state: z.literal('pending') }) } };
  api.post('/v1/webhooks/:id/deliveries/:delivery/redeliver', { summary: 'Send a delivery again (same webhook-id)', answers: redelivered, problems: [403, 404, 409] }, async (req, res) => {
    const { endpoint, userId } = await managedEndpoint(req);
    const deliveryId = String(req.params.delivery);
    if (!UUID.test(deliveryId) || (await endpointOfDelivery(deps.db, deliveryId)) !== endpoint.id) throw new HttpProblem(404, 'Not found', `no delivery ${deliveryId} of webhook ${endpoint.id}`);
    if (!(await redeliver(deps.db, deliveryId))) throw new HttpProblem(409, 'Conflict', `delivery ${deliveryId} is being sent right now`);
    await audit(deps.db, userId, 'webhook-redeliver', `webhook-delivery:${deliveryId}`, { webhook: endpoint.id });
    res.status(202).json({ delivery: deliveryId, state: 'pending' });
  });

  return api;
}
