import { RejectedInputError } from '@kadai/errors';
import { binaryPath, ReferenceParsers } from '@kadai/reference-parsers';
import { normalizeImageRef, readDockerfile } from './dockerfile';

// readDockerfile with the real reference-parsers helper (BuildKit's parser), built by jest's globalSetup.
const parsers = new ReferenceParsers({ binary: binaryPath(), timeoutMs: 10_000, maxRequestBytes: 1 << 20 });
afterAll(() => parsers.close());

const issues = async (text: string, args: Record<string, string> = {}, frontends: string[] = []): Promise<string[]> => {
  try {
    await readDockerfile(parsers, 'Dockerfile', text, args, frontends);
  } catch (error) {
    if (error instanceof RejectedInputError) return error.issues.map((i) => `${i.file}:${i.line ?? ''} ${i.field ?? ''}: ${i.message}`);
    throw error;
  }
  return [];
};

describe('readDockerfile', () => {
  it('reads stages, the final base image and the CMD form', async () => {
    const facts = await readDockerfile(parsers, 'Dockerfile', '# build\nFROM golang:1.19 as builder\nWORKDIR /app\nCOPY . .\nRUN go build \\\n    -o myapp .\nFROM alpine:latest\nCOPY --from=builder /app/myapp .\nCMD ["./myapp"]\n', {}, []);
    expect(facts.stages.map((s) => s.base)).toEqual(['golang:1.19', 'alpine:latest']);
    expect(facts.stages[0]?.name).toBe('builder');
    expect(facts.baseImage).toBe('alpine:latest');
    expect(facts.cmd).toEqual({ form: 'exec', value: ['./myapp'], line: 9 });
    expect(facts.sources).toEqual([{ line: 8, instruction: 'COPY', from: 'builder', fromStage: 0 }]);
  });
  it('follows FROM <stage> back to a real image and sees shell form', async () => {
    const facts = await readDockerfile(parsers, 'Dockerfile', 'FROM python:3.10-slim AS base\nFROM base\nCMD python app.py\n', {}, []);
    expect(facts.baseImage).toBe('python:3.10-slim');
    expect(facts.cmd?.form).toBe('shell');
    expect((await readDockerfile(parsers, 'Dockerfile', 'FROM x\nCMD [python, app.py]\n', {}, [])).cmd?.form).toBe('shell');
  });
  it("refuses another attempt's image however it is named", async () => {
    expect(await issues('ARG BASE=kadai-0123-web\nFROM ${BASE}\n')).toEqual(["Dockerfile:2 FROM: images named kadai-… (kadai's own attempt images) and image IDs cannot be used: name an image, such as nginx:1.25 (FROM ${BASE} is kadai-0123-web)"]);
    expect(await issues('ARG BASE=alpine\nFROM ${BASE}\n', { BASE: 'kadai-0123-web' })).toHaveLength(1);
    expect(await issues('FROM alpine\nCOPY --from=kadai-0123-web:latest /app /app\n')).toEqual(["Dockerfile:2 COPY --from: images named kadai-… (kadai's own attempt images) and image IDs cannot be used: name an image, such as nginx:1.25"]);
    expect(await issues('FROM alpine\nRUN --mount=type=bind,from=kadai-0123-web,target=/x ls /x\n')).toEqual(["Dockerfile:2 RUN --mount from: images named kadai-… (kadai's own attempt images) and image IDs cannot be used: name an image, such as nginx:1.25"]);
    expect(await issues('FROM alpine AS kadai-stage\nFROM busybox\nCOPY --from=kadai-stage /a /a\n')).toEqual([]);
  });
  it('takes # syntax= of Dockerfile syntax 1 for the built-in frontend (nothing to pull)', async () => {
    for (const v of ['docker/dockerfile:1', 'docker/dockerfile:1.7', 'docker.io/docker/dockerfile:1.7.1']) expect(await issues(`# syntax=${v}\nFROM alpine\n`)).toEqual([]);
  });
  it('does not take a heredoc line for an instruction', async () => {
    const facts = await readDockerfile(parsers, 'Dockerfile', 'FROM alpine\nRUN <<EOF\nFROM kadai-0123-web\nEOF\nCMD ["sh"]\n', {}, []);
    expect(facts.stages).toHaveLength(1);
  });
  it('refuses a frontend from a registry, host network, insecure builds and BUILDKIT_ build args', async () => {
    expect(await issues('# syntax=docker.io/docker/dockerfile:1-labs\nFROM alpine\n')).toEqual([expect.stringMatching(/^Dockerfile:1 # syntax: kadai builds with BuildKit's built-in Dockerfile frontend .* use docker\/dockerfile:1 \(not docker.io\/docker\/dockerfile:1-labs\)/)]);
    expect(await issues('# syntax=evil/frontend\nFROM alpine\n', {}, ['evil/frontend'])).toEqual([]);
    expect(await issues('FROM alpine\nRUN --network=host --security=insecure true\n')).toEqual(['Dockerfile:2 RUN --network: RUN --network=host is not allowed', 'Dockerfile:2 RUN --security: RUN --security=insecure is not allowed']);
    expect(await issues('FROM alpine\n', { BUILDKIT_SYNTAX: 'evil/frontend' })).toEqual(['Dockerfile: build.args: build argument BUILDKIT_SYNTAX is an instruction to BuildKit and is not allowed']);
  });
  it("reports BuildKit's parse errors at their line", async () => {
    expect(await issues('FROM alpine\nCOPY --frm=x a b\n')).toEqual([expect.stringMatching(/^Dockerfile:2 : /)]);
    expect(await issues('# nothing\n')).toEqual([expect.stringMatching(/^Dockerfile:1 : file with no instructions/)]);
  });
});

describe('normalizeImageRef', () => {
  it('treats Docker Hub spellings and a missing tag alike', () => {
    expect(normalizeImageRef('nginx')).toBe('nginx:latest');
    expect(normalizeImageRef('docker.io/library/nginx:1.21')).toBe('nginx:1.21');
    expect(normalizeImageRef('127.0.0.1:5000/app')).toBe('127.0.0.1:5000/app:latest');
  });
});
