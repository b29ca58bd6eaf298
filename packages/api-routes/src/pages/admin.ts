import type { Lab } from '@kadai/catalog';
import type { Assignment, Course, DeliveryLogEntry, Enrollment, Extension, TokenInfo, User, WebhookEndpoint } from '@kadai/db';
import { webhookEvent } from '../schemas';
import { html, type Html } from './html';
import { formatDate } from './i18n';
import type { MessageKey } from './i18n';
import type { PageContext } from './layout';

/**
 * The administration pages. Every change is one call of the API from its form (kadai.js
 * setupApiForm, with the session's CSRF token): the API's schemas and rules decide, so a refusal
 * names each bad field (or CSV line) and nothing is saved — no second copy of the validation here.
 */
interface FormSpec {
  /** Unique on the page: it prefixes the ids of the form's fields. */
  id: string;
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** The API path; {name} is filled from the form's field of that name (and not sent in the body). */
  path: string;
  body?: 'json' | 'csv' | 'none';
  /** Fields of the answer shown once instead of reloading the page (a new token or secret). */
  show?: string;
  submit: string;
  /** A name for the form when it has no heading of its own (a button in a table row). */
  label?: string;
}

function apiForm(ctx: PageContext, spec: FormSpec, fields: Html = html``): Html {
  const row = spec.label !== undefined;
  return html`<form novalidate class="api-form ${row ? 'row-action' : 'admin-form'}" id="form-${spec.id}" data-method="${spec.method}" data-path="${spec.path}" data-body="${spec.body ?? 'json'}" ${spec.show ? html`data-show="${spec.show}" data-shown-once="${ctx.t('shownOnce')}"` : ''} ${row ? html`aria-label="${spec.label}"` : ''}>
${fields}<button type="submit">${spec.submit}</button>
<div class="form-status" role="status" aria-live="polite"></div>
</form>`;
}

type Input = { name: string; label: string; type?: string; required?: boolean; attrs?: Html };
function input(formId: string, f: Input): Html {
  const id = `${formId}-${f.name}`;
  return html`<p><label for="${id}">${f.label}</label> <input id="${id}" name="${f.name}" type="${f.type ?? 'text'}" ${f.required ? 'required' : ''} ${f.attrs ?? ''}></p>`;
}
function select(formId: string, name: string, label: string, options: Array<[string, string]>): Html {
  const id = `${formId}-${name}`;
  return html`<p><label for="${id}">${label}</label> <select id="${id}" name="${name}">${options.map(([value, text]) => html`<option value="${value}">${text}</option>`)}</select></p>`;
}
const hidden = (name: string, value: string) => html`<input type="hidden" name="${name}" value="${value}">`;
const section = (id: string, title: string, body: Html) => html`<section aria-labelledby="${id}-heading"><h2 id="${id}-heading">${title}</h2>${body}</section>`;
const table = (caption: string, heads: string[], rows: Html[], empty: string) =>
  rows.length === 0
    ? html`<p>${empty}</p>`
    : html`<table><caption>${caption}</caption><thead><tr>${heads.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead><tbody>${rows}</tbody></table>`;

/** The links between a course's pages, for the instructor. */
export function courseNav(ctx: PageContext, courseId: string): Html {
  const course = encodeURIComponent(courseId);
  const links: Array<[string, MessageKey]> = [['', 'matrix'], ['/assignments', 'assignments'], ['/members', 'members'], ['/extensions', 'extensions'], ['/webhooks', 'webhooks']];
  return html`<nav aria-label="${ctx.t('courseAdmin')}" class="course-nav"><ul class="inline-list">${links.map(([suffix, key]) => html`<li><a href="/courses/${course}${suffix}">${ctx.t(key)}</a></li>`)}</ul></nav>`;
}

const roles = (ctx: PageContext): Array<[string, string]> => [['student', ctx.t('student')], ['instructor', ctx.t('instructor')]];

export function membersBody(ctx: PageContext, courseId: string, members: Enrollment[]): Html {
  const { t } = ctx;
  const base = `/v1/courses/${encodeURIComponent(courseId)}`;
  const rows = members.map(
    (m, i) => html`<tr><th scope="row">${m.login}</th><td>${m.displayName}</td><td>${m.role === 'instructor' ? t('instructor') : t('student')}</td>
<td>${apiForm(ctx, { id: `unenrol-${i}`, method: 'DELETE', path: `${base}/enrollments/{login}`, body: 'none', submit: t('unenrol'), label: `${t('unenrol')}: ${m.login}` }, hidden('login', m.login))}</td></tr>`,
  );
  return html`${courseNav(ctx, courseId)}
${section('members', t('members'), table(t('members'), [t('login'), t('name'), t('role'), ''], rows, t('noMembers')))}
${section('enrol', t('enrol'), apiForm(ctx, { id: 'enrol', method: 'PUT', path: `${base}/enrollments/{login}`, submit: t('enrol') }, html`${input('enrol', { name: 'login', label: t('login'), required: true })}${select('enrol', 'role', t('role'), roles(ctx))}`))}
${section('roster', t('rosterImport'), html`<p>${t('rosterHelp')}</p>${apiForm(ctx, { id: 'roster', method: 'POST', path: `${base}/roster`, body: 'csv', submit: t('import') }, input('roster', { name: 'roster', label: t('rosterFile'), type: 'file', required: true, attrs: html`accept=".csv,text/csv"` }))}`)}`;
}

/**
 * The course's assignments, each with its settings and analytics, and a form that sets another lab
 * in the course (`POST /v1/courses/:id/assignments`): `labs` are the labs in service it does not
 * set yet. The late policy and visibility are changed on the assignment's settings page.
 */
export function assignmentsBody(ctx: PageContext, courseId: string, assignments: Assignment[], labs: Lab[]): Html {
  const { t, lang } = ctx;
  const course = encodeURIComponent(courseId);
  const rows = assignments.map((a) => {
    const lab = `/courses/${course}/labs/${encodeURIComponent(a.labId)}`;
    return html`<tr><th scope="row"><code>${a.labId}</code></th><td>${formatDate(a.opensAt, lang) || '—'}</td><td>${a.dueAt ? formatDate(a.dueAt, lang) : t('noDue')}</td>
<td>${a.maxAttempts ?? '—'}</td><td>${t(a.scoring)}</td><td><a href="${lab}/settings">${t('settings')}</a> · <a href="${lab}/analytics">${t('analytics')}</a></td></tr>`;
  });
  const fields = html`${select('assign', 'labId', t('lab'), labs.map((l) => [l.definition.id, `${l.definition.id} — ${l.definition.title[lang]}`]))}
${input('assign', { name: 'opensAt', label: `${t('opens')} (JST)`, type: 'datetime-local' })}
${input('assign', { name: 'dueAt', label: `${t('due')} (JST)`, type: 'datetime-local' })}
${input('assign', { name: 'maxAttempts', label: t('maxAttempts'), type: 'number', attrs: html`min="1" max="1000" step="1"` })}
${select('assign', 'scoring', t('scoring'), [['best', t('best')], ['last', t('last')]])}`;
  const add =
    labs.length === 0
      ? html`<p>${t('everyLabSet')}</p>`
      : html`<p>${t('addAssignmentHelp')}</p>${apiForm(ctx, { id: 'assign', method: 'POST', path: `/v1/courses/${course}/assignments`, submit: t('addAssignment') }, fields)}`;
  return html`${courseNav(ctx, courseId)}
${section('assignments', t('assignments'), table(t('assignments'), [t('lab'), t('opens'), t('due'), t('maxAttempts'), t('scoring'), ''], rows, t('noAssignments')))}
${section('assign', t('addAssignment'), add)}`;
}

export function extensionsBody(ctx: PageContext, courseId: string, assignments: Array<{ assignment: Assignment; extensions: Extension[] }>): Html {
  const { t, lang } = ctx;
  const lists = assignments.map(({ assignment, extensions }) =>
    table(
      assignment.labId,
      [t('login'), t('due'), t('extraAttempts'), t('reason'), ''],
      extensions.map(
        (x, i) => html`<tr><th scope="row">${x.login}</th><td>${formatDate(x.dueAt, lang)}</td><td>${x.extraAttempts}</td><td>${x.reason}</td>
<td>${apiForm(ctx, { id: `unextend-${assignment.id}-${i}`, method: 'DELETE', path: `/v1/assignments/${assignment.id}/extensions/{login}`, body: 'none', submit: t('remove'), label: `${t('remove')}: ${assignment.labId} ${x.login}` }, hidden('login', x.login))}</td></tr>`,
      ),
      `${assignment.labId}: ${t('noExtensions')}`,
    ),
  );
  const fields = html`${select('extend', 'assignment', t('lab'), assignments.map(({ assignment }) => [assignment.id, assignment.labId]))}
${input('extend', { name: 'login', label: t('login'), required: true })}
${input('extend', { name: 'dueAt', label: `${t('due')} (JST)`, type: 'datetime-local' })}
${input('extend', { name: 'extraAttempts', label: t('extraAttempts'), type: 'number', attrs: html`min="0" max="1000" step="1"` })}
${input('extend', { name: 'reason', label: t('reason'), attrs: html`maxlength="2000"` })}`;
  return html`${courseNav(ctx, courseId)}
${section('extend', t('grantExtension'), apiForm(ctx, { id: 'extend', method: 'PUT', path: '/v1/assignments/{assignment}/extensions/{login}', submit: t('save') }, fields))}
${section('extensions', t('extensions'), html`${lists}`)}`;
}

export function webhooksBody(ctx: PageContext, courseId: string, endpoints: Array<{ endpoint: WebhookEndpoint; deliveries: DeliveryLogEntry[] }>): Html {
  const { t, lang } = ctx;
  const events = webhookEvent.options.map((e) => html`<label><input type="checkbox" name="events" value="${e}" checked> <code>${e}</code></label> `);
  const register = apiForm(
    ctx,
    { id: 'webhook', method: 'POST', path: `/v1/courses/${encodeURIComponent(courseId)}/webhooks`, show: 'id,secret', submit: t('register') },
    html`${input('webhook', { name: 'url', label: 'URL', type: 'url', required: true })}<fieldset><legend>${t('events')}</legend>${events}</fieldset>`,
  );
  const endpointSection = ({ endpoint, deliveries }: { endpoint: WebhookEndpoint; deliveries: DeliveryLogEntry[] }, n: number) => {
    const rows = deliveries.map(
      (d) => html`<tr><th scope="row"><code>${d.messageId}</code></th><td>${d.eventType}</td><td>${d.state}</td><td>${d.attempts}</td><td>${d.lastStatus ?? '—'} ${d.lastError ?? ''}</td><td>${formatDate(d.createdAt, lang)}</td>
<td>${apiForm(ctx, { id: `redeliver-${d.id}`, method: 'POST', path: `/v1/webhooks/${endpoint.id}/deliveries/${d.id}/redeliver`, body: 'none', submit: t('redeliver'), label: `${t('redeliver')}: ${d.messageId}` })}</td></tr>`,
    );
    return section(
      `endpoint-${n}`,
      endpoint.url,
      html`<p>${endpoint.events.join(', ')}${endpoint.disabledAt ? html` — <strong>${t('disabled')}</strong> ${endpoint.disabledReason ?? ''}` : ''}</p>
${table(`${t('deliveries')}: ${endpoint.url}`, ['webhook-id', t('event'), t('state'), t('attempts'), t('lastAnswer'), t('created'), ''], rows, t('noDeliveries'))}`,
    );
  };
  return html`${courseNav(ctx, courseId)}
${endpoints.map(endpointSection)}
${endpoints.length === 0 ? html`<p>${t('noWebhooks')}</p>` : ''}
${section('register', t('registerWebhook'), register)}`;
}

export function adminBody(ctx: PageContext, courses: Course[], users: User[], tokens: TokenInfo[]): Html {
  const { t, lang } = ctx;
  const courseRows = courses.map(
    (c, i) => html`<tr><th scope="row"><a href="/courses/${encodeURIComponent(c.id)}">${c.id}</a></th><td>${c.title}</td>
<td>${apiForm(ctx, { id: `rename-${i}`, method: 'PATCH', path: '/v1/courses/{id}', submit: t('rename'), label: `${t('rename')}: ${c.id}` }, html`${hidden('id', c.id)}<label for="rename-${i}-title" class="visually-hidden">${t('title')}: ${c.id}</label> <input id="rename-${i}-title" name="title" value="${c.title}" required>`)}</td></tr>`,
  );
  const userRows = users.map((u) => html`<tr><th scope="row">${u.login}</th><td>${u.displayName}</td><td>${u.role}</td></tr>`);
  const tokenRows = tokens.map((k, i) => {
    const live = !k.revokedAt;
    return html`<tr><th scope="row">${k.login}</th><td>${k.label}</td><td>${formatDate(k.createdAt, lang)}</td><td>${formatDate(k.expiresAt, lang)}</td><td>${live ? '' : formatDate(k.revokedAt, lang)}</td>
<td>${live ? html`${apiForm(ctx, { id: `revoke-${i}`, method: 'DELETE', path: `/v1/tokens/${k.id}`, body: 'none', submit: t('revoke'), label: `${t('revoke')}: ${k.login} ${k.label}` })} ${apiForm(ctx, { id: `rotate-${i}`, method: 'POST', path: `/v1/tokens/${k.id}/rotate`, body: 'none', show: 'token', submit: t('rotate'), label: `${t('rotate')}: ${k.login} ${k.label}` })}` : ''}</td></tr>`;
  });
  const roleOptions: Array<[string, string]> = [['student', t('student')], ['instructor', t('instructor')], ['admin', 'admin'], ['lms', 'LMS']];
  return html`
${section('courses', t('courses'), html`${table(t('courses'), ['id', t('title'), ''], courseRows, t('noCourses'))}
${apiForm(ctx, { id: 'course', method: 'POST', path: '/v1/courses', submit: t('createCourse') }, html`${input('course', { name: 'id', label: 'id', required: true })}${input('course', { name: 'title', label: t('title'), required: true })}`)}`)}
${section('users', t('users'), html`${table(t('users'), [t('login'), t('name'), t('role')], userRows, '—')}
${apiForm(ctx, { id: 'user', method: 'POST', path: '/v1/users', submit: t('createUser') }, html`${input('user', { name: 'login', label: t('login'), required: true })}${input('user', { name: 'displayName', label: t('name'), required: true })}${select('user', 'role', t('role'), roleOptions)}`)}`)}
${section('tokens', t('tokens'), html`${table(t('tokens'), [t('login'), t('label'), t('created'), t('expires'), t('revoked'), ''], tokenRows, '—')}
<h3 id="issue-heading">${t('issueToken')}</h3>
${apiForm(ctx, { id: 'token', method: 'POST', path: '/v1/users/{login}/tokens', show: 'id,token', submit: t('issueToken') }, html`${input('token', { name: 'login', label: t('login'), required: true })}${input('token', { name: 'label', label: t('label') })}${input('token', { name: 'expiresAt', label: `${t('expires')} (JST)`, type: 'datetime-local' })}`)}`)}`;
}
