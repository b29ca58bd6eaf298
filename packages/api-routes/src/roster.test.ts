import { RejectedInputError } from '@kadai/errors';
import { parseRoster } from './roster';

const issuesOf = (text: string) => {
  try {
    parseRoster(text);
  } catch (error) {
    if (error instanceof RejectedInputError) return error.issues;
    throw error;
  }
  throw new Error('expected a rejection');
};

describe('a roster CSV', () => {
  it('is read with a BOM, quoted names, any column order and a default role', () => {
    const rows = parseRoster('\uFEFFname,login,role\r\n"山田, 太郎",yamada,student\r\nSato,sato,\r\n"Dr. Lee",lee,instructor\r\n');
    expect(rows).toEqual([
      { line: 2, login: 'yamada', displayName: '山田, 太郎', role: 'student' },
      { line: 3, login: 'sato', displayName: 'Sato', role: 'student' },
      { line: 4, login: 'lee', displayName: 'Dr. Lee', role: 'instructor' },
    ]);
  });

  it('reports every bad row with its line and field', () => {
    const issues = issuesOf('login,name,role\nok1,OK,student\nbad login,X,student\nok2,,student\nok3,Y,admin\nok1,Again,student\n');
    expect(issues.map((i) => [i.line, i.field])).toEqual([
      [3, 'login'],
      [4, 'name'],
      [5, 'role'],
      [6, 'login'],
    ]);
    expect(issues[3]!.message).toMatch(/already on line 2/);
  });

  it('refuses a header without login and name, and malformed CSV with its line', () => {
    expect(issuesOf('user,email\na,b\n')[0]).toMatchObject({ line: 1, message: expect.stringMatching(/lacks login, name/) });
    expect(issuesOf('login,name\na,"unclosed\n')[0]!.message).toMatch(/quote/i);
  });
});
