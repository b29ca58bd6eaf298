import { fields, loadConfig } from '@kadai/config';
import { z } from 'zod';

const schema = z
  .object({
    KADAI_API_URL: z.string().url().default('http://127.0.0.1:8080'),
    KADAI_TOKEN: z.string().optional(),
    KADAI_LABS_DIR: fields.labsDir,
    KADAI_LANG: z.enum(['ja', 'en']).default('en'),
  })
  .transform((env) => ({ apiUrl: env.KADAI_API_URL, token: env.KADAI_TOKEN, labsDir: env.KADAI_LABS_DIR, lang: env.KADAI_LANG }));

export type CliConfig = z.infer<typeof schema>;
export const readCliConfig = (): CliConfig => loadConfig(schema);
