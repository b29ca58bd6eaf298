import { defineCheck, fail, lastLines, overrunMessage, pass } from '@kadai/checks';
import { z } from 'zod';
import { serviceName, type DockerCheckContext, dockerCheckFields } from './types';

const fields = z.strictObject({ ...dockerCheckFields });

/** The service's image builds from the submitted Dockerfile. */
export const buildCheck = defineCheck({
  fields,
  async run(spec, ctx: DockerCheckContext) {
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
    const evidence = `expected: the build succeeds\nactual: ${state.build.error ?? 'failed'}\n--- build log (last lines) ---\n${lastLines(state.build.log, 40)}`;
    if (state.build.overrun) return { status: 'fail', message: overrunMessage(state.build.overrun, { ja: 'ビルド', en: 'The build' }), evidence };
    return fail(`docker build が失敗しました: ${state.build.error ?? ''}`, `docker build failed: ${state.build.error ?? ''}`, evidence);
  },
});
