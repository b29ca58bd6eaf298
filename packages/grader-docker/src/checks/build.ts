import { defineCheck, fail, lastLines, overrunMessage, pass } from '@kadai/checks';
import { z } from 'zod';
import type { BuildLimit } from '../build-limits';
import { serviceName, type DockerCheckContext, dockerCheckFields } from './types';

const fields = z.strictObject({ ...dockerCheckFields });

/** The limit that stopped a build, as the Japanese message names it (the English one is the limit's own text). */
const LIMIT_JA: Record<Exclude<BuildLimit, 'time'>, string> = { pids: 'プロセス数の上限', disk: 'ディスク書き込み量の上限', memory: 'メモリの上限', 'image size': 'イメージサイズの上限' };

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
    const limit = state.build.limit && state.build.limit !== 'time' ? LIMIT_JA[state.build.limit] : undefined;
    if (limit) return fail(`ビルドが${limit}に達したため止められました: ${state.build.error ?? ''}`, `docker build failed: ${state.build.error ?? ''}`, evidence);
    return fail(`docker build が失敗しました: ${state.build.error ?? ''}`, `docker build failed: ${state.build.error ?? ''}`, evidence);
  },
});
