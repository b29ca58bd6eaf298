/** What the Go helper answers (see go/compose.go and go/dockerfile.go for the producing side). */

/** compose-go's normalized project (Compose specification field names), as JSON. */
export interface ComposeModel {
  name: string;
  services?: Record<string, Record<string, unknown>>;
  networks?: Record<string, Record<string, unknown> | null>;
  volumes?: Record<string, Record<string, unknown> | null>;
  [key: string]: unknown;
}

export interface ComposeResult {
  project: ComposeModel;
  /** Top-level `include:` entries, never loaded (the policy refuses them). */
  include?: unknown[];
}

export interface DockerfileStage {
  line: number;
  name?: string;
  /** The FROM argument after BuildKit's expansion of global ARGs (build args over their defaults). */
  base: string;
  /** The FROM argument as written. */
  written: string;
  platform?: string;
  /** The earlier stage `base` names, or -1 for an image. */
  fromStage: number;
}

/** Something a stage reads besides its base: `COPY --from`, `RUN --mount from=`. */
export interface DockerfileSource {
  line: number;
  instruction: 'COPY' | 'RUN --mount';
  from: string;
  fromStage: number;
}

export interface DockerfileCommand {
  line: number;
  form: 'exec' | 'shell';
  value: string[];
}

export interface DockerfileResult {
  syntax?: { line: number; value: string };
  stages: DockerfileStage[];
  sources: DockerfileSource[];
  /** RUN instructions that ask for a network, security mode or devices other than the defaults. */
  runOptions: Array<{ line: number; network?: string; security?: string; devices?: string[] }>;
  /** Each ADD's sources as written (a heredoc's text is not one of them). */
  adds: Array<{ line: number; sources: string[] }>;
  /** The image the final stage rests on, following stage references. */
  baseImage?: string;
  cmd?: DockerfileCommand;
  entrypoint?: DockerfileCommand;
}

/** The submission's mistake as the reference implementation reports it. */
export interface ParseIssue {
  message: string;
  /** Field path (compose: services.web.ports). */
  path?: Array<string | number>;
  line?: number;
  column?: number;
}
