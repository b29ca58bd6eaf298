import { pass, type CheckOutcome } from '@kadai/checks';
import type { Localized } from '@kadai/catalog';
import { StudentWorkError } from '@kadai/errors';
import { messageOf, statusOf } from '@kadai/k8s-sandbox';
import { kubeCheckFields, type KubeCheckContext } from '../context';
import { KubectlActions } from '../kubectl';
import { readError, resourceRef } from '../resources';
import { failure } from './report';

/** Fields of kadai's own actions on one named object (`patch`, `scale`, `setImage`, `rolloutUndo`). */
export const actionFields = {
  ...kubeCheckFields,
  resource: resourceRef.refine((ref) => ref.name !== undefined, { message: 'name the object to act on', path: ['name'] }),
};

/**
 * Performs one of kadai's actions as the attempt's ServiceAccount (what the student could have
 * done, used where the exercise does not ask them to). A refusal by the API server (the object is
 * missing, a quota) is a failed check naming it; no answer is kadai's failure.
 */
export async function act(ctx: KubeCheckContext, what: Localized, work: (kubectl: KubectlActions) => Promise<unknown>): Promise<CheckOutcome> {
  try {
    const said = await work(new KubectlActions(ctx.attempt.asAttempt, ctx.namespace));
    return pass(`${what.ja}を行いました。`, `${what.en}: done.`, typeof said === 'string' ? said : undefined);
  } catch (err) {
    const status = statusOf(err);
    const refused = err instanceof StudentWorkError || (status !== undefined && status >= 400 && status < 500 && status !== 401 && status !== 408 && status !== 429);
    if (!refused) throw readError(what.en, err);
    return failure(ctx, { ja: `${what.ja}ができませんでした: ${messageOf(err)}`, en: `${what.en} failed: ${messageOf(err)}` }, '', []);
  }
}

export const target = (ref: { kind: string; name?: string | undefined }) => ({ kind: ref.kind, name: ref.name ?? '' });
