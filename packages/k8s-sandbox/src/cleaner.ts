import { isNotFound, messageOf } from './errors';

/**
 * Undo steps registered as things are created, run last-in first-out (chainsaw's cleaner): what
 * was made last, and may depend on what came before, goes first. Something already gone is
 * fine; every other failure is collected and reported once all steps have run.
 */
export class Cleaner {
  private readonly steps: { what: string; undo: () => Promise<unknown> }[] = [];

  add(what: string, undo: () => Promise<unknown>): void {
    this.steps.push({ what, undo });
  }

  get size(): number {
    return this.steps.length;
  }

  /** Runs every step (newest first) once; resolves with the failures, empty when all went. */
  async run(): Promise<string[]> {
    const failures: string[] = [];
    for (let step = this.steps.pop(); step; step = this.steps.pop()) {
      try {
        await step.undo();
      } catch (err) {
        if (!isNotFound(err)) failures.push(`${step.what}: ${messageOf(err)}`);
      }
    }
    return failures;
  }
}
