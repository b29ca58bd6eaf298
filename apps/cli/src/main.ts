import { formatIssue } from '@kadai/errors';
import { checkCoverage, loadCatalog, loadSelfTests, type CheckCoverage } from '@kadai/catalog';
import { checkValidators } from '@kadai/graders';
import { ApiError, KadaiClient } from '@kadai/client';
import { packDirectory } from '@kadai/intake';
import { runSelfTests } from '@kadai/selftest';
import { Command, CommanderError, Option } from 'commander';
import { readFile, stat } from 'node:fs/promises';
import { addAdminCommands } from './admin';
import { readCliConfig } from './config';
import { renderLabsStatus, renderResult } from './render';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { version } = require('../package.json') as { version: string };

/** A command line kadai cannot run as given (exit 2, like commander's own usage errors). */
class UsageError extends Error {}

const config = readCliConfig();
const program = new Command('kadai').description('Submit lab work to kadai and see why each check passed or failed');
program
  .version(version, '--version', 'print the version')
  .addOption(new Option('--api-url <url>', 'kadai API').env('KADAI_API_URL').default(config.apiUrl))
  .addOption(new Option('--token <token>', 'API token').env('KADAI_TOKEN'))
  .addOption(new Option('--lang <lang>', 'language of feedback').choices(['ja', 'en']).default(config.lang))
  .option('--json', 'print JSON (the API answer as it is) instead of text')
;

function client(): KadaiClient {
  const { apiUrl, token } = program.opts<{ apiUrl: string; token?: string }>();
  if (!token) throw new UsageError('no token: pass --token or set KADAI_TOKEN');
  return new KadaiClient(apiUrl, token);
}
const lang = () => program.opts<{ lang: 'ja' | 'en' }>().lang;
const json = () => Boolean(program.opts<{ json?: boolean }>().json);
/** Prints text, or with --json the value given. */
const show = (value: unknown, text: () => string) => console.log(json() ? JSON.stringify(value, null, 2) : text());

program
  .command('submit <lab> <path>')
  .description('submit a folder (packed as tar.gz) or an archive file, wait for grading, print each check; exit 0 only on full marks')
  .option('--no-wait', 'print the submission id and return at once')
  .option('-v, --verbose', 'show evidence of failed checks')
  .option('--timeout <seconds>', 'how long to wait for the result', '900')
  .action(async (lab: string, path: string, opts: { wait: boolean; verbose?: boolean; timeout: string }) => {
    const archive = (await stat(path)).isDirectory() ? await packDirectory(path, { exclude: (p) => p === 'expect.yaml' }) : await readFile(path);
    const accepted = await client().submitArchive(lab, archive);
    if (!opts.wait) return show(accepted, () => `submitted ${accepted.id} (attempt ${accepted.attempt ?? '-'})`);
    if (!json()) console.log(`submitted ${accepted.id} (attempt ${accepted.attempt ?? '-'})`);
    const view = await client().waitForResult(accepted.id, Number(opts.timeout) * 1000, (v) => process.stderr.write(`  ${v.state}\n`));
    show(view, () => renderResult(view, lang(), Boolean(opts.verbose)));
    process.exitCode = view.state === 'graded' && view.score === view.maxScore ? 0 : 1;
  });

program
  .command('status <id>')
  .description('show a submission')
  .option('-v, --verbose', 'show evidence of failed checks')
  .action(async (id: string, opts: { verbose?: boolean }) => {
    const view = await client().submission(id);
    show(view, () => renderResult(view, lang(), Boolean(opts.verbose)));
  });

const labs = program.command('labs').description('the lab catalog');
labs.command('list').action(async () => {
  const { labs: list } = await client().labs();
  show({ labs: list }, () => list.map((lab) => `${lab.id.padEnd(24)} ${lab.kind.padEnd(10)} ch${lab.chapter}  ${lab.maxPoints} pts  ${lab.title[lang()]}`).join('\n'));
});
labs.command('show <id>').action(async (id: string) => console.log(JSON.stringify(await client().lab(id), null, 2)));
labs
  .command('reload')
  .description("make the api read its labs folder again and publish it (admin): labs added or changed take effect without a restart, a lab whose folder is gone is withdrawn; a lab that fails validation is refused (file:line) and its old version stays")
  .action(async () => {
    const { labs: changes } = (await client().call('POST', '/v1/labs/reload')) as { labs: Array<{ id: string; change: string; version: string | null; previousVersion: string | null }> };
    show({ labs: changes }, () => changes.map((l) => `${l.id.padEnd(24)} ${l.change.padEnd(9)} ${l.change === 'updated' ? `${l.previousVersion} → ` : ''}${l.version ?? '-'}`).join('\n'));
  });
labs
  .command('status')
  .description("what `kadai labs reload` would do (instructor or admin): each lab's published version, its version in the api's labs folder now, withdrawn or not, and the refused folders' problems (file:line:col)")
  .action(async () => {
    const status = await client().labsStatus();
    show(status, () => renderLabsStatus(status));
  });
labs
  .command('validate [dir]')
  .description('check every lab.yaml and its self-test cases; prints file:line:col: message')
  .action(async (dir?: string) => {
    const { labs: loaded, issues } = await loadCatalog(dir ?? config.labsDir, checkValidators);
    show({ valid: loaded.size, issues: issues.map((i) => ({ ...i, text: formatIssue(i) })) }, () => [...issues.map(formatIssue), `${loaded.size} lab(s) valid, ${issues.length} problem(s)`].join('\n'));
    process.exitCode = issues.length > 0 ? 1 : 0;
  });
labs
  .command('unfailed [dir]')
  .description('list, for every lab, the checks no wrong variant fails and the lab does not declare in unfailed.yaml')
  .action(async (dir?: string) => {
    const { labs: loaded, issues } = await loadCatalog(dir ?? config.labsDir, checkValidators);
    const gaps: CheckCoverage[] = [];
    for (const lab of loaded.values()) {
      const { coverage } = await checkCoverage(lab, (await loadSelfTests(lab)).cases);
      if (coverage.undeclared.length > 0) gaps.push(coverage);
    }
    show({ gaps, issues: issues.map(formatIssue) }, () => [...issues.map(formatIssue), ...gaps.map((g) => `${g.lab}: ${g.undeclared.join(', ')}`), `${gaps.reduce((n, g) => n + g.undeclared.length, 0)} check(s) no variant fails in ${gaps.length} lab(s)`].join('\n'));
    process.exitCode = issues.length > 0 || gaps.length > 0 ? 1 : 0;
  });
labs
  .command('test [id]')
  .description("submit each lab's solution and wrong variants through the API and check each scores as it should (instructor token)")
  .option('--all', 'every lab')
  .option('--dir <dir>', 'labs folder', config.labsDir)
  .option('--concurrency <n>', 'cases in flight', '8')
  .action(async (id: string | undefined, opts: { all?: boolean; dir: string; concurrency: string }) => {
    const { labs: loaded, issues } = await loadCatalog(opts.dir, checkValidators);
    for (const issue of issues) console.log(formatIssue(issue));
    if (!id && !opts.all) throw new UsageError('name a lab or pass --all');
    const selected = [...loaded.values()].filter((l) => opts.all || l.definition.id === id);
    if (selected.length === 0) throw new Error(`no lab "${id}" in ${opts.dir}`);
    const outcomes = await runSelfTests(client(), selected, {
      concurrency: Number(opts.concurrency),
      onOutcome: (o) => !json() && console.log(`${o.ok ? 'ok  ' : 'FAIL'}  ${o.lab} ${o.case}: ${o.detail}`),
    });
    const failed = outcomes.filter((o) => !o.ok).length + issues.length;
    show({ outcomes, passed: outcomes.length - outcomes.filter((o) => !o.ok).length, failed }, () => `${outcomes.filter((o) => o.ok).length} passed, ${failed} failed`);
    process.exitCode = failed > 0 ? 1 : 0;
  });

addAdminCommands(program, client, { json });
const withExitOverride = (command: Command): void => {
  command.exitOverride();
  command.commands.forEach(withExitOverride);
};
withExitOverride(program);

// Exit codes: 0 done (submit: full marks), 1 the work or the API said no (a problem printed),
// 2 the command line itself is wrong (unknown command or option, missing argument or token).
program.parseAsync().catch((error: Error) => {
  if (error instanceof CommanderError) {
    // commander printed the message (or the help / version, which are not errors)
    process.exitCode = error.exitCode === 0 ? 0 : 2;
    return;
  }
  console.error(`kadai: ${error.message}`);
  // with --json, what the API refused is also printed as its problem document, for scripts to read
  if (json() && error instanceof ApiError) console.log(JSON.stringify(error.problem, null, 2));
  process.exitCode = error instanceof UsageError ? 2 : 1;
});
