import { formatIssue } from '@kadai/errors';
import { loadCatalog } from '@kadai/catalog';
import { checkValidators } from '@kadai/graders';
import { KadaiClient } from '@kadai/client';
import { packDirectory } from '@kadai/intake';
import { runSelfTests } from '@kadai/selftest';
import { Command, Option } from 'commander';
import { readFile, stat } from 'node:fs/promises';
import { readCliConfig } from './config';
import { renderResult } from './render';

const config = readCliConfig();
const program = new Command('kadai').description('Submit lab work to kadai and see why each check passed or failed');
program
  .addOption(new Option('--api-url <url>', 'kadai API').env('KADAI_API_URL').default(config.apiUrl))
  .addOption(new Option('--token <token>', 'API token').env('KADAI_TOKEN'))
  .addOption(new Option('--lang <lang>', 'language of feedback').choices(['ja', 'en']).default(config.lang));

function client(): KadaiClient {
  const { apiUrl, token } = program.opts<{ apiUrl: string; token?: string }>();
  if (!token) throw new Error('no token: pass --token or set KADAI_TOKEN');
  return new KadaiClient(apiUrl, token);
}
const lang = () => program.opts<{ lang: 'ja' | 'en' }>().lang;

program
  .command('submit <lab> <path>')
  .description('submit a folder (packed as tar.gz) or an archive file, wait for grading, print each check; exit 0 only on full marks')
  .option('--no-wait', 'print the submission id and return at once')
  .option('-v, --verbose', 'show evidence of failed checks')
  .option('--timeout <seconds>', 'how long to wait for the result', '900')
  .action(async (lab: string, path: string, opts: { wait: boolean; verbose?: boolean; timeout: string }) => {
    const archive = (await stat(path)).isDirectory() ? await packDirectory(path, { exclude: (p) => p === 'expect.yaml' }) : await readFile(path);
    const accepted = await client().submitArchive(lab, archive);
    console.log(`submitted ${accepted.id} (attempt ${accepted.attempt ?? '-'})`);
    if (!opts.wait) return;
    const view = await client().waitForResult(accepted.id, Number(opts.timeout) * 1000, (v) => process.stderr.write(`  ${v.state}\n`));
    console.log(renderResult(view, lang(), Boolean(opts.verbose)));
    process.exitCode = view.state === 'graded' && view.score === view.maxScore ? 0 : 1;
  });

program
  .command('status <id>')
  .description('show a submission')
  .option('-v, --verbose', 'show evidence of failed checks')
  .action(async (id: string, opts: { verbose?: boolean }) => {
    const view = await client().submission(id);
    console.log(renderResult(view, lang(), Boolean(opts.verbose)));
  });

const labs = program.command('labs').description('the lab catalog');
labs.command('list').action(async () => {
  for (const lab of (await client().labs()).labs) console.log(`${lab.id.padEnd(24)} ${lab.kind.padEnd(10)} ch${lab.chapter}  ${lab.maxPoints} pts  ${lab.title[lang()]}`);
});
labs.command('show <id>').action(async (id: string) => console.log(JSON.stringify(await client().lab(id), null, 2)));
labs
  .command('validate [dir]')
  .description('check every lab.yaml and its self-test cases; prints file:line:col: message')
  .action(async (dir?: string) => {
    const { labs: loaded, issues } = await loadCatalog(dir ?? config.labsDir, checkValidators);
    for (const issue of issues) console.log(formatIssue(issue));
    console.log(`${loaded.size} lab(s) valid, ${issues.length} problem(s)`);
    process.exitCode = issues.length > 0 ? 1 : 0;
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
    if (!id && !opts.all) throw new Error('name a lab or pass --all');
    const selected = [...loaded.values()].filter((l) => opts.all || l.definition.id === id);
    if (selected.length === 0) throw new Error(`no lab "${id}" in ${opts.dir}`);
    const outcomes = await runSelfTests(client(), selected, {
      concurrency: Number(opts.concurrency),
      onOutcome: (o) => console.log(`${o.ok ? 'ok  ' : 'FAIL'}  ${o.lab} ${o.case}: ${o.detail}`),
    });
    const failed = outcomes.filter((o) => !o.ok).length + issues.length;
    console.log(`${outcomes.filter((o) => o.ok).length} passed, ${failed} failed`);
    process.exitCode = failed > 0 ? 1 : 0;
  });

program.parseAsync().catch((error: Error) => {
  console.error(`kadai: ${error.message}`);
  process.exitCode = 2;
});
