/**
 * Per-attempt fake nodes for the scheduling labs (chapter 6): created for an attempt, its Pods
 * pinned to them, the student's node label/taint commands applied to them by the course's names,
 * removed after grading and by the reaper. See README.md.
 */
export { AttemptNodes, isNodeCommand, type NodeCommand } from './attempt-nodes';
export { placementIssues, checkPlacement } from './placement';
export { reapAttemptNodes, type NodeReapResult } from './reaper';
export { NODE_PREFIX, ATTEMPT_NODE_LABEL, COURSE_NAME_LABEL, ATTEMPT_TAINT_KEY, KWOK_ANNOTATION, KWOK_TYPE_LABEL } from './labels';
