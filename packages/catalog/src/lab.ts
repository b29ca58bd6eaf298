import type { InputIssue } from '@kadai/errors';
import type { CheckSpec, LabDefinition, Question } from './schema';

/** A lab's content by path relative to its folder (`lab.yaml`, `fixtures/x.yaml`, `schemas/y.json`). */
export type LabFiles = ReadonlyMap<string, Buffer>;

/** A loaded lab: its definition, its content and the version that names exactly that content. */
export interface Lab {
  definition: LabDefinition;
  /** The folder of the lab's id, where its self-test cases are (`solution/`, `wrong/`); grading never reads it. */
  dir: string;
  /** contentVersion(files): what a submission's labVersion and a grade's gradedLabVersion record. */
  version: string;
  /** Everything grading reads of the lab (fixtures, schemas…), read once when the lab was loaded. */
  files: LabFiles;
}

/** A reference or wrong submission shipped with a lab, and what it must score. */
export interface SelfTestCase {
  name: string;
  /** The folders whose files make the submission, later ones replacing earlier ones' files. */
  layers: string[];
  /** Solution files a variant laid over the solution leaves out. */
  remove: string[];
  /** Check ids that must end `fail`: empty for the solution, which must pass every check. */
  fails: string[];
  /** Check ids that must end `skipped` (they cannot run after the variant's mistake); every other check must pass. */
  skipped: string[];
  /** The submission must be refused (at intake or by the grader) instead of graded. */
  rejected: boolean;
}

/** Validates what a grader of a given kind needs beyond the common schema (its check types, the files they name). */
export type CheckValidator = (file: string, lab: LabDefinition, files: LabFiles) => InputIssue[];

/** Checks are what results are made of: the questions of a quiz, the checks of other kinds. */
export function checksOf(lab: LabDefinition): Array<CheckSpec | Question> {
  return lab.kind === 'quiz' ? lab.questions : lab.checks;
}

export function maxPoints(lab: LabDefinition): number {
  return checksOf(lab).reduce((sum, check) => sum + check.points, 0);
}
