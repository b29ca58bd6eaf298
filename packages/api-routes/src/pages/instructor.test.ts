import { parseSettings } from './instructor';

const valid = { opensAt: '2027-01-01T09:00', dueAt: '2027-01-31T23:59', lateMode: 'penalty', percentPerDay: '10', maxDaysLate: '7', maxAttempts: '', scoring: 'best', visibility: '' };

describe('parseSettings', () => {
  it('reads dates as Japan time and an empty attempt limit as none', () => {
    expect(parseSettings(valid)).toEqual({
      settings: {
        opensAt: new Date('2027-01-01T00:00:00Z'),
        dueAt: new Date('2027-01-31T14:59:00Z'),
        latePolicy: { mode: 'penalty', percentPerDay: 10, maxDaysLate: 7 },
        maxAttempts: null,
        scoring: 'best',
        visibility: null,
        checkVisibility: {},
      },
    });
  });
  it("reads each check's visibility, an empty one as none, and names a bad one", () => {
    const form = { ...valid, 'check-q1': 'hidden', 'check-q2': '', 'check-q3': 'after_due', 'check-zz': 'hidden' };
    expect(parseSettings(form, ['q1', 'q2', 'q3'])).toMatchObject({ settings: { checkVisibility: { q1: 'hidden', q3: 'after_due' } } });
    const bad = parseSettings({ ...form, 'check-q2': 'sometimes' }, ['q1', 'q2', 'q3']);
    expect('issues' in bad && bad.issues.map((i) => i.field)).toEqual(['check-q2']);
  });
  it('names every bad field at once', () => {
    const result = parseSettings({ ...valid, dueAt: '2026-12-01T00:00', percentPerDay: '500', maxDaysLate: '', maxAttempts: '-1' });
    expect('issues' in result && result.issues.map((i) => i.field).sort()).toEqual(['dueAt', 'maxAttempts', 'maxDaysLate', 'percentPerDay']);
  });
  it('refuses an unknown late mode or scoring', () => {
    const result = parseSettings({ ...valid, lateMode: 'sometimes', scoring: 'average' });
    expect('issues' in result && result.issues.map((i) => i.field).sort()).toEqual(['lateMode', 'scoring']);
  });
});
