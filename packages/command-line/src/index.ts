/**
 * Command lines a student hands in as a text file (`docker run …`, `kubectl …`), read as data:
 * split into words like a POSIX shell would, never run by one. Each grader matches the words
 * against its own allow-list.
 */
export { logicalLines, tokenize, type LogicalLine } from './tokenize';
