import { audit, createUser, getTokenInfo, getUserByLogin, issueToken, listTokens, listUsers, revokeToken, rotateToken, updateUser, type Principal, type TokenInfo } from '@kadai/db';
import { Router, type Request } from 'express';
import { principalOf, requireRole } from '../auth';
import type { ApiDeps } from '../deps';
import { HttpProblem, UUID } from '../problem';
import { tokenCreate, userCreate, userPatch } from '../schemas';
import { parseInput } from '../validate';

/** The LMS provisions students and instructors; only an admin makes admins or LMS users. */
function mayCreateRole(principal: Principal, role: string): boolean {
  return principal.role === 'admin' || (principal.role === 'lms' && (role === 'student' || role === 'instructor'));
}

/**
 * Users and their API tokens. Admins manage everyone; the LMS creates students and instructors;
 * every user sees, issues, revokes and rotates their own tokens. A token is shown once, when issued.
 */
export function userRoutes(deps: ApiDeps): Router {
  const router = Router();

  /** A token the caller may manage: their own, or anyone's for an admin. Others are 404 (nothing learnt). */
  const ownToken = async (req: Request): Promise<{ token: TokenInfo; principal: Principal }> => {
    const principal = principalOf(req);
    const id = String(req.params.id);
    const token = UUID.test(id) ? await getTokenInfo(deps.db, id) : undefined;
    if (!token || (principal.role !== 'admin' && token.userId !== principal.userId)) throw new HttpProblem(404, 'Not found', `no token ${id}`);
    return { token, principal };
  };

  router.get('/v1/me', (req, res) => {
    res.json(principalOf(req));
  });

  router.get('/v1/users', async (req, res) => {
    requireRole(req, 'admin', 'lms');
    const role = typeof req.query.role === 'string' ? req.query.role : undefined;
    if (role && !['student', 'instructor', 'admin', 'lms'].includes(role)) throw new HttpProblem(400, 'Bad request', `unknown role ${role}`);
    const limit = Math.min(Math.max(Number(req.query.limit ?? 1000) || 1000, 1), 5000);
    const offset = Math.max(Number(req.query.offset ?? 0) || 0, 0);
    res.json({ users: await listUsers(deps.db, { ...(role ? { role: role as Principal['role'] } : {}), limit, offset }) });
  });

  router.post('/v1/users', async (req, res) => {
    const principal = requireRole(req, 'admin', 'lms');
    const body = parseInput(userCreate, req.body, 'user');
    if (!mayCreateRole(principal, body.role)) throw new HttpProblem(403, 'Forbidden', `only an admin creates ${body.role} users`);
    const user = await createUser(deps.db, body.login, body.displayName, body.role);
    if (!user) throw new HttpProblem(409, 'Conflict', `user ${body.login} exists`);
    await audit(deps.db, principal.userId, 'user-create', `user:${user.login}`, { role: user.role });
    res.status(201).location(`/v1/users/${user.login}`).json(user);
  });

  router.get('/v1/users/:login', async (req, res) => {
    const principal = principalOf(req);
    const login = String(req.params.login);
    if (principal.role !== 'admin' && principal.role !== 'lms' && principal.login !== login) throw new HttpProblem(403, 'Forbidden', 'you may look up only yourself');
    const user = await getUserByLogin(deps.db, login);
    if (!user) throw new HttpProblem(404, 'Not found', `no user ${login}`);
    res.json(user);
  });

  router.patch('/v1/users/:login', async (req, res) => {
    const principal = requireRole(req, 'admin');
    const change = parseInput(userPatch, req.body, 'user change');
    const user = await updateUser(deps.db, String(req.params.login), change);
    if (!user) throw new HttpProblem(404, 'Not found', `no user ${req.params.login}`);
    await audit(deps.db, principal.userId, 'user-update', `user:${user.login}`, change);
    res.json(user);
  });

  router.post('/v1/users/:login/tokens', async (req, res) => {
    const principal = principalOf(req);
    const login = String(req.params.login);
    if (principal.role !== 'admin' && principal.login !== login) throw new HttpProblem(403, 'Forbidden', 'only an admin issues tokens for someone else');
    const body = parseInput(tokenCreate, req.body, 'token');
    if (body.expiresAt && body.expiresAt.getTime() <= Date.now()) throw new HttpProblem(422, 'Unprocessable', 'expiresAt is in the past', [{ field: 'expiresAt', message: 'in the past' }]);
    const user = await getUserByLogin(deps.db, login);
    if (!user) throw new HttpProblem(404, 'Not found', `no user ${login}`);
    const issued = await issueToken(deps.db, user.id, body.label, body.expiresAt);
    await audit(deps.db, principal.userId, 'token-issue', `token:${issued.id}`, { login, label: body.label });
    res.status(201).json(issued);
  });

  router.get('/v1/tokens', async (req, res) => {
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

  router.delete('/v1/tokens/:id', async (req, res) => {
    const { token, principal } = await ownToken(req);
    if (!(await revokeToken(deps.db, token.id))) throw new HttpProblem(409, 'Conflict', `token ${token.id} was already revoked`);
    await audit(deps.db, principal.userId, 'token-revoke', `token:${token.id}`, { login: token.login });
    res.status(204).end();
  });

  router.post('/v1/tokens/:id/rotate', async (req, res) => {
    const { token, principal } = await ownToken(req);
    const issued = await rotateToken(deps.db, token.id);
    if (!issued) throw new HttpProblem(409, 'Conflict', `token ${token.id} is revoked; issue a new one`);
    await audit(deps.db, principal.userId, 'token-rotate', `token:${token.id}`, { login: token.login, replacedBy: issued.id });
    res.status(201).json(issued);
  });

  return router;
}
