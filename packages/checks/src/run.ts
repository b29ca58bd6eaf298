import type { CheckSpec, Localized, Visibility } from '@kadai/catalog';
import { InfrastructureError } from '@kadai/errors';
import { capEvidence, type CheckResult } from '@kadai/grading';
import type { Logger } from '@kadai/observability';
import { overrunMessage, overrunOf, type Budget, type BudgetExceeded } from './budget';
import type { CheckRegistry } from './define';
import type { CheckOutcome } from './outcome';

/** What the run loop gives each check: its own budget (and signal), and the attempt's logger. */
export interface CheckStep {
  budget: Budget;
  signal: AbortSignal;
  log: Logger;
}

export interface RunChecksOptions<Ctx> {
  checks: readonly CheckSpec[];
  registry: CheckRegistry<Ctx>;
  /** The lab's default visibility, for checks that set none. */
  visibility: Visibility;
  /** The time the checks share: each check's own budget is cut from it. */
  budget: Budget;
  log: Logger;
  /** The kind's context for one check (sandbox, cluster client, …) around the check's step. */
  context(step: CheckStep): Ctx;
}

const notChecked = (overrun: BudgetExceeded): CheckOutcome => ({
  status: 'fail',
  message: overrunMessage(overrun, { ja: 'この提出の確認', en: 'Grading this attempt' }),
  evidence: `not checked: ${overrun.message}`,
});

/** Rejects with the abort reason when the signal aborts: a check that ignores its signal cannot hold the attempt. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Runs a lab's checks in order, each within its own budget: a check that runs out of time is a
 * failed check saying so, checks after the attempt's time ran out fail as not checked, and every
 * result records how long its check took. An InfrastructureError, or an abort from outside the
 * budget (the worker shutting down), ends the run: that is kadai's failure, never the student's.
 */
export async function runChecks<Ctx>(options: RunChecksOptions<Ctx>): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const passed = new Set<string>();
  for (const check of options.checks) {
    const type = options.registry[check.type];
    if (!type) throw new InfrastructureError(`check ${check.id}: unknown check type "${check.type}" (the lab was not validated)`, false);
    const started = Date.now();
    const prepared = type.prepare(check);
    const unmet = needsOf(check).filter((id) => !passed.has(id));
    const step = options.budget.child(`the check "${check.id}"`, { limitMs: prepared.timeoutMs });
    let outcome: CheckOutcome;
    try {
      if (unmet.length > 0) outcome = notReady(unmet);
      else {
        if (step.signal.aborted) throw step.signal.reason;
        outcome = withHint(await untilAborted(prepared.run(options.context({ budget: step, signal: step.signal, log: options.log })), step.signal), check);
      }
    } catch (thrown) {
      const overrun = overrunOf(step.signal);
      if (thrown instanceof InfrastructureError || !overrun) throw outsideAbort(step.signal, thrown);
      outcome =
        overrun.scope === step.scope
          ? { status: 'fail', message: overrunMessage(overrun, { ja: `確認「${check.id}」`, en: `The check "${check.id}"` }), evidence: overrun.message }
          : notChecked(overrun);
    } finally {
      step.dispose();
    }
    if (outcome.status === 'pass') passed.add(check.id);
    const durationMs = Date.now() - started;
    options.log.debug({ checkId: check.id, status: outcome.status, durationMs }, 'check done');
    results.push({
      checkId: check.id,
      title: check.title,
      points: outcome.status === 'pass' ? check.points : 0,
      maxPoints: check.points,
      status: outcome.status,
      message: outcome.message,
      ...(outcome.evidence ? { evidence: capEvidence(outcome.evidence) } : {}),
      visibility: check.visibility ?? options.visibility,
      durationMs,
    });
  }
  return results;
}

/** The checks a check `needs` (see commonCheckFields); the catalog validated the field. */
function needsOf(check: CheckSpec): string[] {
  const needs: unknown = check.needs;
  return Array.isArray(needs) ? needs.filter((id): id is string => typeof id === 'string') : [];
}

const notReady = (unmet: string[]): CheckOutcome => ({
  status: 'skipped',
  message: { ja: `前提の確認（${unmet.join(', ')}）が通らなかったため確認していません。`, en: `Not checked: it needs ${unmet.join(', ')} to pass first.` },
});

/** A failed check's message with the lab's hint after it. */
function withHint(outcome: CheckOutcome, check: CheckSpec): CheckOutcome {
  const hint = check.hint as Localized | undefined;
  if (outcome.status !== 'fail' || !hint) return outcome;
  return { ...outcome, message: { ja: `${outcome.message.ja}\nヒント: ${hint.ja}`, en: `${outcome.message.en}\nHint: ${hint.en}` } };
}

/** An abort that is no budget's: the worker is shutting down (retry elsewhere); anything else is passed on as is. */
function outsideAbort(signal: AbortSignal, thrown: unknown): unknown {
  if (signal.aborted && !(thrown instanceof InfrastructureError)) return new InfrastructureError('grading was aborted', true, { cause: signal.reason });
  return thrown;
}
