import { logicalLines, tokenize } from '@kadai/command-line';
import { KIND_ALIASES } from '@kadai/k8s-vetting';

/** A kubectl command line as a student typed it, normalized so that kubectl's equivalent spellings compare equal. */
export interface TypedCommand {
  line: number;
  text: string;
  /** Words after `kubectl` that are not flags, kinds as kubectl's resource names (`po` = `pods` = `pod`), `KIND/NAME` split. */
  words: string[];
  /** Flags, one spelling each: `-A` = `--all-namespaces`, `-o wide` = `-owide` = `--output=wide`. */
  flags: string[];
  /** Everything after `--` (the command of `kubectl exec`). */
  rest: string[];
}

/** Flags that take a value, by every spelling, to their long name. */
const VALUE_FLAGS: Record<string, string> = {
  '-o': '--output', '--output': '--output', '-n': '--namespace', '--namespace': '--namespace', '-l': '--selector', '--selector': '--selector',
  '-c': '--container', '--container': '--container', '-f': '--filename', '--filename': '--filename', '-r': '--replicas', '--replicas': '--replicas',
  '--image': '--image', '--port': '--port', '--type': '--type', '--target-port': '--target-port', '--name': '--name', '--to-revision': '--to-revision',
};
const BOOL_FLAGS: Record<string, string[]> = { '-A': ['--all-namespaces'], '-i': ['--stdin'], '-t': ['--tty'], '-it': ['--stdin', '--tty'], '-ti': ['--stdin', '--tty'], '-w': ['--watch'] };

const kindWord = (word: string): string => {
  const kind = KIND_ALIASES[word.toLowerCase()];
  return kind ? kind.toLowerCase() : word;
};

/** Normalizes the words after `kubectl` (see TypedCommand). */
export function normalize(words: readonly string[]): Omit<TypedCommand, 'line' | 'text'> {
  const out: Omit<TypedCommand, 'line' | 'text'> = { words: [], flags: [], rest: [] };
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    if (word === '--') {
      out.rest = words.slice(i + 1);
      break;
    }
    if (!word.startsWith('-') || word === '-') {
      const slash = word.indexOf('/');
      if (slash > 0 && KIND_ALIASES[word.slice(0, slash).toLowerCase()]) out.words.push(kindWord(word.slice(0, slash)), word.slice(slash + 1));
      else out.words.push(out.words.length > 0 ? kindWord(word) : word);
      continue;
    }
    const eq = word.indexOf('=');
    const flag = eq > 0 ? word.slice(0, eq) : word;
    const short = /^-[a-zA-Z]/.test(word) && !word.startsWith('--') && word.length > 2 && VALUE_FLAGS[word.slice(0, 2)] && !BOOL_FLAGS[word];
    if (short) out.flags.push(`${VALUE_FLAGS[word.slice(0, 2)]}=${word.slice(word[2] === '=' ? 3 : 2)}`);
    else if (VALUE_FLAGS[flag]) out.flags.push(`${VALUE_FLAGS[flag]}=${eq > 0 ? word.slice(eq + 1) : (words[++i] ?? '')}`);
    else if (BOOL_FLAGS[word]) out.flags.push(...(BOOL_FLAGS[word] as string[]));
    else out.flags.push(word);
  }
  return out;
}

/** Every kubectl line of a commands file, normalized (lines that are not kubectl commands are left out). */
export function typedCommands(text: string): TypedCommand[] {
  const commands: TypedCommand[] = [];
  for (const { line, text: command } of logicalLines(text)) {
    const { words } = tokenize(command, 'kubectl');
    if (!words || words[0] !== 'kubectl') continue;
    commands.push({ line, text: command.trim(), ...normalize(words.slice(1)) });
  }
  return commands;
}

/** Whether a typed command is the expected one: its words start with the verb's, and it has every expected argument. */
export function isCommand(command: TypedCommand, verb: string, args: readonly string[] = []): boolean {
  const expected = normalize(verb.split(/\s+/).filter(Boolean));
  if (!expected.words.every((w, i) => command.words[i] === w)) return false;
  const wanted = normalize(args.flatMap((a) => a.split(/\s+/).filter(Boolean)));
  return wanted.flags.every((f) => command.flags.includes(f)) && wanted.words.every((w) => command.words.includes(w));
}
