import type { Localized } from '@kadai/catalog';

const seconds = (ms: number) => Math.round(ms / 1000);

/**
 * The abort reason of a budget whose time ran out — its own or an enclosing budget's. It means the
 * attempt's own work was too slow (a failed check with a message), unlike any other abort reason
 * (the worker shutting down, the runner's hung-grader deadline), which is kadai's failure.
 */
export class BudgetExceeded extends Error {
  constructor(
    /** What ran out of time, e.g. "build" or "check web-answers". */
    readonly scope: string,
    readonly limitMs: number,
    /** The whole attempt's budget, for the message. */
    readonly attemptMs: number,
  ) {
    super(`${scope} did not finish within ${seconds(limitMs)} s of the attempt's ${seconds(attemptMs)} s budget`);
    this.name = 'BudgetExceeded';
  }
}

export interface ChildBudget {
  /** At most this long (ms); the parent's remaining time always bounds it too. */
  limitMs?: number | undefined;
  /** Keep this much of the parent's remaining time for what comes after (ms). */
  reserveMs?: number | undefined;
}

/**
 * A time budget and the AbortSignal that ends it, nested as one chain: the lab's time limit → the
 * attempt's phases (prepare, build, start, checks) → each check → its steps. A child never outlives
 * its parent; when a budget's own time runs out its signal aborts with a BudgetExceeded, and an
 * abort from outside (the signal the root was made from) passes down unchanged.
 */
export class Budget {
  readonly signal: AbortSignal;
  /** When this budget ends (ms since the epoch). */
  readonly deadline: number;
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly unlink: () => void;
  private readonly expire: () => void;

  private constructor(
    readonly scope: string,
    readonly limitMs: number,
    readonly attemptMs: number,
    parent: AbortSignal,
  ) {
    this.signal = this.controller.signal;
    this.deadline = Date.now() + limitMs;
    const abort = (reason: unknown) => {
      if (!this.controller.signal.aborted) this.controller.abort(reason);
      this.dispose();
    };
    const fromParent = () => abort(parent.reason);
    this.expire = () => abort(new BudgetExceeded(scope, limitMs, attemptMs));
    this.timer = setTimeout(this.expire, limitMs);
    this.timer.unref();
    parent.addEventListener('abort', fromParent, { once: true });
    this.unlink = () => parent.removeEventListener('abort', fromParent);
    if (parent.aborted) fromParent();
  }

  /** The whole attempt's budget; `outside` aborts it for reasons that are not the attempt's (shutdown). */
  static root(limitMs: number, outside: AbortSignal, scope = 'the attempt'): Budget {
    return new Budget(scope, Math.max(0, limitMs), limitMs, outside);
  }

  remainingMs(): number {
    // past the deadline but before the timer has fired (a child's timer for the same instant may
    // fire first): end now, so whatever asks next sees this budget's own overrun, never time left
    if (!this.signal.aborted && Date.now() >= this.deadline) this.expire();
    return this.signal.aborted ? 0 : this.deadline - Date.now();
  }

  /** A part of this budget: its limit, capped by what is left here minus what must be kept for later. */
  child(scope: string, { limitMs, reserveMs = 0 }: ChildBudget = {}): Budget {
    const available = Math.max(0, this.remainingMs() - reserveMs);
    return new Budget(scope, Math.min(limitMs ?? Infinity, available), this.attemptMs, this.signal);
  }

  /** Why this budget ended when it was its (or an enclosing budget's) time; undefined otherwise. */
  overrun(): BudgetExceeded | undefined {
    return overrunOf(this.signal);
  }

  /** Stops the timer and unhooks from the parent; the signal stays as it is. */
  dispose(): void {
    clearTimeout(this.timer);
    this.unlink();
  }
}

/** The BudgetExceeded a signal was aborted with, if any. */
export function overrunOf(signal: AbortSignal): BudgetExceeded | undefined {
  return signal.aborted && signal.reason instanceof BudgetExceeded ? signal.reason : undefined;
}

/** "<what> did not finish within N s of the attempt's M s budget", in Japanese and English. */
export function overrunMessage(overrun: BudgetExceeded, what: Localized): Localized {
  const n = seconds(overrun.limitMs);
  const m = seconds(overrun.attemptMs);
  return {
    ja: `${what.ja}が時間内に終わりませんでした（この提出の制限時間 ${m} 秒のうち ${n} 秒まで）。`,
    en: `${what.en} did not finish within ${n} s of the attempt's ${m} s budget.`,
  };
}
