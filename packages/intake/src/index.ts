/**
 * @kadai/intake — turns an upload into a checked, in-memory set of files, or a RejectedInputError.
 * Pure: nothing is written to disk and nothing is half-applied.
 */
export { DEFAULT_LIMITS, type IntakeLimits, type SubmissionFiles } from './limits';
export { unpackArchive } from './archive';
export { filesFromJson } from './json';
export { assertTextFiles, isTextPath } from './text';
export { checkYamlSyntax } from './yaml-syntax';
export { parseMultipart, type MultipartResult } from './multipart';
export { packDirectory, packLayers, type PackOptions } from './pack';
