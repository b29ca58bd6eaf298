import { fail, pass, row, text, defineCheck, type CheckOutcome } from '@kadai/checks';
import { z } from 'zod';
import { normalizeImageRef } from '../dockerfile';
import { isOutcome, runningService, serviceName, type DockerCheckContext, dockerCheckFields } from './types';

const oneOrMany = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);
const fields = z.strictObject({
  ...dockerCheckFields,
  /** The image a `docker run` line or Compose `image:` uses (any of these). */
  image: oneOrMany.optional(),
  /** The final stage's base image (any of these). */
  baseImage: oneOrMany.optional(),
  /** CMD exactly, in exec form. */
  cmd: z.array(z.string()).optional(),
  cmdForm: z.enum(['exec', 'shell']).optional(),
  entrypointForm: z.enum(['exec', 'shell']).optional(),
  /** Ports the image EXPOSEs (all of these). */
  exposes: z.array(z.number().int()).optional(),
  maxLayers: z.number().int().positive().optional(),
  maxSizeMB: z.number().positive().optional(),
  /** Number of FROM stages at least (2 for a multi-stage build). */
  minStages: z.number().int().positive().optional(),
  /** Paths that must not exist in the final image (build tools left behind). */
  absentPaths: z.array(z.string().startsWith('/')).optional(),
  /** Paths that must exist in the final image (what was installed). */
  presentPaths: z.array(z.string().startsWith('/')).optional(),
});

const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);

/** Facts of the service's image: from its Dockerfile's text and from the built image itself. */
export const imageCheck = defineCheck({
  fields,
  async run(spec, ctx: DockerCheckContext): Promise<CheckOutcome> {
    const name = serviceName(ctx, spec.service);
    const state = ctx.sandbox.services.get(name);
    if (!state) return fail(`サービス「${name}」がありません。`, `There is no service "${name}".`);
    const rows: Array<{ ok: boolean; line: string; ja: string; en: string }> = [];
    const add = (field: string, ok: boolean, expected: unknown, actual: unknown, ja: string, en: string) => rows.push({ ok, line: row(field, ok, expected, actual), ja, en });

    if (spec.image) {
      const actual = state.spec.image ?? '(built from a Dockerfile)';
      const ok = state.spec.image !== undefined && list(spec.image).some((i) => normalizeImageRef(i) === normalizeImageRef(actual));
      add('image', ok, list(spec.image).join(' | '), actual, '使うイメージ', 'the image used');
    }
    const facts = ctx.dockerfiles.get(name);
    const needsDockerfile = spec.baseImage || spec.cmdForm || spec.entrypointForm || spec.minStages;
    if (needsDockerfile && !facts) return fail(`「${name}」の Dockerfile がありません。`, `"${name}" has no Dockerfile.`);
    if (facts) {
      if (spec.baseImage) {
        const actual = facts.baseImage ?? '(none)';
        const ok = list(spec.baseImage).some((b) => normalizeImageRef(b) === normalizeImageRef(actual));
        add('base image (final FROM)', ok, list(spec.baseImage).join(' | '), actual, 'ベースイメージ', 'the base image');
      }
      if (spec.minStages) add('stages (FROM lines)', facts.stages.length >= spec.minStages, `>= ${spec.minStages}`, facts.stages.length, 'ステージ数', 'the number of stages');
      if (spec.cmdForm) add('CMD form', facts.cmd?.form === spec.cmdForm, spec.cmdForm, facts.cmd ? `${facts.cmd.form} (line ${facts.cmd.line})` : 'no CMD', 'CMD の形式', 'the form of CMD');
      if (spec.entrypointForm) add('ENTRYPOINT form', facts.entrypoint?.form === spec.entrypointForm, spec.entrypointForm, facts.entrypoint ? `${facts.entrypoint.form} (line ${facts.entrypoint.line})` : 'no ENTRYPOINT', 'ENTRYPOINT の形式', 'the form of ENTRYPOINT');
    }
    const needsImage = spec.cmd || spec.exposes || spec.maxLayers || spec.maxSizeMB || spec.absentPaths || spec.presentPaths;
    if (needsImage) {
      const ready = await runningService(ctx, name);
      if (isOutcome(ready) && ready.status === 'skipped') return ready;
      const info = await ctx.sandbox.imageInfo(name);
      if (!info) return fail('イメージがありません。', 'There is no image to inspect.');
      if (spec.cmd) {
        const actual = info.Config.Cmd ?? [];
        add('CMD', JSON.stringify(actual) === JSON.stringify(spec.cmd), spec.cmd, actual, 'CMD', 'CMD');
      }
      if (spec.exposes) {
        const exposed = Object.keys(info.Config.ExposedPorts ?? {}).map((p) => Number(p.split('/')[0]));
        add('EXPOSE', spec.exposes.every((p) => exposed.includes(p)), spec.exposes, exposed, '公開ポート (EXPOSE)', 'exposed ports (EXPOSE)');
      }
      if (spec.maxLayers) {
        const layers = info.RootFS.Layers?.length ?? 0;
        add('layers', layers <= spec.maxLayers, `<= ${spec.maxLayers}`, layers, 'レイヤー数', 'the number of layers');
      }
      if (spec.maxSizeMB) {
        const mb = Math.round((info.Size / 1e6) * 10) / 10;
        add('size', mb <= spec.maxSizeMB, `<= ${spec.maxSizeMB} MB`, `${mb} MB`, 'イメージサイズ', 'the image size');
      }
      const paths = [...(spec.absentPaths ?? []), ...(spec.presentPaths ?? [])];
      if (paths.length > 0) {
        const found = await ctx.sandbox.pathsInImage(name, paths);
        for (const p of spec.absentPaths ?? []) add(`absent ${p}`, found.get(p) === false, 'absent', found.get(p) ? 'present' : 'absent', `${p} が含まれないこと`, `${p} must not be in the image`);
        for (const p of spec.presentPaths ?? []) add(`present ${p}`, found.get(p) === true, 'present', found.get(p) ? 'present' : 'absent', `${p} が含まれること`, `${p} must be in the image`);
      }
    }
    const evidence = rows.map((r) => r.line).join('\n');
    const bad = rows.filter((r) => !r.ok);
    if (bad.length === 0) return pass('イメージは要件を満たしています。', 'The image meets the requirements.', evidence);
    return { status: 'fail', message: text(`要件を満たしていません: ${bad.map((b) => b.ja).join('、')}`, `Not as required: ${bad.map((b) => b.en).join(', ')}`), evidence };
  },
});
