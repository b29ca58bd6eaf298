import type { Lab } from '@kadai/catalog';
import { assignmentOfCourse, attemptsOf, getAssignment, type Assignment, type AttemptRow, type StudentAssignment } from '@kadai/db';
import { html, type Html } from './html';
import { formatDate, type Lang } from './i18n';
import type { PageContext } from './layout';

export function scoreText(score: number | null, max: number | null): string {
  return score === null ? '—' : `${Number(score.toFixed(2))} / ${max ?? '?'}`;
}

export function stateBadge(ctx: PageContext, state: string | null): Html {
  return html`<span class="state state-${state ?? 'none'}">${state ?? ctx.t('notSubmitted')}</span>`;
}

export function labTitle(lab: Lab | undefined, labId: string, lang: Lang): string {
  return lab ? lab.definition.title[lang] : labId;
}

export function studentCourseBody(ctx: PageContext, courseId: string, rows: StudentAssignment[], labs: Map<string, Lab>, withdrawn: ReadonlySet<string>): Html {
  const { t, lang } = ctx;
  return html`
<table>
<caption>${t('labs')}</caption>
<thead><tr><th scope="col">${t('lab')}</th><th scope="col">${t('due')}</th><th scope="col">${t('attempts')}</th><th scope="col">${t('score')}</th></tr></thead>
<tbody>
${rows.map(
  (r) => html`<tr>
<th scope="row"><a href="/courses/${encodeURIComponent(courseId)}/labs/${encodeURIComponent(r.labId)}">${labTitle(labs.get(r.labId), r.labId, lang)}</a>${withdrawn.has(r.labId) ? html` <small class="withdrawn">(${t('withdrawnMark')})</small>` : ''}</th>
<td>${r.dueAt ? formatDate(r.dueAt, lang) : t('noDue')}</td>
<td>${r.attempts}${r.maxAttempts ? ` / ${r.maxAttempts}` : ''}</td>
<td>${scoreText(r.score, r.maxScore)}</td>
</tr>`,
)}
</tbody>
</table>`;
}


function quizFields(ctx: PageContext, lab: Lab): Html {
  if (lab.definition.kind !== 'quiz') return html``;
  return html`
<fieldset class="mode-quiz">
<legend>${ctx.t('answers')}</legend>
<p>${ctx.t('quizHelp')}</p>
${lab.definition.questions.map(
  (q, i) => html`<fieldset class="question" data-question="${q.id}">
<legend>${i + 1}. ${q.prompt[ctx.lang]}</legend>
${q.choices.map(
  (c) => html`<label><input type="${q.type === 'single' ? 'radio' : 'checkbox'}" name="q-${q.id}" value="${c.id}"> ${c.text[ctx.lang]}</label>`,
)}
</fieldset>`,
)}
</fieldset>`;
}

function uploadFields(ctx: PageContext, lab: Lab): Html {
  const { t } = ctx;
  const wanted = lab.definition.submission.files;
  return html`
${wanted.length > 0
  ? html`<h3>${t('requiredFiles')}</h3><ul>${wanted.map((f) => html`<li><code>${f.path}</code>${f.description ? html` — ${f.description[ctx.lang]}` : ''}</li>`)}</ul>`
  : ''}
<fieldset>
<legend>${t('chooseHow')}</legend>
<label><input type="radio" name="mode" value="files" checked> ${t('files')}</label>
<label><input type="radio" name="mode" value="folder"> ${t('folder')}</label>
<label><input type="radio" name="mode" value="archive"> ${t('archive')}</label>
</fieldset>
<p class="mode mode-files"><label for="input-files">${t('files')}</label> <input id="input-files" type="file" name="files" multiple></p>
<p class="mode mode-folder" hidden><label for="input-folder">${t('folder')}</label> <input id="input-folder" type="file" name="folder" webkitdirectory multiple></p>
<p class="mode mode-archive" hidden><label for="input-archive">${t('archive')}</label> <input id="input-archive" type="file" name="archive" accept=".zip,.tar.gz,.tgz,application/zip,application/gzip"></p>`;
}

export function submissionForm(ctx: PageContext, lab: Lab): Html {
  return html`
<section aria-labelledby="submit-heading">
<h2 id="submit-heading">${ctx.t('submitWork')}</h2>
<form id="submit-form" data-lab="${lab.definition.id}" data-kind="${lab.definition.kind}">
${lab.definition.kind === 'quiz' ? quizFields(ctx, lab) : uploadFields(ctx, lab)}
<button type="submit">${ctx.t('submit')}</button>
<div id="submit-status" role="status" aria-live="polite"></div>
</form>
</section>`;
}

export function attemptTable(ctx: PageContext, attempts: AttemptRow[]): Html {
  const { t, lang } = ctx;
  if (attempts.length === 0) return html`<p>${t('noAttempts')}</p>`;
  return html`
<table>
<caption>${t('history')}</caption>
<thead><tr><th scope="col">${t('attempt')}</th><th scope="col">${t('submittedAt')}</th><th scope="col">${t('state')}</th><th scope="col">${t('score')}</th><th scope="col">${t('lateFactor')}</th></tr></thead>
<tbody>
${attempts.map(
  (a) => html`<tr>
<th scope="row"><a href="/submissions/${a.id}">#${a.attempt ?? '—'}</a></th>
<td>${formatDate(a.submittedAt, lang)}</td>
<td>${stateBadge(ctx, a.state)}</td>
<td>${scoreText(a.score, a.maxScore)}</td>
<td>${a.lateFactor === 1 ? '' : a.lateFactor}</td>
</tr>`,
)}
</tbody>
</table>`;
}

export async function studentLabBody(
  ctx: PageContext,
  db: Parameters<typeof attemptsOf>[0],
  courseId: string,
  lab: Lab,
  withdrawnAt: Date | null,
): Promise<Html> {
  const { t, lang } = ctx;
  const assignmentId = await assignmentOfCourse(db, courseId, lab.definition.id);
  const assignment: Assignment | undefined = assignmentId ? await getAssignment(db, assignmentId) : undefined;
  const attempts = await attemptsOf(db, ctx.principal!.userId, lab.definition.id, assignmentId ?? null);
  return html`
<dl class="facts">
<dt>${t('opens')}</dt><dd>${formatDate(assignment?.opensAt ?? null, lang) || '—'}</dd>
<dt>${t('due')}</dt><dd>${assignment?.dueAt ? formatDate(assignment.dueAt, lang) : t('noDue')}</dd>
<dt>${t('attempts')}</dt><dd>${attempts.filter((a) => a.attempt !== null).length}${assignment?.maxAttempts ? ` / ${assignment.maxAttempts}` : ''}</dd>
</dl>
<section aria-labelledby="instructions-heading">
<h2 id="instructions-heading">${t('instructions')}</h2>
<div class="instructions">${lab.definition.instructions[lang]}</div>
</section>
${withdrawnAt ? html`<p class="notice withdrawn" role="status">${t('withdrawn')}</p>` : submissionForm(ctx, lab)}
<section aria-labelledby="history-heading">
<h2 id="history-heading">${t('history')}</h2>
${attemptTable(ctx, attempts)}
</section>`;
}
