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
      },
    });
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
