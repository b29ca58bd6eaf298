export { createDockerGrader, dockerLabIssues } from './grader';
export { DEFAULT_DOCKER_OPTIONS, KADAI_ENGINE_SOCKET, type DockerGraderOptions } from './options';
export { reap, leftovers, runsOnEngine, ensureBuildCgroup, type ReapResult, type EngineRun } from './reaper';
export { mirrorAddress } from './builder';
export { SUBMISSION_LABEL } from './sandbox';
export { readSubmission } from './submission';
export { parseRunFile } from './run-line';
export { COMPOSE_FILE_NAMES } from './compose';
export { CHECK_TYPES } from './checks';
