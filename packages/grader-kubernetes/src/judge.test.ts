import { evaluate, expressionProblem } from './judge';

test('a well-formed expression has no problem; one that cannot work on any object has one', () => {
  expect(expressionProblem("length(spec.template.spec.containers[?name=='web'])")).toBeUndefined();
  expect(expressionProblem('sort_by(items, &metadata.name)[0].metadata.name')).toBeUndefined();
  expect(expressionProblem('merge(a, b, c)')).toBeUndefined();
  expect(expressionProblem('spec.[')).toMatch(/^not a valid JMESPath expression/);
  expect(expressionProblem('count(items)')).toBe('JMESPath has no function count()');
  expect(expressionProblem('starts_with(metadata.name)')).toBe('starts_with() takes 2 argument(s), not 1');
  expect(expressionProblem('merge()')).toBe('merge() takes at least 1 argument(s), not 0');
});

test('a function handed a missing field answers with why, not an exception; a missing path is null', () => {
  const deployment = { spec: { template: { spec: { containers: [{ name: 'web' }] } } } };
  expect(evaluate(deployment, 'length(spec.template.spec.containers[0].ports)')).toEqual({ error: 'length() expected argument 1 to be type string,array,object but received type null instead.' });
  expect(evaluate(deployment, 'spec.template.spec.containers[0].ports[0].containerPort')).toEqual({ value: null });
  expect(evaluate(deployment, 'length(spec.template.spec.containers)')).toEqual({ value: 1 });
});
