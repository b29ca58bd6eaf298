import type { CheckValidators, LabKind } from '@kadai/catalog';
import type { Grader } from '@kadai/grading';
import { createDockerGrader, dockerLabIssues, type DockerGraderOptions } from '@kadai/grader-docker';
import { quizGrader } from '@kadai/grader-quiz';

export type Graders = Partial<Record<LabKind, Grader>>;

export interface GraderOptions {
  /** Engine socket, limits and port range of the docker grader (the worker reads them from its config). */
  docker?: Partial<DockerGraderOptions>;
}

/**
 * The one place that maps a lab kind to its grader; adding a lab kind means adding it here.
 * Kinds without a grader yet are refused at submission time.
 */
export function createGraders(options: GraderOptions = {}): Graders {
  return { quiz: quizGrader, docker: createDockerGrader(options.docker) };
}

/** What each kind's grader checks in lab.yaml beyond the common schema (its check types and fields). */
export const checkValidators: CheckValidators = { docker: dockerLabIssues };
