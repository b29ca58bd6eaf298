import type { AuditEntry } from '@kadai/db';
import type { SubmissionView } from '../schemas';
import { html, type Html } from './html';
import { formatDate } from './i18n';
import type { PageContext } from './layout';
import { scoreText, stateBadge } from './student';

const TERMINAL = new Set(['graded', 'error', 'rejected']);

function checkRows(ctx: PageContext, view: SubmissionView): Html {
  const { t, lang } = ctx;
  return html`
<table class="checks">
<caption>${t('result')}</caption>
<thead><tr><th scope="col">${t('check')}</th><th scope="col">${t('state')}</th><th scope="col">${t('points')}</th><th scope="col">${t('feedback')}</th></tr></thead>
<tbody>
${view.checks.map((c) =>
  c.released
    ? html`<tr>
<th scope="row">${c.title[lang]}</th>
<td>${stateBadge(ctx, c.status ?? null)}</td>
<td>${c.points} / ${c.maxPoints}</td>
<td><p>${c.message?.[lang]}</p>${c.evidence ? html`<details><summary>${t('evidence')}</summary><pre>${c.evidence}</pre></details>` : ''}</td>
</tr>`
    : html`<tr><th scope="row">${c.title[lang]}</th><td colspan="3">${t('notReleased')}</td></tr>`,
)}
</tbody>
</table>`;
}

/** A submission's result; while it is queued or running, the script follows its event stream. */
export function submissionBody(ctx: PageContext, view: SubmissionView, extra: { backHref?: string; staff?: Html } = {}): Html {
  const { t, lang } = ctx;
  const live = !TERMINAL.has(view.state);
  const rejection = view.rejection as { errors?: Array<{ text?: string; message?: string }> } | null;
  return html`
${extra.backHref ? html`<p><a href="${extra.backHref}">${t('backToCourse')}</a></p>` : ''}
<dl class="facts">
<dt>${t('lab')}</dt><dd>${view.lab}</dd>
<dt>${t('attempt')}</dt><dd>${view.attempt ?? '—'}</dd>
<dt>${t('submittedAt')}</dt><dd>${formatDate(new Date(view.submittedAt), lang)}</dd>
<dt>${t('state')}</dt><dd id="live-state" ${live ? html`data-events="/v1/submissions/${view.id}/events"` : ''}>${stateBadge(ctx, view.state)}</dd>
<dt>${t('score')}</dt><dd>${scoreText(view.score, view.maxScore)}</dd>
${view.lateFactor !== 1 ? html`<dt>${t('lateFactor')}</dt><dd>${view.lateFactor}</dd>` : ''}
</dl>
<div id="live-progress" role="status" aria-live="polite">${live ? t('progress') + '…' : ''}</div>
${view.notice ? html`<p class="notice" role="note">${view.notice[lang]}</p>` : ''}
${view.error && !view.notice ? html`<p class="error">${view.error}</p>` : ''}
${rejection?.errors?.length ? html`<ul class="error">${rejection.errors.map((e) => html`<li>${e.text ?? e.message ?? ''}</li>`)}</ul>` : ''}
${view.checks.length > 0 ? checkRows(ctx, view) : ''}
${extra.staff ?? ''}`;
}

export function auditList(ctx: PageContext, entries: AuditEntry[]): Html {
  if (entries.length === 0) return html``;
  return html`<section aria-labelledby="audit-heading"><h2 id="audit-heading">${ctx.t('audit')}</h2><ul>
${entries.map((e) => html`<li>${formatDate(e.at, ctx.lang)} — ${e.actor ?? '?'}: ${e.action} ${JSON.stringify(e.detail)}</li>`)}
</ul></section>`;
}

/** The files of a submission, as text where they are text; credentials (Grader.secretFiles) are named, never shown. */
export function fileList(ctx: PageContext, files: Map<string, Buffer>, secret: readonly string[] = []): Html {
  return html`<section aria-labelledby="files-heading"><h2 id="files-heading">${ctx.t('files_')}</h2>
${[...files].map(([path, content]) =>
  secret.includes(path)
    ? html`<p><code>${path}</code> — ${ctx.t('credentialsHidden')}</p>`
    : html`<details><summary><code>${path}</code> (${content.length} B)</summary><pre>${content.subarray(0, 65536).toString('utf8')}</pre></details>`,
)}
</section>`;
}

export function regradeButton(ctx: PageContext, action: string, label: string): Html {
  return html`<form class="regrade" data-action="${action}">
<label>${ctx.t('reason')} <input name="reason" type="text" maxlength="500"></label>
<button type="submit">${label}</button>
<span role="status" aria-live="polite"></span>
</form>`;
}
