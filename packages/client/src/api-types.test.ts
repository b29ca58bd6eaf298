import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const root = path.join(__dirname, '..', '..', '..');

describe('the generated API types (src/api-types.ts)', () => {
  // openapi-typescript pulls in ES modules jest does not load, so the generator runs as CI would run it.
  it('are current with the OpenAPI document the api serves (else: npx tsx packages/client/src/generate-api-types.ts)', async () => {
    const run = promisify(execFile)(path.join(root, 'node_modules', '.bin', 'tsx'), ['packages/client/src/generate-api-types.ts', '--check'], { cwd: root });
    await expect(run).resolves.toBeDefined();
  }, 120_000);
});
