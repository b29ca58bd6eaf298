import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { transformSync, version as esbuildVersion } from 'esbuild';

/**
 * kadai's apps and packages as plain JavaScript, for the processes the tests start (api, workers,
 * the demo seed). Started from source through tsx, each process spent ~3 CPU-seconds loading its
 * modules (a worker: 3.1 s against 0.6 s compiled), and the tests start a few hundred of them on a
 * 2-core machine that is already saturated. The tree mirrors the checkout: every .ts file is
 * transpiled in place (esbuild, as tsx does), everything else is a symlink to the original, so
 * paths a module reads beside itself (migrations, page assets, the Go helper's source) resolve as
 * they do from source. It is keyed by a hash of the sources, so a test never runs stale code, and
 * built into a temporary folder that is renamed into place: suites started at once share one build.
 */
const ROOT = path.resolve(__dirname, '..', '..');
const COMPILED_ROOT = path.join(ROOT, '.kadai', 'compiled');
/** Builds older than this of other source states are removed (another suite may still run one). */
const KEEP_OTHER_BUILDS_MS = 6 * 60 * 60 * 1000;
const TSCONFIG = JSON.parse(readFileSync(path.join(ROOT, 'tsconfig.base.json'), 'utf8')) as { compilerOptions: Record<string, unknown> };

interface Workspace {
  dir: string;
  name: string;
}

function workspaces(): Workspace[] {
  return ['apps', 'packages'].flatMap((group) =>
    readdirSync(path.join(ROOT, group))
      .map((entry) => path.join(group, entry))
      .filter((dir) => existsSync(path.join(ROOT, dir, 'package.json')))
      .map((dir) => ({ dir, name: (JSON.parse(readFileSync(path.join(ROOT, dir, 'package.json'), 'utf8')) as { name: string }).name })),
  );
}

/** Every file under a folder (relative paths), node_modules left out. */
function filesUnder(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(dir, entry.name);
    if (entry.name === 'node_modules') return [];
    return entry.isDirectory() ? filesUnder(relative) : [relative];
  });
}

const isSource = (file: string) => file.endsWith('.ts') && !file.endsWith('.test.ts') && !file.endsWith('.d.ts');

/** What the tree is made of: the sources, every workspace's top-level entries (linked), and how it is made (esbuild, tsconfig, this file). */
function sourceHash(all: Workspace[]): string {
  const hash = createHash('sha256').update(`esbuild ${esbuildVersion}\n`).update(readFileSync(__filename)).update(JSON.stringify(TSCONFIG));
  for (const { dir } of all) {
    hash.update(`${dir}: ${readdirSync(path.join(ROOT, dir)).sort().join(' ')}\n`);
    for (const file of [path.join(dir, 'package.json'), ...filesUnder(path.join(dir, 'src'))]) {
      hash.update(`${file}\n`);
      if (isSource(file) || file.endsWith('package.json')) hash.update(readFileSync(path.join(ROOT, file)));
    }
  }
  return hash.digest('hex').slice(0, 16);
}

function buildInto(target: string, all: Workspace[]): void {
  for (const { dir, name } of all) {
    const from = path.join(ROOT, dir);
    const to = path.join(target, dir);
    mkdirSync(to, { recursive: true });
    for (const entry of readdirSync(from)) {
      if (entry === 'src' || entry === 'package.json') continue;
      symlinkSync(path.join(from, entry), path.join(to, entry));
    }
    const manifest = JSON.parse(readFileSync(path.join(from, 'package.json'), 'utf8')) as { main?: string };
    if (manifest.main) manifest.main = manifest.main.replace(/\.ts$/, '.js');
    writeFileSync(path.join(to, 'package.json'), JSON.stringify(manifest, null, 2));
    for (const file of filesUnder(path.join(dir, 'src'))) {
      if (file.endsWith('.test.ts')) continue;
      mkdirSync(path.join(target, path.dirname(file)), { recursive: true });
      if (!isSource(file)) {
        symlinkSync(path.join(ROOT, file), path.join(target, file));
        continue;
      }
      const { code } = transformSync(readFileSync(path.join(ROOT, file), 'utf8'), {
        loader: 'ts',
        format: 'cjs',
        platform: 'node',
        target: 'node20',
        sourcefile: path.join(ROOT, file),
        tsconfigRaw: { compilerOptions: TSCONFIG.compilerOptions },
      });
      writeFileSync(path.join(target, file.replace(/\.ts$/, '.js')), code);
    }
    // @kadai/<name> resolves to the compiled twin; every other dependency to the checkout's node_modules
    mkdirSync(path.join(target, 'node_modules', path.dirname(name)), { recursive: true });
    // (any other module is found by walking up the folders: .kadai/compiled/<hash> is in the checkout)
    symlinkSync(path.relative(path.join(target, 'node_modules', path.dirname(name)), to), path.join(target, 'node_modules', name));
  }
}

function pruneOtherBuilds(keep: string): void {
  for (const entry of readdirSync(COMPILED_ROOT)) {
    const dir = path.join(COMPILED_ROOT, entry);
    // (another suite's temporary build may be renamed or removed meanwhile: gone is fine)
    const modified = statSync(dir, { throwIfNoEntry: false })?.mtimeMs;
    if (dir !== keep && modified !== undefined && Date.now() - modified > KEEP_OTHER_BUILDS_MS) rmSync(dir, { recursive: true, force: true });
  }
}

let built: string | undefined;

/** The folder holding the compiled tree of the sources as they are now (built on first use). */
export function compiledTree(): string {
  if (built) return built;
  const all = workspaces();
  const target = path.join(COMPILED_ROOT, sourceHash(all));
  if (!existsSync(path.join(target, '.complete'))) {
    const temporary = `${target}.${process.pid}.tmp`;
    rmSync(temporary, { recursive: true, force: true });
    mkdirSync(temporary, { recursive: true });
    buildInto(temporary, all);
    writeFileSync(path.join(temporary, '.complete'), '');
    try {
      renameSync(temporary, target);
    } catch (error) {
      // another suite renamed its identical build into place first
      rmSync(temporary, { recursive: true, force: true });
      if (!existsSync(path.join(target, '.complete'))) throw error;
    }
  }
  utimesSync(target, new Date(), new Date());
  pruneOtherBuilds(target);
  built = target;
  return target;
}

/** The compiled twin of a process's entry file ('apps/api/src/main.ts' → …/apps/api/src/main.js). */
export function compiledEntry(script: string): string {
  return path.join(compiledTree(), script.replace(/\.ts$/, '.js'));
}
