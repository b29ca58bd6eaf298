import { RejectedInputError } from '@kadai/errors';
import { readLiveCredentials, resolveEndpoint } from './live-cluster';

const ca = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64');
const read = (text: string) => readLiveCredentials('live-cluster.yaml', Buffer.from(text));
const refusal = (text: string): string[] => {
  try {
    read(text);
  } catch (err) {
    if (err instanceof RejectedInputError) return err.issues.map((i) => `${i.line ?? '-'}:${i.field ?? ''}: ${i.message}`);
    throw err;
  }
  throw new Error('not refused');
};

describe('readLiveCredentials', () => {
  it('reads server, CA and token, or the same from a kubeconfig whose user has a token', () => {
    const plain = read(`server: https://abc.gr7.ap-northeast-1.eks.amazonaws.com\ncertificateAuthorityData: ${ca}\ntoken: eyJhbGciOi.x.y\n`);
    expect({ server: plain.server.host, token: plain.token, ca: plain.ca.toString() }).toEqual({ server: 'abc.gr7.ap-northeast-1.eks.amazonaws.com', token: 'eyJhbGciOi.x.y', ca: expect.stringContaining('BEGIN CERTIFICATE') });
    const kubeconfig = read(
      ['kind: Config', `clusters: [{name: c, cluster: {server: "https://203.0.113.7:443", certificate-authority-data: ${ca}}}]`, 'contexts: [{name: x, context: {cluster: c, user: u}}]', 'current-context: x', 'users: [{name: u, user: {token: t0k}}]', ''].join('\n'),
    );
    expect({ server: kubeconfig.server.host, token: kubeconfig.token }).toEqual({ server: '203.0.113.7', token: 't0k' });
  });

  it('refuses a kubeconfig user that runs a program (exec, auth-provider), with its line and field', () => {
    const lines = ['kind: Config', `clusters: [{name: c, cluster: {server: "https://e.example", certificate-authority-data: ${ca}}}]`, 'contexts: [{name: x, context: {cluster: c, user: u}}]', 'current-context: x', 'users:', '  - name: u', '    user:', '      exec: {command: aws, args: [eks, get-token]}', '  - name: v', '    user:', '      auth-provider: {name: oidc}', ''];
    expect(refusal(lines.join('\n'))).toEqual([
      expect.stringMatching(/^8:users\[0\]\.user\.exec: a kubeconfig user with exec would run a program on kadai's worker/),
      expect.stringMatching(/^11:users\[1\]\.user\.auth-provider: a kubeconfig user with auth-provider would run a program/),
    ]);
  });

  it('refuses plain http, a path, a missing CA, skipping TLS verification and a token that is not one line', () => {
    expect(refusal(`server: http://e.example\ncertificateAuthorityData: ${ca}\ntoken: t\n`)).toEqual([expect.stringMatching(/^1:server: the API server is reached over https only/)]);
    expect(refusal(`server: https://e.example/api\ncertificateAuthorityData: ${ca}\ntoken: t\n`)).toEqual([expect.stringMatching(/^1:server: give the API server URL alone/)]);
    expect(refusal('server: https://e.example\ntoken: t\n')).toEqual([expect.stringMatching(/^\d+:certificateAuthorityData: the API server's CA certificate/)]);
    expect(refusal(`server: https://e.example\ncertificateAuthorityData: ${ca}\ntoken: "two words"\n`)).toEqual([expect.stringMatching(/^3:token: a ServiceAccount token is needed/)]);
    const insecure = ['kind: Config', 'clusters: [{name: c, cluster: {server: "https://e.example", insecure-skip-tls-verify: true}}]', 'contexts: [{name: x, context: {cluster: c, user: u}}]', 'current-context: x', 'users: [{name: u, user: {token: t}}]', ''].join('\n');
    expect(refusal(insecure)).toContainEqual(expect.stringMatching(/^2:clusters\[0\]\.cluster\.insecure-skip-tls-verify: kadai verifies the API server's certificate/));
  });
});

describe('resolveEndpoint', () => {
  it('connects to a public address as given, with the host name for TLS when there is one', async () => {
    expect(await resolveEndpoint(new URL('https://203.0.113.7:6443'), { allowedPrivate: [] })).toEqual({ address: '203.0.113.7', port: 6443 });
  });

  it('refuses private, loopback and link-local addresses unless that address:port is allowed', async () => {
    for (const url of ['https://10.96.0.1', 'https://127.0.0.1:6443', 'https://169.254.169.254', 'https://[::1]:6443', 'https://[fd00::1]']) {
      expect(await resolveEndpoint(new URL(url), { allowedPrivate: [] })).toEqual({ refused: expect.stringMatching(/is not a public address/) });
    }
    expect(await resolveEndpoint(new URL('https://10.244.0.1:6443'), { allowedPrivate: ['10.244.0.1:6443'] })).toEqual({ address: '10.244.0.1', port: 6443 });
    expect(await resolveEndpoint(new URL('https://10.244.0.1:443'), { allowedPrivate: ['10.244.0.1:6443'] })).toEqual({ refused: expect.stringMatching(/is not a public address/) });
  });

  it('refuses a name that resolves to the machine itself', async () => {
    expect(await resolveEndpoint(new URL('https://localhost:6443'), { allowedPrivate: [] })).toEqual({ refused: expect.stringMatching(/localhost is not a public address \((127\.0\.0\.1|::1)/) });
  });
});
