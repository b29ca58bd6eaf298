"""Whether an `assert` check of a Kubernetes lab holds on what `kubectl get -o json` printed (stdin).

The by-hand script of bench/k8s-labs.ts reads objects with kubectl and judges them here, as a person
would with jq: the same JMESPath (jmespath.org, as kadai's grader) and the same rules
(packages/grader-kubernetes/src/judge.ts, packages/checks/src/match.ts). Exit 0: it holds.
argv[1]: {"list": bool, "match": {...}?, "count": {"min", "max"}?, "jmespath": [{query, equals|contains|min|max}]?,
          "claim": name?}; with "claim", argv[2] is the run's namespace and only the PersistentVolumes
          bound to that claim of it count (kadai's `resource: {kind: PersistentVolume, claim}`).
"""
import json
import sys

import jmespath


def same(a, b):
    # JSON equality, so True and 1 differ as in JavaScript
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def partial(expected, actual):
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(partial(v, actual.get(k)) for k, v in expected.items())
    if isinstance(expected, list):
        return isinstance(actual, list) and len(actual) == len(expected) and all(partial(e, a) for e, a in zip(expected, actual))
    return same(expected, actual)


def number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def holds(q, data):
    try:
        result = jmespath.search(q["query"], data)
    except Exception:  # a query meeting a missing field does not hold (polled again), as in kadai
        return False
    if "equals" in q and not same(result, q["equals"]):
        return False
    if "contains" in q:
        want = q["contains"]
        if isinstance(result, list):
            if not any(same(r, want) for r in result):
                return False
        elif not (isinstance(result, str) and isinstance(want, str) and want in result):
            return False
    if "min" in q and not (number(result) and result >= q["min"]):
        return False
    if "max" in q and not (number(result) and result <= q["max"]):
        return False
    return True


def main():
    spec = json.loads(sys.argv[1])
    doc = json.load(sys.stdin)
    objects = doc.get("items", []) if spec["list"] else [doc]
    if "claim" in spec:
        objects = [o for o in objects if (o.get("spec") or {}).get("claimRef") and o["spec"]["claimRef"].get("namespace") == sys.argv[2] and o["spec"]["claimRef"].get("name") == spec["claim"]]
    count = spec.get("count") or {}
    if not count.get("min", 1) <= len(objects) <= count.get("max", float("inf")):
        return 1
    if not objects:
        return 0 if "count" in spec and "match" not in spec and "jmespath" not in spec else 1
    if "match" in spec and not all(partial(spec["match"], o) for o in objects):
        return 1
    data = objects if spec["list"] else doc
    return 0 if all(holds(q, data) for q in spec.get("jmespath", [])) else 1


sys.exit(main())
