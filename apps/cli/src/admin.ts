import type { KadaiClient } from '@kadai/client';
import { Command, Option } from 'commander';
import { readFile } from 'node:fs/promises';

type Row = Record<string, unknown>;

/** How the admin commands print: the API's JSON as it is (--json), or one line per item. */
export interface Output {
  json: () => boolean;
}

const cell = (value: unknown) => (value === null || value === undefined ? '-' : value instanceof Object ? JSON.stringify(value) : String(value));

function print(output: Output, body: unknown, listKey?: string, columns?: string[]): void {
  if (output.json()) return void console.log(JSON.stringify(body, null, 2));
  if (body === null) return void console.log('done');
  const items = listKey ? ((body as Row)[listKey] as Row[]) : [body as Row];
  const keys = columns ?? Object.keys(items[0] ?? {});
  for (const item of items) console.log(keys.map((k) => cell(item[k])).join('\t'));
  if (listKey && items.length === 0) console.log(`(no ${listKey})`);
}

const enc = encodeURIComponent;
const dateOption = (flag: string, what: string) => new Option(flag, `${what} (ISO 8601 with offset, e.g. 2027-01-31T23:59:00+09:00)`);

/**
 * The administration commands: thin over the API (the API decides who may do what), so anything the
 * API refuses is printed as its problem (file:line for a roster) and the command exits 1.
 */
export function addAdminCommands(program: Command, client: () => KadaiClient, output: Output): void {
  const run = (method: string, path: string, body?: unknown, listKey?: string, columns?: string[], headers?: Record<string, string>) => async () =>
    print(output, await client().call(method, path, body, headers), listKey, columns);

  const courses = program.command('courses').description('courses (create: admin)');
  courses.command('list').action(run('GET', '/v1/courses', undefined, 'courses', ['id', 'myRole', 'title']));
  courses.command('create <id> <title>').action((id: string, title: string) => run('POST', '/v1/courses', { id, title })());
  courses.command('show <id>').action((id: string) => run('GET', `/v1/courses/${enc(id)}`)());
  courses.command('members <id>').description('who is enrolled').action((id: string) => run('GET', `/v1/courses/${enc(id)}/enrollments`, undefined, 'enrollments', ['login', 'role', 'displayName'])());
  courses
    .command('enrol <course> <login>')
    .addOption(new Option('--role <role>').choices(['student', 'instructor']).default('student'))
    .action((course: string, login: string, o: { role: string }) => run('PUT', `/v1/courses/${enc(course)}/enrollments/${enc(login)}`, { role: o.role })());
  courses.command('unenrol <course> <login>').action((course: string, login: string) => run('DELETE', `/v1/courses/${enc(course)}/enrollments/${enc(login)}`)());
  courses
    .command('import-roster <course> <csv>')
    .description('enrol everyone in a CSV (header login,name,role); any bad row and nothing is imported')
    .option('--idempotency-key <key>', 'a retry with the same key is applied once')
    .action(async (course: string, csv: string, o: { idempotencyKey?: string }) =>
      run('POST', `/v1/courses/${enc(course)}/roster`, await readFile(csv, 'utf8'), undefined, undefined, o.idempotencyKey ? { 'idempotency-key': o.idempotencyKey } : {})(),
    );

  const assignments = program.command('assignments').description("a course's assignments and per-student extensions");
  const settings = (cmd: Command) =>
    cmd
      .addOption(dateOption('--opens <at>', 'opens at'))
      .addOption(dateOption('--due <at>', 'due at'))
      .option('--max-attempts <n>', 'attempt limit', Number)
      .addOption(new Option('--scoring <how>').choices(['best', 'last']))
      .option('--late-policy <json>', 'e.g. {"mode":"penalty","percentPerDay":10,"maxDaysLate":7}', (v: string) => JSON.parse(v) as unknown)
      .addOption(new Option('--visibility <v>', "every check's visibility, over the lab's").choices(['visible', 'hidden', 'after_due']))
      .option('--check-visibility <json>', 'per check id, over --visibility and the lab\'s, e.g. {"q3":"hidden"} ({} clears)', (v: string) => JSON.parse(v) as unknown);
  const body = (o: { opens?: string; due?: string; maxAttempts?: number; scoring?: string; latePolicy?: unknown; visibility?: string; checkVisibility?: unknown }) => ({
    ...(o.opens ? { opensAt: o.opens } : {}),
    ...(o.due ? { dueAt: o.due } : {}),
    ...(o.maxAttempts !== undefined ? { maxAttempts: o.maxAttempts } : {}),
    ...(o.scoring ? { scoring: o.scoring } : {}),
    ...(o.latePolicy ? { latePolicy: o.latePolicy } : {}),
    ...(o.visibility ? { visibility: o.visibility } : {}),
    ...(o.checkVisibility ? { checkVisibility: o.checkVisibility } : {}),
  });
  assignments.command('list <course>').action((course: string) => run('GET', `/v1/courses/${enc(course)}/assignments`, undefined, 'assignments', ['id', 'labId', 'dueAt', 'maxAttempts', 'scoring'])());
  settings(assignments.command('create <course> <lab>')).action((course: string, lab: string, o: Parameters<typeof body>[0]) => run('POST', `/v1/courses/${enc(course)}/assignments`, { labId: lab, ...body(o) })());
  settings(assignments.command('set <assignment>').description('change the settings named')).action((id: string, o: Parameters<typeof body>[0]) => run('PATCH', `/v1/assignments/${enc(id)}`, body(o))());
  assignments
    .command('extend <assignment> <login>')
    .description("a student's own due date and/or extra attempts")
    .addOption(dateOption('--due <at>', 'their due date'))
    .option('--extra-attempts <n>', 'attempts beyond the limit', Number)
    .option('--reason <text>', 'kept with the extension', '')
    .action((id: string, login: string, o: { due?: string; extraAttempts?: number; reason: string }) =>
      run('PUT', `/v1/assignments/${enc(id)}/extensions/${enc(login)}`, { ...(o.due ? { dueAt: o.due } : {}), ...(o.extraAttempts !== undefined ? { extraAttempts: o.extraAttempts } : {}), reason: o.reason })(),
    );
  assignments.command('extensions <assignment>').action((id: string) => run('GET', `/v1/assignments/${enc(id)}/extensions`, undefined, 'extensions', ['login', 'dueAt', 'extraAttempts', 'reason'])());

  const users = program.command('users').description('users (admin; the LMS creates students and instructors)');
  users.command('list').addOption(new Option('--role <role>').choices(['student', 'instructor', 'admin', 'lms'])).action((o: { role?: string }) => run('GET', `/v1/users${o.role ? `?role=${o.role}` : ''}`, undefined, 'users', ['login', 'role', 'displayName'])());
  users
    .command('create <login> <name>')
    .addOption(new Option('--role <role>').choices(['student', 'instructor', 'admin', 'lms']).default('student'))
    .action((login: string, displayName: string, o: { role: string }) => run('POST', '/v1/users', { login, displayName, role: o.role })());

  const tokens = program.command('tokens').description('API tokens: your own, or anyone’s as an admin');
  tokens.command('list').option('--login <login>', "a user's (admin)").action((o: { login?: string }) => run('GET', `/v1/tokens${o.login ? `?login=${enc(o.login)}` : ''}`, undefined, 'tokens', ['id', 'login', 'label', 'expiresAt', 'revokedAt'])());
  tokens
    .command('issue <login>')
    .description('prints the token once')
    .option('--label <label>', 'what it is for', '')
    .addOption(dateOption('--expires <at>', 'stops working at'))
    .action((login: string, o: { label: string; expires?: string }) => run('POST', `/v1/users/${enc(login)}/tokens`, { label: o.label, ...(o.expires ? { expiresAt: o.expires } : {}) }, undefined, ['id', 'token'])());
  tokens.command('revoke <id>').action((id: string) => run('DELETE', `/v1/tokens/${enc(id)}`)());
  tokens.command('rotate <id>').description('a new token for the same user, label and expiry; the old one stops at once').action((id: string) => run('POST', `/v1/tokens/${enc(id)}/rotate`, undefined, undefined, ['id', 'token'])());

  const webhooks = program.command('webhooks').description("a course's webhooks (Standard Webhooks) and their delivery log");
  webhooks.command('list <course>').action((course: string) => run('GET', `/v1/courses/${enc(course)}/webhooks`, undefined, 'webhooks', ['id', 'url', 'events', 'disabledAt'])());
  webhooks
    .command('add <course> <url>')
    .description('prints the signing secret once')
    .option('--events <list>', 'comma-separated: submission.graded,submission.error,submission.regraded')
    .action((course: string, url: string, o: { events?: string }) => run('POST', `/v1/courses/${enc(course)}/webhooks`, { url, ...(o.events ? { events: o.events.split(',') } : {}) }, undefined, ['id', 'secret'])());
  webhooks.command('remove <id>').action((id: string) => run('DELETE', `/v1/webhooks/${enc(id)}`)());
  webhooks.command('rotate-secret <id>').action((id: string) => run('POST', `/v1/webhooks/${enc(id)}/rotate-secret`)());
  webhooks.command('enable <id>').action((id: string) => run('POST', `/v1/webhooks/${enc(id)}/enable`)());
  webhooks.command('disable <id>').action((id: string) => run('POST', `/v1/webhooks/${enc(id)}/disable`)());
  webhooks.command('deliveries <id>').action((id: string) => run('GET', `/v1/webhooks/${enc(id)}/deliveries`, undefined, 'deliveries', ['id', 'eventType', 'state', 'attempts', 'lastStatus', 'lastError'])());
  webhooks.command('redeliver <id> <delivery>').action((id: string, delivery: string) => run('POST', `/v1/webhooks/${enc(id)}/deliveries/${enc(delivery)}/redeliver`)());
}
