-- Up Migration

-- The quiz grader no longer writes the key (`expected: …`) into a check's evidence; results stored
-- before that lose the line too, so no visibility setting can show a student the key through them.
UPDATE check_results c SET evidence = regexp_replace(c.evidence, E'\nexpected: [^\n]*', '', 'g')
  FROM submissions s JOIN labs l ON l.id = s.lab_id
 WHERE c.submission_id = s.id AND l.kind = 'quiz' AND c.evidence LIKE E'%\nexpected: %';

-- Down Migration

-- Nothing to undo: the key is in the lab definition (lab_versions), not needed in the evidence.
SELECT 1;
