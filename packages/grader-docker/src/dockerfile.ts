/** What kadai reads from a Dockerfile's text (the image itself is inspected after the build). */
export interface Instruction {
  line: number;
  keyword: string;
  args: string;
}

export interface Stage {
  line: number;
  /** The image named in FROM, as written (`golang:1.19`), or a previous stage's name. */
  from: string;
  name?: string;
}

export interface DockerfileFacts {
  instructions: Instruction[];
  stages: Stage[];
  /** The image the final stage is based on, following `FROM <earlier stage>` back to a real image. */
  baseImage?: string;
  cmd?: { form: 'exec' | 'shell'; value: string[] | string; line: number };
  entrypoint?: { form: 'exec' | 'shell'; value: string[] | string; line: number };
  copiesFromStage: boolean;
}

export function parseInstructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    let current = lines[i] ?? '';
    if (/^\s*#/.test(current) || current.trim() === '') continue;
    while (/\\\s*$/.test(current) && i + 1 < lines.length) {
      i++;
      const next = lines[i] ?? '';
      if (/^\s*#/.test(next)) continue;
      current = current.replace(/\\\s*$/, ' ') + next;
    }
    const m = /^\s*([A-Za-z]+)\s*(.*)$/.exec(current);
    if (m) out.push({ line: start, keyword: m[1]!.toUpperCase(), args: m[2]!.trim() });
  }
  return out;
}

function form(args: string): { form: 'exec' | 'shell'; value: string[] | string } {
  if (args.startsWith('[')) {
    try {
      const value: unknown = JSON.parse(args);
      if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return { form: 'exec', value: value as string[] };
    } catch {
      // not JSON: Docker runs it as shell form
    }
  }
  return { form: 'shell', value: args };
}

export function dockerfileFacts(text: string): DockerfileFacts {
  const instructions = parseInstructions(text);
  const stages: Stage[] = [];
  let cmd: DockerfileFacts['cmd'];
  let entrypoint: DockerfileFacts['entrypoint'];
  let copiesFromStage = false;
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const words = ins.args.split(/\s+/).filter((w) => !w.startsWith('--'));
      const name = words.length >= 3 && words[1]?.toLowerCase() === 'as' ? words[2] : undefined;
      stages.push({ line: ins.line, from: words[0] ?? '', ...(name ? { name } : {}) });
      cmd = undefined;
      entrypoint = undefined;
    } else if (ins.keyword === 'CMD') cmd = { ...form(ins.args), line: ins.line };
    else if (ins.keyword === 'ENTRYPOINT') entrypoint = { ...form(ins.args), line: ins.line };
    else if (ins.keyword === 'COPY' && /--from=/.test(ins.args)) copiesFromStage = true;
  }
  let baseImage: string | undefined;
  let stage = stages[stages.length - 1];
  for (let hops = 0; stage && hops < stages.length; hops++) {
    const from = stage.from;
    const earlier = stages.find((s) => s.name !== undefined && s.name.toLowerCase() === from.toLowerCase());
    if (!earlier || earlier === stage) {
      baseImage = from;
      break;
    }
    stage = earlier;
  }
  return { instructions, stages, ...(baseImage ? { baseImage } : {}), ...(cmd ? { cmd } : {}), ...(entrypoint ? { entrypoint } : {}), copiesFromStage };
}

/** `python:3.10-slim` and `docker.io/library/python:3.10-slim` are the same; no tag means `latest`. */
export function normalizeImageRef(ref: string): string {
  let r = ref.trim().toLowerCase().replace(/^docker\.io\//, '').replace(/^library\//, '');
  const lastSlash = r.lastIndexOf('/');
  if (!r.includes('@') && !r.slice(lastSlash + 1).includes(':')) r += ':latest';
  return r;
}
