/** Where in the submission something was declared, for messages that name file and line. */
export interface Where {
  file: string;
  line?: number;
  column?: number;
}

export interface PortSpec {
  /** Port inside the container. */
  container: number;
  /** Host port the student declared (`-p 8080:80` → 8080); kadai never binds it. */
  host?: number;
  protocol: 'tcp' | 'udp';
}

export interface VolumeMount {
  /** Named volume (anonymous volumes get a generated name). */
  volume: string;
  target: string;
  readOnly: boolean;
}

export type RestartPolicyName = 'no' | 'always' | 'on-failure' | 'unless-stopped';

/** One container to run: from a `docker run` line, a Compose service, or the lab's run spec for a built image. */
export interface ServiceSpec {
  name: string;
  image?: string;
  build?: { context: string; dockerfile: string; args?: Record<string, string>; target?: string };
  command?: string[];
  entrypoint?: string[];
  env: Record<string, string>;
  ports: PortSpec[];
  restart: RestartPolicyName;
  maxRetries?: number;
  volumes: VolumeMount[];
  dependsOn: string[];
  workingDir?: string;
  user?: string;
  /** More DNS names on the attempt network (Compose's container_name and network aliases). */
  aliases?: string[];
  where: Where;
}

/** The normalized submission: what kadai will build and run, whatever the input form was. */
export interface Project {
  input: 'run' | 'build' | 'compose';
  file: string;
  services: ServiceSpec[];
  volumes: string[];
}
