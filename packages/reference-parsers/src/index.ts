export { ReferenceParsers, ParseError, sharedReferenceParsers, DEFAULT_PARSER_LIMITS, type ReferenceParsersOptions } from './helper';
export { binaryPath, ensureBuilt, sourceHash, DEFAULT_CACHE_DIR } from './binary';
export type { ComposeModel, ComposeResult, DockerfileResult, DockerfileStage, DockerfileSource, DockerfileCommand, ParseIssue } from './types';
