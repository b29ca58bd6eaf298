import type { Principal, Role } from '@kadai/db';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type Redis from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { TooManyRequests } from './problem';

/** Requests allowed per window: submissions (every POST) and reads (everything else) count apart. */
export interface Budget {
  submissions: number;
  reads: number;
}

export interface RateLimitSettings {
  windowSeconds: number;
  /** Per client address, before authentication: bounds what any one address costs, tokens or not. */
  perAddress: Budget;
  /** Unknown tokens per client address; past it, only tokens already known to be valid get through. */
  authFailuresPerAddress: number;
  /** Per authenticated user (all their tokens): students… */
  perStudent: Budget;
  /** …and instructors, admins and the LMS, who read whole classes and run lab self-tests. */
  perStaff: Budget;
}

const retryAfter = (res: RateLimiterRes) => Math.max(1, Math.ceil(res.msBeforeNext / 1000));

/**
 * Counts in Redis so the limits hold across every api process; if Redis fails, each process counts
 * in memory instead (the insurance limiter) rather than refusing or waving everything through.
 */
function limiter(redis: Redis, keyPrefix: string, points: number, duration: number): RateLimiterRedis {
  return new RateLimiterRedis({ storeClient: redis, keyPrefix, points, duration, insuranceLimiter: new RateLimiterMemory({ keyPrefix, points, duration }) });
}

async function consume(limit: RateLimiterRedis, key: string, what: string): Promise<void> {
  try {
    await limit.consume(key);
  } catch (error) {
    if (error instanceof RateLimiterRes) throw new TooManyRequests(retryAfter(error), what);
    throw error;
  }
}

/** Submissions (every POST) and reads (everything else) have budgets of their own. */
const kindOf = (req: Request): keyof Budget => (req.method === 'POST' ? 'submissions' : 'reads');
const STAFF: ReadonlySet<Role> = new Set(['instructor', 'admin', 'lms']);

/** The api's rate limits, built once per process over the shared Redis. */
export class RateLimits {
  private readonly address: Record<keyof Budget, RateLimiterRedis>;
  private readonly student: Record<keyof Budget, RateLimiterRedis>;
  private readonly staff: Record<keyof Budget, RateLimiterRedis>;
  private readonly authFailures: RateLimiterRedis;

  constructor(redis: Redis, settings: RateLimitSettings, keyPrefix: string) {
    const window = settings.windowSeconds;
    const budget = (name: string, b: Budget) => ({
      submissions: limiter(redis, `${keyPrefix}:${name}:submissions`, b.submissions, window),
      reads: limiter(redis, `${keyPrefix}:${name}:reads`, b.reads, window),
    });
    this.address = budget('address', settings.perAddress);
    this.student = budget('student', settings.perStudent);
    this.staff = budget('staff', settings.perStaff);
    this.authFailures = limiter(redis, `${keyPrefix}:auth-failures`, settings.authFailuresPerAddress, window);
  }

  /** Every /v1 request counts against its client address (before authentication when the token is not known yet). */
  chargeAddress(req: Request): Promise<void> {
    const kind = kindOf(req);
    return consume(this.address[kind], clientAddress(req), `too many ${kind} from ${clientAddress(req)}`);
  }

  /** Every authenticated request counts against its user, with the budget of their role. */
  chargeUser(req: Request, principal: Principal): Promise<void> {
    const kind = kindOf(req);
    return consume(this.userLimits(principal)[kind], principal.userId, `too many ${kind} by ${principal.login}`);
  }

  private userLimits(principal: Principal): Record<keyof Budget, RateLimiterRedis> {
    return STAFF.has(principal.role) ? this.staff : this.student;
  }

  /**
   * Both budgets in one Redis round trip's time, for a token already known to be valid. As when they
   * are charged in turn, a request the address refuses costs the user nothing (their point is given
   * back: students behind one busy NAT keep their own budget) and the address's refusal is the one reported.
   */
  async chargeAddressAndUser(req: Request, principal: Principal): Promise<void> {
    const [address, user] = await Promise.allSettled([this.chargeAddress(req), this.chargeUser(req, principal)]);
    if (address.status === 'rejected') {
      if (user.status === 'fulfilled') await this.userLimits(principal)[kindOf(req)].reward(principal.userId).catch(() => undefined);
      throw address.reason;
    }
    if (user.status === 'rejected') throw user.reason;
  }

  /** The address's budget as a middleware, for routes outside /v1 that take no token (sign-in, LTI). */
  byAddress(): RequestHandler {
    return (req: Request, _res: Response, next: NextFunction) => void this.chargeAddress(req).then(() => next(), next);
  }

  /** Throws 429 while the address has used up its unknown tokens; a valid token is not asked. */
  async assertMayTryUnknownToken(req: Request): Promise<void> {
    const res = await this.authFailures.get(clientAddress(req));
    if (res && res.remainingPoints <= 0) throw new TooManyRequests(retryAfter(res), `too many unknown tokens from ${clientAddress(req)}`);
  }

  async recordUnknownToken(req: Request): Promise<void> {
    await this.authFailures.penalty(clientAddress(req));
  }
}

/** The client's address; behind a reverse proxy, `trust proxy` (KADAI_TRUST_PROXY) makes it the real one. */
export const clientAddress = (req: Request): string => req.ip ?? req.socket.remoteAddress ?? 'unknown';
