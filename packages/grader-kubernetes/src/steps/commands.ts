import { defineCheck, pass, row, type CheckOutcome } from '@kadai/checks';
import { InfrastructureError } from '@kadai/errors';
import { READ_ONLY_VERBS } from '@kadai/k8s-vetting';
import { z } from 'zod';
import { APPLY_TIMEOUT_SECONDS, kubeCheckFields, stepTimeoutMs, type KubeCheckContext } from '../context';
import { redact } from '../evidence';
import { answerReadOnly } from '../read-commands';
import { isCommand, typedCommands } from '../typed-commands';
import { failure } from './report';

const fields = z.strictObject({
  ...kubeCheckFields,
  stage: z.string().min(1),
  expect: z
    .array(
      z.strictObject({
        /** The leading words after `kubectl` ("get nodes", "cluster-info", "create deployment"), kinds by any of kubectl's names. */
        verb: z.string().min(1),
        /** Words or flags the command must also have ("-A", "-o wide", a name), in any of kubectl's spellings. */
        args: z.array(z.string().min(1)).optional(),
        /** Its answer (a read-only command run by kadai as the attempt) contains this. */
        outputContains: z.string().min(1).optional(),
      }),
    )
    .min(1),
});

/**
 * `commands`: the stage's command file holds these kubectl commands (read as data, never run by a
 * shell). kadai runs the read-only ones as the attempt's ServiceAccount and shows their answers —
 * what the student would have seen, Forbidden where the attempt's rights end.
 */
export const commandsStep = defineCheck({
  fields,
  timeoutMs: (spec) => stepTimeoutMs(spec.timeoutSeconds, APPLY_TIMEOUT_SECONDS),
  async run(spec, ctx: KubeCheckContext): Promise<CheckOutcome> {
    const file = ctx.stages.get(spec.stage)?.commandsFile;
    if (!file) throw new InfrastructureError(`check of lab ${ctx.definition.id}: stage ${spec.stage} has no commands file`, false);
    const typed = typedCommands(ctx.files.get(file)?.toString('utf8') ?? '');
    const rows: string[] = [];
    let missing = 0;
    for (const expected of spec.expect) {
      const wanted = [expected.verb, ...(expected.args ?? [])].join(' ');
      const found = typed.filter((c) => isCommand(c, expected.verb, expected.args));
      if (!found.length) {
        missing++;
        rows.push(row(`kubectl ${wanted}`, false, 'in the file', 'not found'));
        continue;
      }
      const command = found[0]!;
      const runs = READ_ONLY_VERBS.has(command.words[0] ?? '');
      const output = runs ? redact(await answerReadOnly(ctx.attempt.asAttempt, ctx.namespace, command, ctx.signal)) : '';
      const answered = expected.outputContains === undefined || output.includes(expected.outputContains);
      if (!answered) missing++;
      rows.push(`${row(`kubectl ${wanted}`, answered, expected.outputContains ? `answer contains "${expected.outputContains}"` : 'in the file', `${file}:${command.line}`)}\n$ ${command.text}${output ? `\n${output}` : ''}`);
    }
    if (missing === 0) return pass('必要なコマンドがすべてあります。', 'Every expected command is there.', rows.join('\n'));
    return failure(ctx, { ja: `${file} に必要なコマンドが ${missing} 個足りません。`, en: `${file} lacks ${missing} of the expected commands.` }, rows.join('\n'), []);
  },
});
