import { externalImages, remoteAddIssues } from './build-policy';
import { dockerfileFacts } from './dockerfile';
import { parseImageRef, registryRepository } from './images';

describe('remoteAddIssues', () => {
  it('names every ADD with a URL or git source, with its line; local sources pass', () => {
    const text = ['FROM busybox', 'ADD a.tar /a/', 'ADD http://127.0.0.1:5000/v2/_catalog /c', 'ADD --chown=1:1 HTTPS://x/y /z', 'ADD ["ftp://h/f", "/f"]', 'ADD git@github.com:x/y.git /src', 'COPY http://not-fetched-by-copy /x'].join('\n');
    expect(remoteAddIssues('Dockerfile', dockerfileFacts(text)).map((i) => `${i.line} ${i.message.split(':')[0]}`)).toEqual([
      '3 ADD http',
      '4 ADD HTTPS',
      '5 ADD ftp',
      '6 ADD git@github.com',
    ]);
  });
});

describe('externalImages', () => {
  it('lists FROM and COPY --from images that are not earlier stages, ARGs expanded', () => {
    const text = ['ARG BASE=golang', 'ARG TAG', 'FROM ${BASE}:${TAG:-1.19} AS build', 'FROM build AS again', 'FROM scratch', 'COPY --from=build /a /a', 'COPY --from=0 /b /b', 'COPY --from=nginx:1.21 /etc/nginx /n', 'FROM $UNSET'].join('\n');
    expect(externalImages(dockerfileFacts(text))).toEqual([
      { ref: 'golang:1.19', line: 3 },
      { ref: '$UNSET', line: 9 },
      { ref: 'nginx:1.21', line: 8 },
    ]);
    expect(externalImages(dockerfileFacts(text), { TAG: '1.22', BASE: 'evil.example/go' })[0]).toEqual({ ref: 'evil.example/go:1.22', line: 3 });
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
