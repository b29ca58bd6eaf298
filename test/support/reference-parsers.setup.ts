import { ensureBuilt } from '@kadai/reference-parsers';

/** jest globalSetup: the Go helper the docker grader parses with is built (cached by source hash; infra/test builds it first). */
export default async function buildReferenceParsers(): Promise<void> {
  await ensureBuilt();
}
