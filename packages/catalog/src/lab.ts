import type { InputIssue } from '@kadai/errors';
import type { CheckSpec, LabDefinition, Question } from './schema';

/** A loaded lab: its definition, the folder it came from, and its content-hash version. */
export interface Lab {
  definition: LabDefinition;
  dir: string;
  version: string;
}

/** A reference or wrong submission shipped with a lab, and what it must score. */
export interface SelfTestCase {
  name: string;
  /** The folders whose files make the submission, later ones replacing earlier ones' files. */
  layers: string[];
  /** Solution files a variant laid over the solution leaves out. */
  remove: string[];
  /** Empty for the solution (full marks); otherwise the check ids that must fail. */
  fails: string[];
}

/** Validates what a grader of a given kind needs beyond the common schema (its check types). */
export type CheckValidator = (file: string, lab: LabDefinition) => InputIssue[];

/** Checks are what results are made of: the questions of a quiz, the checks of other kinds. */
export function checksOf(lab: LabDefinition): Array<CheckSpec | Question> {
  return lab.kind === 'quiz' ? lab.questions : lab.checks;
}

export function maxPoints(lab: LabDefinition): number {
  return checksOf(lab).reduce((sum, check) => sum + check.points, 0);
}
