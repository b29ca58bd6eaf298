import { translator } from './i18n';
import { fileList } from './submission';

test("staff see a submission's files, but a credentials file only by name", () => {
  const ctx = { lang: 'en' as const, t: translator('en'), otherLangHref: '/?lang=ja' };
  const files = new Map([
    ['cluster.yaml', Buffer.from('kind: ClusterConfig')],
    ['live-cluster.yaml', Buffer.from('token: eyJhbGciOiJSUzI1NiJ9.secret')],
  ]);
  const page = fileList(ctx, files, ['live-cluster.yaml']).toString();
  expect(page).toContain('kind: ClusterConfig');
  expect(page).toContain('<code>live-cluster.yaml</code> — credentials: not shown');
  expect(page).not.toContain('eyJhbGciOiJSUzI1NiJ9');
});
