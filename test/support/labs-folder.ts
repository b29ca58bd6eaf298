import { cpSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A labs folder holding copies of the given lab folders (the catalog loads a folder of labs). */
export function labsFolder(labDirs: readonly string[]): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'kadai-labs-'));
  for (const lab of labDirs) if (existsSync(lab)) cpSync(lab, path.join(dir, path.basename(lab)), { recursive: true });
  return dir;
}
