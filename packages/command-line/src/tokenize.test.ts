import { logicalLines, tokenize } from './tokenize';

describe('tokenize', () => {
  it('splits words like a shell, with quotes and escapes', () => {
    expect(tokenize(`docker run -e "A=b c" -e 'D=$x' nginx echo a\\ b`, 'docker').words).toEqual(['docker', 'run', '-e', 'A=b c', '-e', 'D=$x', 'nginx', 'echo', 'a b']);
  });
  it('refuses shell operators, substitutions and variables', () => {
    expect(tokenize('docker run nginx; rm -rf /', 'docker').error).toMatch(/operators/);
    expect(tokenize('docker run nginx && echo', 'docker').error).toMatch(/operators/);
    expect(tokenize('docker run $(whoami)', 'docker').error).toBeDefined();
    expect(tokenize('docker run -v $HOME:/h nginx', 'docker').error).toMatch(/variables/);
    expect(tokenize('docker run nginx > /etc/passwd', 'docker').error).toMatch(/operators/);
  });
});

describe('logicalLines', () => {
  it('joins continuations, skips comments and a leading prompt', () => {
    expect(logicalLines('# c\n\n$ docker run \\\n  -d nginx\n')).toEqual([{ line: 3, text: 'docker run    -d nginx' }]);
  });
});
