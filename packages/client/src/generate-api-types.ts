/**
 * Writes src/api-types.ts, the API's TypeScript types, from the OpenAPI document the api serves
 * (openapi-typescript). `--check` writes nothing and exits 1 when the committed file is stale.
 *   npx tsx packages/client/src/generate-api-types.ts [--check]
 */
import { apiDocument } from '@kadai/api-routes';
import openapiTS, { astToString } from 'openapi-typescript';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const API_TYPES_FILE = path.join(__dirname, 'api-types.ts');

async function generateApiTypes(): Promise<string> {
  const ast = await openapiTS(apiDocument() as Parameters<typeof openapiTS>[0]);
  return `// Generated from the api's OpenAPI document by packages/client/src/generate-api-types.ts — do not edit.\n${astToString(ast)}`;
}

async function main(): Promise<void> {
  const generated = await generateApiTypes();
  if (!process.argv.includes('--check')) {
    writeFileSync(API_TYPES_FILE, generated);
    return;
  }
  if (readFileSync(API_TYPES_FILE, 'utf8') !== generated) {
    console.error(`${path.relative(process.cwd(), API_TYPES_FILE)} is stale: run npx tsx packages/client/src/generate-api-types.ts`);
    process.exit(1);
  }
}

if (require.main === module) void main();
