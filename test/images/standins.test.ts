import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { docker, REPO, runOnce } from './helpers';

// What the labs rely on in the golang, alpine and busybox stand-ins, checked against what the real
// images do (infra/images/README.md, "Where a stand-in differs"). The applet lists are upstream's:
// `busybox --list` of the official busybox:1.37.0 image and of Alpine 3.20.3's busybox.

const APPLETS = path.join(REPO, 'infra/images/dockerfiles/busybox-musl/applets');
const applets = (file: string) => fs.readFileSync(path.join(APPLETS, file), 'utf8').trim().split('\n').sort();
const list = async (image: string) => (await runOnce(image, ['busybox', '--list'])).split('\n').sort();

/** A scratch folder for a build context, removed (with the images tagged from it) afterwards. */
async function withContext(files: Record<string, string>, use: (dir: string) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kadai-standin-'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  try {
    await use(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const HELLO_HTTP = [
  'package main',
  '',
  'import (',
  '\t"fmt"',
  '\t"net/http"',
  ')',
  '',
  'func main() {',
  '\t_, err := http.Get("http://127.0.0.1:1/")',
  '\tfmt.Println("hello from go; dial:", err != nil)',
  '}',
  '',
].join('\n');

describe('golang:1.19 (upstream: Debian-based, gcc, CGO_ENABLED=1)', () => {
  test('cgo is on by default and gcc is there', async () => {
    expect(await runOnce('golang:1.19', ['go', 'env', 'CGO_ENABLED'])).toBe('1');
    expect(await runOnce('golang:1.19', ['gcc', '--version'])).toMatch(/^gcc /);
  });

  test('a net/http program links against glibc by default and is static with CGO_ENABLED=0', async () => {
    await withContext({ 'main.go': HELLO_HTTP, 'go.mod': 'module hello\n\ngo 1.19\n' }, async (dir) => {
      const out = await runOnce(
        'golang:1.19',
        ['sh', '-c', [
          'cd /src && go build -o /tmp/cgo . && CGO_ENABLED=0 go build -o /tmp/static .',
          '/tmp/cgo && /tmp/static',
          'readelf -l /tmp/cgo | grep -o "interpreter: [^]]*"',
          'readelf -l /tmp/static | grep -c INTERP || true',
        ].join(' && ')],
        ['--network', 'none', '-v', `${dir}:/src:ro`],
        240000,
      );
      expect(out.split('\n')).toEqual([
        'hello from go; dial: true',
        'hello from go; dial: true',
        'interpreter: /lib64/ld-linux-x86-64.so.2',
        '0',
      ]);
    });
  }, 300000);
});

describe('alpine (upstream: musl, busybox, apk)', () => {
  test("has musl's loader and no glibc loader", async () => {
    const out = await runOnce('alpine', ['sh', '-c', 'ls /lib/ld-musl-x86_64.so.1; test ! -e /lib64/ld-linux-x86-64.so.2 && echo no-glibc; /lib/ld-musl-x86_64.so.1 2>&1 | head -1']);
    expect(out.split('\n')).toEqual(['/lib/ld-musl-x86_64.so.1', 'no-glibc', 'musl libc (x86_64)']);
  });

  test("busybox --list is Alpine 3.20.3's applet list", async () => {
    expect(await list('alpine')).toEqual(applets('alpine.txt'));
  });

  test('says it is Alpine (and a stand-in)', async () => {
    const out = await runOnce('alpine', ['sh', '-c', '. /etc/os-release && echo "$ID $VERSION_ID" && cat /etc/alpine-release /etc/kadai-standin']);
    expect(out).toMatch(/^alpine 3\.20\.3\n3\.20\.3\nkadai stand-in: alpine 3\.20/);
  });

  test('adduser/addgroup make a user as on Alpine (a non-root USER in a Dockerfile)', async () => {
    const out = await runOnce('alpine', ['sh', '-c', 'addgroup -S app && adduser -S -D -G app app && id app && su app -s /bin/sh -c whoami']);
    expect(out).toMatch(/^uid=\d+\(app\) gid=\d+\(app\) groups=\d+\(app\)\napp$/);
  });

  test('a program dynamically linked against musl runs; a glibc one fails as on Alpine', async () => {
    await withContext({ 'hello.c': '#include <stdio.h>\nint main(void) { puts("hello from musl"); return 0; }\n' }, async (dir) => {
      // kadai/busybox-musl:local (the unit that builds busybox) has musl-gcc and glibc's gcc
      await runOnce('kadai/busybox-musl:local', ['sh', '-c', 'musl-gcc -o /src/musl /src/hello.c && gcc -o /src/glibc /src/hello.c'], ['-v', `${dir}:/src`]);
      expect(await runOnce('alpine', ['/src/musl'], ['-v', `${dir}:/src:ro`])).toBe('hello from musl');
      await expect(runOnce('alpine', ['/src/glibc'], ['-v', `${dir}:/src:ro`])).rejects.toThrow(/no such file or directory/);
    });
  }, 120000);

  test('apk: what is in the image "installs", anything else fails like apk with no such package', async () => {
    expect(await runOnce('alpine', ['sh', '-c', 'apk update && apk add --no-cache ca-certificates busybox && echo done'])).toMatch(/OK: .*\ndone$/);
    const failed = await runOnce('alpine', ['sh', '-c', 'apk add --no-cache curl 2>&1; echo "exit $?"']);
    expect(failed).toContain('ERROR: unable to select packages:\n  curl (no such package):\n    required by: world[curl]');
    expect(failed).toContain('no Alpine mirror is reachable here');
    expect(failed).toMatch(/exit 1$/);
  });
});

describe('busybox (upstream: the official image, 1.37.0)', () => {
  test.each(['busybox', 'busybox:1.37', 'registry.k8s.io/busybox'])("%s: busybox --list is the official image's applet list", async (image) => {
    expect(await list(image)).toEqual(applets('busybox.txt'));
  });

  test('the course\'s checks work: printenv (EX-5.4/5.5), nslookup, wget, adduser, env at /usr/bin/env', async () => {
    const out = await runOnce('busybox', ['sh', '-c', 'printenv APP_NAME; /usr/bin/env | grep -c "^APP_NAME=MyApp$"; for c in nslookup wget adduser; do command -v $c; done'], ['-e', 'APP_NAME=MyApp']);
    expect(out.split('\n')).toEqual(['MyApp', '1', '/bin/nslookup', '/bin/wget', '/bin/adduser']);
    await expect(runOnce('busybox', ['printenv', 'APP_ENV'])).rejects.toThrow();
  });

  test('is a static binary on an empty filesystem (no libc at all)', async () => {
    const out = await docker(['image', 'inspect', '-f', '{{json .Config.Cmd}} {{.Size}}', 'busybox']);
    const [cmd, size] = out.split(' ');
    expect(cmd).toBe('["sh"]');
    expect(Number(size)).toBeLessThan(5 * 1024 * 1024);
    expect(await runOnce('busybox', ['sh', '-c', 'ls /lib /lib64 2>&1 | head -1; echo end'])).toMatch(/No such file or directory\nend$/);
  });
});
