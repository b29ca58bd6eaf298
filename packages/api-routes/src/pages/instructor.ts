import { checksOf, type Lab } from '@kadai/catalog';
import type { Assignment, CourseResultRow, LabAnalytics } from '@kadai/db';
import { latePolicy } from '@kadai/grading';
import { z } from 'zod';
import { courseNav } from './admin';
import { escapeHtml, html, raw, type Html } from './html';
import type { PageContext } from './layout';
import { labTitle } from './student';

/**
 * The class matrix, students × labs, rendered once on the server; sorting and filtering happen in
 * the browser (kadai.js) on the data-v values, without another request. Each cell is kept small:
 * 300 × 30 cells are 9,000 of them.
 */
export function matrixBody(ctx: PageContext, courseId: string, rows: CourseResultRow[], labs: Map<string, Lab>): Html {
  const { t, lang } = ctx;
  const labIds = [...new Set(rows.map((r) => r.labId))].sort();
  const students = new Map<string, { name: string; cells: Map<string, CourseResultRow> }>();
  for (const r of rows) {
    const student = students.get(r.login) ?? { name: r.displayName, cells: new Map() };
    student.cells.set(r.labId, r);
    students.set(r.login, student);
  }
  const course = encodeURIComponent(courseId);
  const lateMark = html`<abbr title="${t('late')}">L</abbr>`.text;
  // 9,000 cells: each is one string concatenation; the values in it are numbers, uuids and states
  // kadai wrote, escaped all the same
  const cell = (r: CourseResultRow | undefined): string => {
    if (!r || r.attempts === 0) return '<td data-v="-1" data-s="none">—</td>';
    const state = escapeHtml(r.state ?? 'none');
    const score = r.score === null ? '—' : String(Number(r.score.toFixed(1)));
    const shown = r.submissionId ? `<a href="/submissions/${escapeHtml(r.submissionId)}">${score}</a>` : score;
    return `<td data-v="${r.score ?? -1}" data-s="${state}" class="st-${state}">${shown}<small> ×${r.attempts}</small>${r.late ? lateMark : ''}</td>`;
  };
  return html`${courseNav(ctx, courseId)}
<p><a href="/courses/${course}/results.csv" download>${t('csv')}</a></p>
<div class="toolbar" role="search">
<label for="matrix-filter">${t('filter')}</label> <input id="matrix-filter" type="search">
<label for="matrix-state">${t('filterState')}</label>
<select id="matrix-state"><option value="">${t('all')}</option>${['graded', 'queued', 'running', 'error', 'rejected', 'none'].map((s) => html`<option value="${s}">${s === 'none' ? t('notSubmitted') : s}</option>`)}</select>
<span id="matrix-count" role="status" aria-live="polite"></span>
</div>
<p class="legend">${t('score')} <small>×${t('attempts')}</small>, <abbr title="${t('late')}">L</abbr> = ${t('late')}</p>
<div class="matrix-wrap">
<table id="matrix" class="matrix">
<caption>${t('matrix')} (${students.size} × ${labIds.length})</caption>
<thead><tr><th scope="col" aria-sort="ascending"><button type="button" data-col="0">${t('student')}</button></th><th scope="col"><button type="button" data-col="1">${t('score')}</button></th>
${labIds.map((id, i) => html`<th scope="col"><button type="button" data-col="${i + 2}" title="${labTitle(labs.get(id), id, lang)}">${id}</button> <a href="/courses/${course}/labs/${encodeURIComponent(id)}/analytics" class="small">${t('analytics')}</a></th>`)}</tr></thead>
<tbody>
${[...students].map(([login, s]) => {
  const total = [...s.cells.values()].reduce((sum, r) => sum + (r.score ?? 0), 0);
  return html`<tr><th scope="row" data-v="${login}">${s.name} <small>${login}</small></th><td data-v="${total}">${Number(total.toFixed(1))}</td>${raw(labIds.map((id) => cell(s.cells.get(id))).join(''))}</tr>`;
})}
</tbody>
</table>
</div>`;
}

/** An SVG histogram of scores in ten bands, with the same numbers in a table for screen readers. */
function histogram(ctx: PageContext, scores: LabAnalytics['scores']): Html {
  const bands = new Array(10).fill(0) as number[];
  for (const s of scores) bands[Math.min(9, Math.floor((s.maxScore > 0 ? s.score / s.maxScore : 0) * 10))]! += 1;
  const top = Math.max(1, ...bands);
  const label = (i: number) => `${i * 10}–${i === 9 ? 100 : i * 10 + 9}%`;
  return html`
<figure>
<svg class="chart" viewBox="0 0 420 180" role="img" aria-labelledby="chart-title">
<title id="chart-title">${ctx.t('chartAlt')}</title>
${bands.map((n, i) => {
  const h = Math.round((n / top) * 140);
  return html`<g><rect x="${10 + i * 40}" y="${150 - h}" width="34" height="${h}"></rect><text x="${27 + i * 40}" y="${145 - h}" text-anchor="middle">${n}</text><text x="${27 + i * 40}" y="170" text-anchor="middle" class="axis">${i * 10}</text></g>`;
})}
</svg>
<figcaption>${ctx.t('distribution')}</figcaption>
</figure>
<table><caption>${ctx.t('distribution')}</caption><thead><tr><th scope="col">${ctx.t('score')}</th><th scope="col">${ctx.t('count')}</th></tr></thead>
<tbody>${bands.map((n, i) => html`<tr><th scope="row">${label(i)}</th><td>${n}</td></tr>`)}</tbody></table>`;
}

export function analyticsBody(ctx: PageContext, courseId: string, labId: string, assignmentId: string, a: LabAnalytics, regrade: Html): Html {
  const { t, lang } = ctx;
  const course = encodeURIComponent(courseId);
  const percent = (passed: number, total: number) => (total === 0 ? 0 : Math.round((passed / total) * 100));
  return html`
<p><a href="/courses/${course}">${t('backToCourse')}</a> · <a href="/courses/${course}/labs/${encodeURIComponent(labId)}/settings">${t('settings')}</a></p>
<p>${a.scores.length} ${t('students')}</p>
<section aria-labelledby="dist-heading"><h2 id="dist-heading">${t('distribution')}</h2>${histogram(ctx, a.scores)}</section>
<section aria-labelledby="pass-heading"><h2 id="pass-heading">${t('passRate')}</h2>
<table><thead><tr><th scope="col">${t('check')}</th><th scope="col">%</th><th scope="col">${t('count')}</th></tr></thead><tbody>
${a.checks.map((c) => html`<tr><th scope="row">${lang === 'ja' ? c.titleJa : c.titleEn}</th><td><meter min="0" max="100" value="${percent(c.passed, c.total)}" aria-label="${lang === 'ja' ? c.titleJa : c.titleEn}"></meter> ${percent(c.passed, c.total)}%</td><td>${c.passed} / ${c.total}</td></tr>`)}
</tbody></table></section>
<section aria-labelledby="fail-heading"><h2 id="fail-heading">${t('commonFailures')}</h2>
<table><thead><tr><th scope="col">${t('check')}</th><th scope="col">${t('feedback')}</th><th scope="col">${t('count')}</th></tr></thead><tbody>
${a.failures.map((f) => html`<tr><th scope="row"><code>${f.checkId}</code></th><td>${lang === 'ja' ? f.messageJa : f.messageEn}</td><td>${f.count}</td></tr>`)}
</tbody></table></section>
<section aria-labelledby="regrade-heading"><h2 id="regrade-heading">${t('regrade')}</h2>${regrade}</section>
<input type="hidden" id="assignment-id" value="${assignmentId}">`;
}

// Dates on the settings form are Japan time (no daylight saving), as the pages show them.
const JST = '+09:00';
type Issue = { field: string; message: string };
type Settings = Omit<Assignment, 'id' | 'courseId' | 'labId'>;

const fields = z.object({
  opensAt: z.string().trim().default(''),
  dueAt: z.string().trim().default(''),
  lateMode: z.enum(['reject', 'accept', 'penalty']),
  percentPerDay: z.string().trim().default(''),
  maxDaysLate: z.string().trim().default(''),
  maxAttempts: z.string().trim().default(''),
  scoring: z.enum(['best', 'last']),
  visibility: z.enum(['', 'visible', 'hidden', 'after_due']),
});

/** The form field of one check's visibility (check ids are [a-z0-9-], so it is a valid HTML id too). */
const checkField = (checkId: string) => `check-${checkId}`;
const checkChoice = z.enum(['', 'visible', 'hidden', 'after_due']);

/**
 * Reads the settings form; every field is checked and every bad one named (not only the first),
 * and nothing is saved unless all are right. `checkIds`: the lab's checks, each with a visibility
 * field (empty: as the assignment's setting for every check, else the lab's).
 */
export function parseSettings(body: unknown, checkIds: readonly string[] = []): { settings: Settings } | { issues: Issue[] } {
  const parsed = fields.safeParse(body);
  if (!parsed.success) return { issues: parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(form)', message: i.message })) };
  const f = parsed.data;
  const issues: Issue[] = [];
  const checkVisibility: Settings['checkVisibility'] = {};
  for (const checkId of checkIds) {
    const choice = checkChoice.safeParse((body as Record<string, unknown>)[checkField(checkId)] ?? '');
    if (!choice.success) issues.push({ field: checkField(checkId), message: 'visible, hidden, after_due or empty' });
    else if (choice.data !== '') checkVisibility[checkId] = choice.data;
  }
  const date = (field: 'opensAt' | 'dueAt') => {
    if (f[field] === '') return null;
    const value = new Date(`${f[field].length === 16 ? `${f[field]}:00` : f[field]}${JST}`);
    if (Number.isNaN(value.getTime())) issues.push({ field, message: `"${f[field]}" is not a date and time (YYYY-MM-DDTHH:MM)` });
    return value;
  };
  const opensAt = date('opensAt');
  const dueAt = date('dueAt');
  if (opensAt && dueAt && dueAt < opensAt) issues.push({ field: 'dueAt', message: 'the due date is before the opening date' });
  const maxAttempts = f.maxAttempts === '' ? null : Number(f.maxAttempts);
  if (maxAttempts !== null && !(Number.isInteger(maxAttempts) && maxAttempts >= 1 && maxAttempts <= 1000)) {
    issues.push({ field: 'maxAttempts', message: 'a whole number from 1 to 1000, or empty for no limit' });
  }
  const policy = latePolicy.safeParse(
    f.lateMode === 'penalty' ? { mode: 'penalty', percentPerDay: Number(f.percentPerDay || NaN), maxDaysLate: Number(f.maxDaysLate || NaN) } : { mode: f.lateMode },
  );
  if (!policy.success) for (const i of policy.error.issues) issues.push({ field: i.path.join('.'), message: i.message });
  if (issues.length > 0 || !policy.success) return { issues };
  return { settings: { opensAt, dueAt, latePolicy: policy.data, maxAttempts, scoring: f.scoring, visibility: f.visibility === '' ? null : f.visibility, checkVisibility } };
}

function toLocal(date: Date | null): string {
  if (!date) return '';
  return new Date(date.getTime() + 9 * 3600_000).toISOString().slice(0, 16);
}

export function settingsBody(ctx: PageContext, a: Assignment, lab: Lab, issues: Array<{ field: string; message: string }>, saved: boolean): Html {
  const { t } = ctx;
  const policy = a.latePolicy;
  const penalty = policy.mode === 'penalty' ? policy : undefined;
  const errorOf = (field: string) => issues.filter((i) => i.field === field).map((i) => i.message).join('; ');
  const described = (field: string) => (errorOf(field) ? html`aria-invalid="true" aria-describedby="err-${field}"` : '');
  const error = (field: string) => (errorOf(field) ? html`<span class="error" id="err-${field}">${errorOf(field)}</span>` : '');
  const option = (value: string, label: string, current: string) => html`<option value="${value}" ${value === current ? 'selected' : ''}>${label}</option>`;
  return html`
${saved ? html`<p class="saved" role="status">${t('saved')}</p>` : ''}
${issues.length > 0 ? html`<div class="error" role="alert"><ul>${issues.map((i) => html`<li>${i.field}: ${i.message}</li>`)}</ul></div>` : ''}
<form method="post" class="settings">
<input type="hidden" name="_csrf" value="${ctx.csrfToken ?? ''}">
<p><label for="opensAt">${t('opens')} (JST)</label> <input id="opensAt" name="opensAt" type="datetime-local" value="${toLocal(a.opensAt)}" ${described('opensAt')}> ${error('opensAt')}</p>
<p><label for="dueAt">${t('due')} (JST)</label> <input id="dueAt" name="dueAt" type="datetime-local" value="${toLocal(a.dueAt)}" ${described('dueAt')}> ${error('dueAt')}</p>
<p><label for="lateMode">${t('latePolicy')}</label> <select id="lateMode" name="lateMode">${option('reject', t('lateReject'), policy.mode)}${option('accept', t('lateAccept'), policy.mode)}${option('penalty', t('latePenalty'), policy.mode)}</select></p>
<p><label for="percentPerDay">${t('percentPerDay')}</label> <input id="percentPerDay" name="percentPerDay" type="number" min="1" max="100" step="any" value="${penalty?.percentPerDay ?? ''}" ${described('percentPerDay')}> ${error('percentPerDay')}</p>
<p><label for="maxDaysLate">${t('maxDaysLate')}</label> <input id="maxDaysLate" name="maxDaysLate" type="number" min="1" step="1" value="${penalty?.maxDaysLate ?? ''}" ${described('maxDaysLate')}> ${error('maxDaysLate')}</p>
<p><label for="maxAttempts">${t('maxAttempts')}</label> <input id="maxAttempts" name="maxAttempts" type="number" min="1" step="1" value="${a.maxAttempts ?? ''}" ${described('maxAttempts')}> ${error('maxAttempts')}</p>
<p><label for="scoring">${t('scoring')}</label> <select id="scoring" name="scoring">${option('best', t('best'), a.scoring)}${option('last', t('last'), a.scoring)}</select></p>
<p><label for="visibility">${t('visibility')}</label> <select id="visibility" name="visibility">${option('', t('labDefault'), a.visibility ?? '')}${option('visible', t('visible'), a.visibility ?? '')}${option('hidden', t('hidden'), a.visibility ?? '')}${option('after_due', t('afterDue'), a.visibility ?? '')}</select></p>
<fieldset class="check-visibility">
<legend>${t('checkVisibility')}</legend>
${checksOf(lab.definition).map((check) => {
  const field = checkField(check.id);
  const current = a.checkVisibility[check.id] ?? '';
  // a check has a title; a quiz question its prompt (cut short: the label names it, the lab holds it)
  const name = 'title' in check ? check.title[ctx.lang] : check.prompt[ctx.lang].slice(0, 60);
  return html`<p><label for="${field}"><code>${check.id}</code> ${name}</label> <select id="${field}" name="${field}" ${described(field)}>${option('', t('asAbove'), current)}${option('visible', t('visible'), current)}${option('hidden', t('hidden'), current)}${option('after_due', t('afterDue'), current)}</select> ${error(field)}</p>`;
})}
</fieldset>
<button type="submit">${t('save')}</button>
</form>`;
}
