import { formatIssue, type InputIssue } from '@kadai/errors';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Lab } from './lab';
import { loadLab, type CheckValidators } from './load';

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

/**
 * The catalog a running api or worker grades with, as a map of lab id → lab that changes in place:
 * a lab added to or changed in its folder takes effect on `reload` without a restart. A lab that fails
 * validation is not loaded and its previous version stays in use. A lab whose folder was removed
 * stays too (its submissions still need it) until the process restarts.
 */
export class LiveCatalog extends Map<string, Lab> {
  /** One reload at a time: two at once would interleave their reads of a folder. */
  private pending: Promise<unknown> = Promise.resolve();

  constructor(
    readonly dir: string,
    private readonly validators: CheckValidators = {},
  ) {
    super();
  }

  /** For servers at start-up: the whole catalog, or a failure listing every problem as file:line:col. */
  static async load(dir: string, validators: CheckValidators = {}): Promise<LiveCatalog> {
    const catalog = new LiveCatalog(dir, validators);
    const { issues } = await catalog.reload();
    if (issues.length > 0) {
      const lines = issues.map((i) => `  ${formatIssue(i)}`).join('\n');
      throw new Error(`the lab catalog in ${dir} has ${issues.length} problem(s):\n${lines}`);
    }
    return catalog;
  }

  /** Every lab folder read again. */
  reload(): Promise<Reload> {
    return this.serially(async () => {
      const entries = await readdir(this.dir, { withFileTypes: true });
      const ids = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort((a, b) => a.localeCompare(b));
      return this.loadEach(ids);
    });
  }

  /** One lab's folder read again (another process reloaded it). */
  reloadLab(id: string): Promise<Reload> {
    if (id !== path.basename(id) || id.startsWith('.')) return Promise.resolve({ labs: [], issues: [{ message: `"${id}" is not a lab id` }] });
    return this.serially(() => this.loadEach([id]));
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const result = this.pending.then(work);
    this.pending = result.catch(() => undefined);
    return result;
  }

  private async loadEach(ids: string[]): Promise<Reload> {
    const reload: Reload = { labs: [], issues: [] };
    for (const id of ids) {
      const { lab, issues } = await loadLab(path.join(this.dir, id), this.validators);
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
    return reload;
  }
}
