import type Docker from 'dockerode';
import { parseImageRef } from './image-ref';
import { ensureImage } from './pull';

describe('parseImageRef', () => {
  it('resolves Docker Hub names the way the engine does', () => {
    expect(parseImageRef('nginx')).toEqual({ registry: 'docker.io', repository: 'library/nginx', reference: 'latest' });
    expect(parseImageRef('nginx:1.21')).toEqual({ registry: 'docker.io', repository: 'library/nginx', reference: '1.21' });
    expect(parseImageRef('kicbase/echo-server:1.0')).toEqual({ registry: 'docker.io', repository: 'kicbase/echo-server', reference: '1.0' });
    expect(parseImageRef('docker.io/library/redis:alpine')).toEqual({ registry: 'docker.io', repository: 'library/redis', reference: 'alpine' });
  });

  it('keeps a registry host (with a dot, a port or localhost) and digests', () => {
    expect(parseImageRef('127.0.0.1:5000/kadai-test/big:1')).toEqual({ registry: '127.0.0.1:5000', repository: 'kadai-test/big', reference: '1' });
    expect(parseImageRef('registry.k8s.io/busybox')).toEqual({ registry: 'registry.k8s.io', repository: 'busybox', reference: 'latest' });
    expect(parseImageRef('localhost/app:dev')).toEqual({ registry: 'localhost', repository: 'app', reference: 'dev' });
    expect(parseImageRef('localhost:5000/app@sha256:abc')).toEqual({ registry: 'localhost:5000', repository: 'app', reference: 'sha256:abc' });
  });
});

describe('ensureImage', () => {
  // no engine is asked: an object without methods fails the test if it were
  const noEngine = {} as Docker;
  it('never has the engine pull from a registry kadai does not serve (it would reach the host network)', async () => {
    for (const image of ['127.0.0.1:2379/x:1', 'localhost:6379/x', '169.254.169.254/latest', 'evil.example.com/app:1']) {
      await expect(ensureImage(noEngine, image, new AbortController().signal, ['http://127.0.0.1:5000'], 1e9)).resolves.toMatch(/which the sandbox cannot reach/);
    }
  });
});
