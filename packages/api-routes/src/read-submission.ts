import type { Lab } from '@kadai/catalog';
import { RejectedInputError } from '@kadai/errors';
import type { Grader } from '@kadai/grading';
import { assertTextFiles, checkYamlSyntax, filesFromJson, isTextPath, parseMultipart, unpackArchive, type IntakeLimits } from '@kadai/intake';
import type { Request } from 'express';
import { HttpProblem } from './problem';
import { jsonSubmission } from './schemas';

export interface ReadSubmission {
  labId: string;
  files: Map<string, Buffer>;
}

/**
 * Reads a submission in any of its forms: multipart (field `lab` and one zip or tar.gz file part),
 * or JSON with a files map or quiz answers. Every failure names what is wrong.
 */
export async function readSubmission(req: Request, limits: IntakeLimits): Promise<ReadSubmission> {
  if (req.is('multipart/form-data')) {
    const { fields, file } = await parseMultipart(req, limits);
    if (!fields.lab) throw new RejectedInputError('the multipart form needs a "lab" field', [{ field: 'lab', message: 'missing' }]);
    if (!file) throw new RejectedInputError('the multipart form needs one file part: a zip or tar.gz archive', [{ field: 'archive', message: 'missing' }]);
    return { labId: fields.lab, files: await unpackArchive(file.data, limits) };
  }
  if (req.is('application/json')) {
    const parsed = jsonSubmission.safeParse(req.body);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message }));
      throw new RejectedInputError('the JSON body is not a submission', issues);
    }
    const { lab, files, answers } = parsed.data;
    const asFiles = files ?? { 'answers.json': JSON.stringify({ answers }) };
    return { labId: lab, files: filesFromJson(asFiles, limits) };
  }
  throw new HttpProblem(415, 'Unsupported media type', 'send multipart/form-data (lab + archive) or application/json');
}

/** Checks the files against what the lab asks for, then lets the lab's grader validate them. */
export async function validateForLab(lab: Lab, grader: Grader, files: Map<string, Buffer>): Promise<void> {
  const spec = lab.definition.submission;
  const total = [...files.values()].reduce((sum, f) => sum + f.length, 0);
  if (total > spec.maxBytes) {
    throw new RejectedInputError(`the submission is ${total} bytes; ${lab.definition.id} accepts at most ${spec.maxBytes}`, [], 413);
  }
  const missing = spec.files.filter((f) => !files.has(f.path));
  if (missing.length > 0) {
    throw new RejectedInputError(
      `${lab.definition.id} needs ${missing.map((f) => f.path).join(', ')}`,
      missing.map((f) => ({ file: f.path, message: 'required file is missing' })),
    );
  }
  assertTextFiles(files, isTextPath);
  checkYamlSyntax(files);
  await grader.validate(lab, files);
}
