import type { InputIssue } from '@kadai/errors';
import type { DockerfileFacts } from './dockerfile';

/**
 * What a Dockerfile may fetch from outside its build context. The builder downloads an `ADD <url>`
 * from its own network namespace — the host's — so `ADD http://127.0.0.1:5000/…` would read kadai's
 * registry, and the same reaches etcd, metrics ports, the LAN and cloud metadata. A remote ADD is
 * refused here, with its line; BuildKit's source policy (buildkit/source-policy.ts) denies every
 * URL source as well, such as an `ADD $URL` whose value only the build knows. Packages come through
 * RUN steps and the package mirror instead.
 */
const URL_SOURCE = /^([a-z][a-z0-9+.-]*:\/\/|git@)/i;

/** Each ADD whose source is a URL or a git remote, as BuildKit reads the file (a heredoc's text is no ADD). */
export function remoteAddIssues(file: string, facts: DockerfileFacts): InputIssue[] {
  return facts.adds.flatMap(({ line, sources }) => {
    const remote = sources.find((s) => URL_SOURCE.test(s));
    return remote
      ? [{ file, line, field: 'ADD', message: `ADD ${remote}: downloading during a build is not allowed here; COPY the file from your submission, or install packages in a RUN step (pip, npm, go, apt work through kadai's package mirror)` }]
      : [];
  });
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
