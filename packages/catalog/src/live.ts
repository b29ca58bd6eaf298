import type { InputIssue } from '@kadai/errors';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Lab, LabFiles } from './lab';
import { labFromFiles, loadLab, type CheckValidators } from './load';

/** What a reload did to one lab: `refused` keeps the version loaded before (if any), the lab's issues say why. */
export interface LabChange {
  id: string;
  change: 'added' | 'updated' | 'unchanged' | 'refused';
  /** The version now in use (null: a new lab that was refused). */
  version: string | null;
  previousVersion: string | null;
}

export interface Reload {
  labs: LabChange[];
  /** Every problem of the refused labs, as file:line:col. */
  issues: InputIssue[];
}

/** One lab folder as last read: the version it holds, or null and the problems that refused it. */
export interface FolderLab {
  id: string;
  version: string | null;
  issues: InputIssue[];
}

/**
 * The catalog a running api or worker grades with, as a map of lab id → lab that changes in place:
 * `reload` reads the labs folder again (a lab that fails validation is refused and the version held
 * before stays), `adopt` takes a version from its content (the one PostgreSQL publishes, `@kadai/db`).
 * A lab whose folder was removed stays held: its pending submissions and regrades still need it
 * (PostgreSQL records it withdrawn once a reload finds its folder gone, `@kadai/db`).
 * Grading reads only the `Lab` (its `files`), never the folder.
 */
export class LiveCatalog extends Map<string, Lab> {
  /** One change at a time: two reloads at once would interleave their reads of a folder. */
  private pending: Promise<unknown> = Promise.resolve();
  private folder = new Map<string, FolderLab>();

  constructor(
    readonly dir: string,
    private readonly validators: CheckValidators = {},
  ) {
    super();
  }

  /**
   * For servers at start-up: every valid lab of the folder. A refused one (see `folderLabs`) never
   * stops the process: it grades the others, and that lab at the version PostgreSQL publishes.
   */
  static async load(dir: string, validators: CheckValidators = {}): Promise<LiveCatalog> {
    const catalog = new LiveCatalog(dir, validators);
    await catalog.reload();
    return catalog;
  }

  /**
   * Every lab folder as it is now, read without changing what this catalog holds (what a reload
   * would find). Problems name files relative to the labs folder (`quiz-ch01/lab.yaml:5:3`): they
   * reach API clients, which have no business knowing where the server keeps its labs.
   */
  async scan(): Promise<Array<FolderLab & { lab?: Lab }>> {
    const entries = await readdir(this.dir, { withFileTypes: true });
    const ids = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort((a, b) => a.localeCompare(b));
    const read: Array<FolderLab & { lab?: Lab }> = [];
    for (const id of ids) {
      const { lab, issues } = await loadLab(path.join(this.dir, id), this.validators);
      read.push({ id, version: lab?.version ?? null, issues: issues.map((issue) => this.relative(issue)), lab });
    }
    return read;
  }

  /** Every lab folder read again: each valid one held from now on. */
  reload(): Promise<Reload> {
    return this.serially(async () => {
      const read = await this.scan();
      const reload: Reload = { labs: [], issues: [] };
      for (const { id, lab, issues } of read) {
        const previousVersion = this.get(id)?.version ?? null;
        if (!lab) {
          reload.issues.push(...issues);
          reload.labs.push({ id, change: 'refused', version: previousVersion, previousVersion });
          continue;
        }
        this.set(id, lab);
        const change = previousVersion === null ? 'added' : previousVersion === lab.version ? 'unchanged' : 'updated';
        reload.labs.push({ id, change, version: lab.version, previousVersion });
      }
      this.folder = new Map(read.map(({ id, version, issues }) => [id, { id, version, issues }]));
      return reload;
    });
  }

  /**
   * Holds the lab made of these files (a version another process published) instead of the one held;
   * refused if they fail validation here or do not hash to `version` (content-addressed).
   */
  adopt(id: string, version: string, files: LabFiles): Promise<{ lab?: Lab; issues: InputIssue[] }> {
    return this.serially(async () => {
      const { lab, issues } = labFromFiles(path.join(this.dir, id), files, this.validators);
      if (lab && lab.version !== version) return { issues: [{ message: `its files hash to version ${lab.version}, not ${version}` }] };
      if (lab) this.set(id, lab);
      return { lab, issues: issues.map((issue) => this.relative(issue)) };
    });
  }

  /** The lab folders as last read (at start or the last reload), refused ones with their problems. */
  folderLabs(): FolderLab[] {
    return [...this.folder.values()];
  }

  /** The issue with its file relative to the labs folder (KADAI_LABS_DIR may itself be relative). */
  private relative(issue: InputIssue): InputIssue {
    if (!issue.file) return issue;
    const file = path.relative(path.resolve(this.dir), path.resolve(issue.file));
    return file.startsWith('..') || path.isAbsolute(file) ? issue : { ...issue, file };
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const result = this.pending.then(work);
    this.pending = result.catch(() => undefined);
    return result;
  }
}
