import type { InputIssue } from '@kadai/errors';
import type { DockerfileFacts } from './dockerfile';

/**
 * What a Dockerfile may fetch from outside its build context. The classic builder downloads an
 * `ADD <url>` from the engine's own network namespace — the host's — so `ADD http://127.0.0.1:5000/…`
 * reads kadai's registry, and the same reaches etcd, metrics ports, the LAN and cloud metadata. A
 * remote ADD is refused; packages come through RUN steps and the package mirror instead.
 */
const URL_SOURCE = /^([a-z][a-z0-9+.-]*:\/\/|git@)/i;

/**
 * The instructions as the classic builder (the one that runs the build) reads them: line by line,
 * `\` (or the `# escape=` character) continuing a line, comment lines dropped — and no heredocs. A
 * heredoc-aware reading (BuildKit's) would take `RUN <<EOF` … `ADD http://…` … `EOF` for one RUN,
 * while the classic builder runs that ADD.
 */
function classicInstructions(text: string): Array<{ line: number; keyword: string; args: string }> {
  const lines = text.split(/\r?\n/);
  let escape = '\\';
  for (const l of lines) {
    const directive = /^#\s*([a-z]+)\s*=\s*(\S+)\s*$/i.exec(l);
    if (!directive) break;
    if (directive[1]!.toLowerCase() === 'escape') escape = directive[2]!;
  }
  const continues = (l: string) => l.trimEnd().endsWith(escape);
  const out: Array<{ line: number; keyword: string; args: string }> = [];
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    let current = lines[i] ?? '';
    if (/^\s*#/.test(current) || current.trim() === '') continue;
    while (continues(current) && i + 1 < lines.length) {
      i++;
      const next = lines[i] ?? '';
      if (/^\s*#/.test(next)) continue;
      current = current.trimEnd().slice(0, -escape.length) + ' ' + next;
    }
    const m = /^\s*([A-Za-z]+)\s*(.*)$/.exec(current);
    if (m) out.push({ line: start, keyword: m[1]!.toUpperCase(), args: m[2]!.trim() });
  }
  return out;
}

function words(args: string): string[] {
  if (args.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(args);
      if (Array.isArray(parsed) && parsed.every((w) => typeof w === 'string')) return parsed as string[];
    } catch {
      // not JSON: shell form, split on blanks as the builder does
    }
  }
  return args.split(/\s+/).filter((w) => w !== '');
}

export function remoteAddIssues(file: string, text: string): InputIssue[] {
  const out: InputIssue[] = [];
  for (const ins of classicInstructions(text)) {
    if (ins.keyword !== 'ADD') continue;
    const sources = words(ins.args).filter((w) => !w.startsWith('--')).slice(0, -1);
    const remote = sources.find((s) => URL_SOURCE.test(s.replace(/^["']|["']$/g, '')));
    if (remote) {
      out.push({
        file,
        line: ins.line,
        field: 'ADD',
        message: `ADD ${remote}: downloading during a build is not allowed here; COPY the file from your submission, or install packages in a RUN step (pip, npm, go, apt work through kadai's package mirror)`,
      });
    }
  }
  return out;
}

/**
 * Lines the classic builder reads as FROM or COPY --from that BuildKit's reading (the facts the
 * policy checked) takes for heredoc text: `RUN <<CMD` / `FROM kadai-…` / `CMD` builds FROM another
 * attempt's image on the classic builder while the policy saw a RUN. Refused until builds use
 * BuildKit.
 */
export function classicOnlyIssues(file: string, text: string, facts: DockerfileFacts): InputIssue[] {
  const known = new Set([...facts.stages.map((s) => s.line), ...facts.sources.map((s) => s.line)]);
  return classicInstructions(text)
    .filter((ins) => (ins.keyword === 'FROM' || (ins.keyword === 'COPY' && /(^|\s)--from=/.test(ins.args))) && !known.has(ins.line))
    .map((ins) => ({
      file,
      line: ins.line,
      field: ins.keyword,
      message: `kadai's builder has no heredocs: it reads this line as ${ins.keyword} ${ins.args}; write the heredoc's content into a file and COPY it`,
    }));
}

export interface ExternalImage {
  ref: string;
  line: number;
}

/** The images a build would fetch: each FROM, COPY --from and RUN --mount from= that is not an earlier stage. */
export function externalImages(facts: DockerfileFacts): ExternalImage[] {
  const out: ExternalImage[] = [];
  const add = (ref: string, line: number) => {
    if (ref.toLowerCase() !== 'scratch' && !out.some((e) => e.ref === ref)) out.push({ ref, line });
  };
  for (const stage of facts.stages) if (stage.fromStage < 0) add(stage.base, stage.line);
  for (const source of facts.sources) if (source.fromStage < 0) add(source.from, source.line);
  return out;
}
