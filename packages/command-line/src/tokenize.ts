import { parse } from 'shell-quote';

export interface LogicalLine {
  /** The line the command starts on (1-based). */
  line: number;
  text: string;
}

/**
 * Logical lines (with `\` continuations joined), each with the line number it starts on; blank
 * lines, `#` comments and a leading `$ ` prompt (as copied from the course's slides) are dropped.
 */
export function logicalLines(text: string): LogicalLine[] {
  const out: LogicalLine[] = [];
  const raw = text.split(/\r?\n/);
  for (let i = 0; i < raw.length; i++) {
    const start = i + 1;
    let current = raw[i] ?? '';
    while (/\\\s*$/.test(current) && i + 1 < raw.length) current = current.replace(/\\\s*$/, ' ') + (raw[++i] ?? '');
    const trimmed = current.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    out.push({ line: start, text: trimmed.replace(/^\$\s+/, '') });
  }
  return out;
}

/**
 * Splits a line into words like a POSIX shell would, refusing everything that would need a shell
 * (variables, pipes, `;`, redirections, globs, command substitution). `program` names what the
 * line is read as, for the message.
 */
export function tokenize(text: string, program: string): { words?: string[]; error?: string } {
  const vars: string[] = [];
  const entries = parse(text, (key) => {
    vars.push(key);
    return '';
  });
  if (vars.length > 0) return { error: `shell variables are not expanded ($${vars[0]}); write the value itself` };
  const words: string[] = [];
  for (const entry of entries) {
    if (typeof entry === 'string') words.push(entry);
    else if ('comment' in entry) break;
    else if ('op' in entry && entry.op === 'glob') return { error: `wildcards are not expanded (${entry.pattern})` };
    else return { error: `shell operators are not allowed (${'op' in entry ? entry.op : '?'}): the line is read as one ${program} command, not run by a shell` };
  }
  return { words };
}
