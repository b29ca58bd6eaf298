/**
 * How kadai marks an attempt's fake nodes. The worker's admission fence
 * (infra/cluster/manifests/kadai-worker.yaml) lets it create, change and delete only nodes named
 * NODE_PREFIX… and carrying ATTEMPT_NODE_LABEL with an attempt namespace as its value: keep them in step.
 */
export const NODE_PREFIX = 'kadai-n-';
/** The attempt namespace a node belongs to; the reaper removes nodes whose namespace is gone. */
export const ATTEMPT_NODE_LABEL = 'kadai.dev/attempt-node';
/** The node's name as the course writes it (`minikube-m02`), for mapping the scheduler's choice back. */
export const COURSE_NAME_LABEL = 'kadai.dev/node-name';
/** The taint every node of an attempt carries (value: the namespace); only that attempt's Pods tolerate it. */
export const ATTEMPT_TAINT_KEY = 'kadai.dev/attempt';
/** What makes kwok run the node (the cluster's kwok manages only nodes annotated so). */
export const KWOK_ANNOTATION = { key: 'kwok.x-k8s.io/node', value: 'fake' } as const;
/** The label every fake node carries (the shared ones and each attempt's); a real node has none. */
export const KWOK_TYPE_LABEL = { key: 'type', value: 'kwok' } as const;
