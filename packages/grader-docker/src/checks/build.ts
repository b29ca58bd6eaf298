import { z } from 'zod';
import { common, fail, lastLines, pass, serviceName, type CheckType } from './types';

const fields = z.strictObject({ ...common });

/** The service's image builds from the submitted Dockerfile. */
export const buildCheck: CheckType<z.infer<typeof fields>> = {
  fields,
  async run(spec, ctx) {
    const name = serviceName(ctx, spec.service);
    const state = ctx.sandbox.services.get(name);
    if (!state) return fail(`サービス「${name}」がありません。`, `There is no service "${name}".`);
    if (!state.build) {
      return state.spec.build
        ? fail('ビルドされませんでした。', 'The image was not built.')
        : fail(`「${name}」は Dockerfile からビルドされていません（image: ${state.spec.image ?? '-'}）。`, `"${name}" is not built from a Dockerfile (image: ${state.spec.image ?? '-'}).`);
    }
    const seconds = (state.build.durationMs / 1000).toFixed(1);
    if (state.build.ok) return pass(`イメージをビルドできました（${seconds} 秒）。`, `The image built (${seconds} s).`, lastLines(state.build.log, 10));
    return fail(
      `docker build が失敗しました: ${state.build.error ?? ''}`,
      `docker build failed: ${state.build.error ?? ''}`,
      `expected: the build succeeds\nactual: ${state.build.error ?? 'failed'}\n--- build log (last lines) ---\n${lastLines(state.build.log, 40)}`,
    );
  },
};
