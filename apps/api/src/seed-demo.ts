import { checkValidators } from '@kadai/graders';
import { createPool, labsInService, migrate, newToken, seedDemoCourse, openCatalog, type DemoUser } from '@kadai/db';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runService } from '@kadai/observability';
import { readApiConfig } from './config';

/**
 * Seeds the demo course (admin, instructor, two students, an LMS user; one assignment per lab) and
 * writes their tokens to the file given as the first argument, reusing tokens already in it.
 */
runService(async () => {
  const tokensFile = process.argv[2] ?? '.kadai/demo-tokens.json';
  const config = readApiConfig();
  await migrate(config.databaseUrl);
  const db = createPool(config.databaseUrl, 2);
  const { labs, warnings } = await openCatalog(db, config.labsDir, checkValidators);
  for (const warning of warnings) console.warn(warning);
  const known: Record<string, string> = existsSync(tokensFile) ? JSON.parse(readFileSync(tokensFile, 'utf8')) : {};
  const users: DemoUser[] = [
    { login: 'admin', displayName: 'Admin', role: 'admin', token: '' },
    { login: 'sensei', displayName: '先生 (instructor)', role: 'instructor', token: '' },
    { login: 'student1', displayName: '学生 一 (student)', role: 'student', token: '' },
    { login: 'student2', displayName: '学生 二 (student)', role: 'student', token: '' },
    { login: 'lms', displayName: 'LMS', role: 'lms', token: '' },
  ].map((u) => ({ ...u, role: u.role as DemoUser['role'], token: known[u.login] ?? newToken() }));
  // the labs in service: a withdrawn one gets no demo assignment, one never published cannot have one
  const inService = await labsInService(db, labs);
  await seedDemoCourse(db, inService, users);
  mkdirSync(path.dirname(tokensFile), { recursive: true });
  writeFileSync(tokensFile, `${JSON.stringify(Object.fromEntries(users.map((u) => [u.login, u.token])), null, 2)}\n`, { mode: 0o600 });
  console.log(`demo course seeded: ${inService.length} assignments; tokens in ${tokensFile}`);
  await db.end();
});
