import { binaryPath, ReferenceParsers } from '@kadai/reference-parsers';
import { externalImages, remoteAddIssues } from './build-policy';
import type { DockerfileFacts } from './dockerfile';
import { parseImageRef } from './image-ref';
import { registryRepository } from './images';

// the real reference-parsers helper (BuildKit's parser), built by jest's globalSetup
const parsers = new ReferenceParsers({ binary: binaryPath(), timeoutMs: 10_000, maxRequestBytes: 1 << 20 });
afterAll(() => parsers.close());
const remoteAdds = async (text: string) => remoteAddIssues('Dockerfile', await parsers.dockerfile('Dockerfile', text));

describe('remoteAddIssues', () => {
  it('names every ADD with a URL or git source, with its line; local sources pass', async () => {
    const text = ['FROM busybox', 'ADD a.tar /a/', 'ADD http://127.0.0.1:5000/v2/_catalog /c', 'ADD --chown=1:1 HTTPS://x/y /z', 'ADD ["ftp://h/f", "/f"]', 'ADD git@github.com:x/y.git /src', 'COPY http://not-fetched-by-copy /x', 'RUN echo \\', '  && true', 'ADD \\', '  http://split/over/lines /x'].join('\n');
    expect((await remoteAdds(text)).map((i) => `${i.line} ${i.message.split(':')[0]}`)).toEqual(['3 ADD http', '4 ADD HTTPS', '5 ADD ftp', '6 ADD git@github.com', '10 ADD http']);
  });

  it('reads a heredoc as BuildKit, which runs the build, does: its lines are text, not instructions', async () => {
    expect(await remoteAdds('FROM busybox\nRUN <<EOF\nADD http://169.254.169.254/ /m\nEOF\n')).toEqual([]);
    expect((await remoteAdds('FROM busybox\nRUN <<EOF\necho\nEOF\nADD http://169.254.169.254/ /m\n')).map((i) => i.line)).toEqual([5]);
  });

  it('follows the escape directive', async () => {
    expect((await remoteAdds('# escape=`\nFROM busybox\nADD `\n  http://x/y /z\n')).map((i) => i.line)).toEqual([3]);
  });
});

describe('externalImages', () => {
  it('lists bases, COPY --from and RUN --mount from= that are not earlier stages', () => {
    const facts: DockerfileFacts = {
      stages: [
        { line: 3, base: 'golang:1.19', written: '${BASE}', fromStage: -1, name: 'build' },
        { line: 4, base: 'build', written: 'build', fromStage: 0 },
        { line: 5, base: 'scratch', written: 'scratch', fromStage: -1 },
      ],
      sources: [
        { line: 6, instruction: 'COPY', from: 'build', fromStage: 0 },
        { line: 7, instruction: 'COPY', from: 'nginx:1.21', fromStage: -1 },
        { line: 8, instruction: 'RUN --mount', from: 'golang:1.19', fromStage: -1 },
      ],
      runOptions: [],
      adds: [],
    };
    expect(externalImages(facts)).toEqual([
      { ref: 'golang:1.19', line: 3 },
      { ref: 'nginx:1.21', line: 7 },
    ]);
  });
});

describe('image references', () => {
  it.each([
    ['python:3.10-slim', 'docker.io', 'library/python', '3.10-slim', 'library/python'],
    ['busybox', 'docker.io', 'library/busybox', 'latest', 'library/busybox'],
    ['registry.k8s.io/echoserver:1.4', 'registry.k8s.io', 'echoserver', '1.4', 'echoserver'],
    ['mcr.microsoft.com/azuredocs/aci-helloworld', 'mcr.microsoft.com', 'azuredocs/aci-helloworld', 'latest', 'mcr.microsoft.com/azuredocs/aci-helloworld'],
    ['localhost:5000/x@sha256:ab', 'localhost:5000', 'x', 'sha256:ab', 'localhost:5000/x'],
  ])('%s', (ref, registry, repository, reference, repo) => {
    const parsed = parseImageRef(ref);
    expect(parsed).toEqual({ registry, repository, reference });
    expect(registryRepository(parsed)).toBe(repo);
  });
});
