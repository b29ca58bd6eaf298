import { classicOnlyIssues, externalImages, remoteAddIssues } from './build-policy';
import type { DockerfileFacts } from './dockerfile';
import { parseImageRef, registryRepository } from './images';

describe('remoteAddIssues', () => {
  it('names every ADD with a URL or git source, with its line; local sources pass', () => {
    const text = ['FROM busybox', 'ADD a.tar /a/', 'ADD http://127.0.0.1:5000/v2/_catalog /c', 'ADD --chown=1:1 HTTPS://x/y /z', 'ADD ["ftp://h/f", "/f"]', 'ADD git@github.com:x/y.git /src', 'COPY http://not-fetched-by-copy /x', 'RUN echo \\', '  && true', 'ADD \\', '  http://split/over/lines /x'].join('\n');
    expect(remoteAddIssues('Dockerfile', text).map((i) => `${i.line} ${i.message.split(':')[0]}`)).toEqual([
      '3 ADD http',
      '4 ADD HTTPS',
      '5 ADD ftp',
      '6 ADD git@github.com',
      '10 ADD http',
    ]);
  });

  it('reads a heredoc the way the classic builder does: its lines are instructions', () => {
    expect(remoteAddIssues('Dockerfile', 'FROM busybox\nRUN <<EOF\nADD http://169.254.169.254/ /m\nEOF\n').map((i) => i.line)).toEqual([3]);
  });

  it('follows the escape directive', () => {
    expect(remoteAddIssues('Dockerfile', '# escape=`\nFROM busybox\nADD `\n  http://x/y /z\n').map((i) => i.line)).toEqual([3]);
  });
});

describe('classicOnlyIssues', () => {
  it('names FROM and COPY --from lines that only the classic builder reads as instructions', () => {
    const text = 'FROM busybox\nCOPY --from=busybox /bin/sh /sh\nRUN <<CMD\nFROM kadai-x-web\nCOPY --from=kadai-y /a /a\nCMD\n';
    // BuildKit's reading (as the reference parser reports it): one stage, one COPY --from, a heredoc RUN
    const facts: DockerfileFacts = { stages: [{ line: 1, base: 'busybox', written: 'busybox', fromStage: -1 }], sources: [{ line: 2, instruction: 'COPY', from: 'busybox', fromStage: -1 }], runOptions: [] };
    expect(classicOnlyIssues('Dockerfile', text, facts).map((i) => `${i.line} ${i.field}`)).toEqual(['4 FROM', '5 COPY']);
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
  ])('%s', (ref, host, path, reference, repo) => {
    const parsed = parseImageRef(ref);
    expect(parsed).toEqual({ host, path, reference });
    expect(registryRepository(parsed)).toBe(repo);
  });
});
