import { audit, createUser, getTokenInfo, getUserByLogin, issueToken, listTokens, listUsers, revokeToken, rotateToken, updateUser, type Principal, type TokenInfo } from '@kadai/db';
import { type Request } from 'express';
import { z } from 'zod';
import { ApiRouter } from '../api-router';
import { principalOf, requireRole } from '../auth';
import type { ApiDeps } from '../deps';
import { HttpProblem, UUID } from '../problem';
import { issuedToken, tokenCreate, tokenInfo, user, userCreate, userPatch } from '../schemas';

/** The LMS provisions students and instructors; only an admin makes admins or LMS users. */
function mayCreateRole(principal: Principal, role: string): boolean {
  return principal.role === 'admin' || (principal.role === 'lms' && (role === 'student' || role === 'instructor'));
}

/**
 * Users and their API tokens. Admins manage everyone; the LMS creates students and instructors;
 * every user sees, issues, revokes and rotates their own tokens. A token is shown once, when issued.
 */
export function userRoutes(deps: ApiDeps): ApiRouter {
  const api = new ApiRouter();

  /** A token the caller may manage: their own, or anyone's for an admin. Others are 404 (nothing learnt). */
  const ownToken = async (req: Request): Promise<{ token: TokenInfo; principal: Principal }> => {
    const principal = principalOf(req);
    const id = String(req.params.id);
    const token = UUID.test(id) ? await getTokenInfo(deps.db, id) : undefined;
    if (!token || (principal.role !== 'admin' && token.userId !== principal.userId)) throw new HttpProblem(404, 'Not found', `no token ${id}`);
    return { token, principal };
  };

  const me = z.object({ userId: z.uuid(), login: z.string(), role: z.enum(['student', 'instructor', 'admin', 'lms']) }).loose();
  api.get('/v1/me', { summary: 'Who the token or session belongs to', answers: { 200: { description: 'the caller', schema: me } } }, (req, res) => {
    res.json(principalOf(req));
  });

  const listing = {
    summary: 'Users (admin, LMS), by login',
    parameters: [
      { name: 'role', in: 'query' as const, schema: { enum: ['student', 'instructor', 'admin', 'lms'] } },
      { name: 'limit', in: 'query' as const, schema: { type: 'integer', minimum: 1, maximum: 5000, default: 1000 } },
      { name: 'offset', in: 'query' as const, schema: { type: 'integer', minimum: 0, default: 0 } },
    ],
    answers: { 200: { description: 'users', schema: z.object({ users: z.array(user) }) } },
    problems: [400, 403],
  };
  api.get('/v1/users', listing, async (req, res) => {
    requireRole(req, 'admin', 'lms');
    const role = typeof req.query.role === 'string' ? req.query.role : undefined;
    if (role && !['student', 'instructor', 'admin', 'lms'].includes(role)) throw new HttpProblem(400, 'Bad request', `unknown role ${role}`);
    const limit = Math.min(Math.max(Number(req.query.limit ?? 1000) || 1000, 1), 5000);
    const offset = Math.max(Number(req.query.offset ?? 0) || 0, 0);
    res.json({ users: await listUsers(deps.db, { ...(role ? { role: role as Principal['role'] } : {}), limit, offset }) });
  });

  const created = { summary: 'Create a user (admin; the LMS creates students and instructors)', body: userCreate, bodyName: 'user', answers: { 201: { description: 'created', schema: user } }, problems: [403, 409, 422] };
  api.post('/v1/users', created, async (req, res, body) => {
    const principal = requireRole(req, 'admin', 'lms');
    if (!mayCreateRole(principal, body.role)) throw new HttpProblem(403, 'Forbidden', `only an admin creates ${body.role} users`);
    const user = await createUser(deps.db, body.login, body.displayName, body.role);
    if (!user) throw new HttpProblem(409, 'Conflict', `user ${body.login} exists`);
    await audit(deps.db, principal.userId, 'user-create', `user:${user.login}`, { role: user.role });
    res.status(201).location(`/v1/users/${user.login}`).json(user);
  });

  api.get('/v1/users/:login', { summary: 'One user (admin, LMS, or oneself)', answers: { 200: { description: 'the user', schema: user } }, problems: [403, 404] }, async (req, res) => {
    const principal = principalOf(req);
    const login = String(req.params.login);
    if (principal.role !== 'admin' && principal.role !== 'lms' && principal.login !== login) throw new HttpProblem(403, 'Forbidden', 'you may look up only yourself');
    const user = await getUserByLogin(deps.db, login);
    if (!user) throw new HttpProblem(404, 'Not found', `no user ${login}`);
    res.json(user);
  });

  const changed = { summary: "Change a user's name or role (admin)", body: userPatch, bodyName: 'user change', answers: { 200: { description: 'the user', schema: user } }, problems: [403, 404, 422] };
  api.patch('/v1/users/:login', changed, async (req, res, change) => {
    const principal = requireRole(req, 'admin');
    const user = await updateUser(deps.db, String(req.params.login), change);
    if (!user) throw new HttpProblem(404, 'Not found', `no user ${req.params.login}`);
    await audit(deps.db, principal.userId, 'user-update', `user:${user.login}`, change);
    res.json(user);
  });

  const issued = { description: 'the token, shown only now', schema: issuedToken };
  const issue = { summary: 'Issue a token (oneself; an admin for anyone)', body: tokenCreate, bodyName: 'token', answers: { 201: issued }, problems: [403, 404, 422] };
  api.post('/v1/users/:login/tokens', issue, async (req, res, body) => {
    const principal = principalOf(req);
    const login = String(req.params.login);
    if (principal.role !== 'admin' && principal.login !== login) throw new HttpProblem(403, 'Forbidden', 'only an admin issues tokens for someone else');
    if (body.expiresAt && body.expiresAt.getTime() <= Date.now()) throw new HttpProblem(422, 'Unprocessable', 'expiresAt is in the past', [{ field: 'expiresAt', message: 'in the past' }]);
    const user = await getUserByLogin(deps.db, login);
    if (!user) throw new HttpProblem(404, 'Not found', `no user ${login}`);
    const issued = await issueToken(deps.db, user.id, body.label, body.expiresAt);
    await audit(deps.db, principal.userId, 'token-issue', `token:${issued.id}`, { login, label: body.label });
    res.status(201).json(issued);
  });

  const tokens = {
    summary: "The caller's tokens (an admin: everyone's, or one user's with ?login=); never the token itself",
    parameters: [{ name: 'login', in: 'query' as const }],
    answers: { 200: { description: 'tokens', schema: z.object({ tokens: z.array(tokenInfo) }) } },
    problems: [404],
  };
  api.get('/v1/tokens', tokens, async (req, res) => {
    const principal = principalOf(req);
    const login = typeof req.query.login === 'string' ? req.query.login : undefined;
    if (principal.role !== 'admin') {
      res.json({ tokens: await listTokens(deps.db, principal.userId) });
      return;
    }
    const user = login ? await getUserByLogin(deps.db, login) : undefined;
    if (login && !user) throw new HttpProblem(404, 'Not found', `no user ${login}`);
    res.json({ tokens: await listTokens(deps.db, user?.id ?? null) });
  });

  api.delete('/v1/tokens/:id', { summary: 'Revoke a token (its owner or an admin)', answers: { 204: 'revoked' }, problems: [404, 409] }, async (req, res) => {
    const { token, principal } = await ownToken(req);
    if (!(await revokeToken(deps.db, token.id))) throw new HttpProblem(409, 'Conflict', `token ${token.id} was already revoked`);
    await audit(deps.db, principal.userId, 'token-revoke', `token:${token.id}`, { login: token.login });
    res.status(204).end();
  });

  api.post('/v1/tokens/:id/rotate', { summary: 'Revoke a token and issue its replacement with the same label and expiry', answers: { 201: issued }, problems: [404, 409] }, async (req, res) => {
    const { token, principal } = await ownToken(req);
    const issued = await rotateToken(deps.db, token.id);
    if (!issued) throw new HttpProblem(409, 'Conflict', `token ${token.id} is revoked; issue a new one`);
    await audit(deps.db, principal.userId, 'token-rotate', `token:${token.id}`, { login: token.login, replacedBy: issued.id });
    res.status(201).json(issued);
  });

  return api;
}
