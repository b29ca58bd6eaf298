/**
 * Vetting of a Kubernetes submission before anything is applied: manifests read exactly as kubectl
 * reads them and judged against the lab's policy (→ objects for k8s-sandbox to apply, in the
 * attempt's namespace), and the kubectl commands a course has students type, parsed as data.
 */
export { vetManifests, vetManifestSources, type VettedObject, type NamespaceMapping } from './vet';
export { parseManifestFiles, type SourceObject, type ParseResult } from './parse';
export { formatPath, type FieldPath, type Position } from './locate';
export { parseKubectlCommands, KIND_ALIASES, READ_ONLY_VERBS, type KubectlCommand, type KubectlAllowList, type KubectlVerb, type ResourceRef, type NodeTaint, type TaintEffect } from './kubectl';
export { permissivePolicy, labPolicy, kubectlAllowList, DEFAULT_MANIFEST_LIMITS, WORKLOAD_KINDS, type LabPolicy, type AttemptQuota, type ManifestLimits } from './policy';
export { REFUSED_KINDS, CLUSTER_SCOPED_KINDS, POD_SPEC_PATHS } from './kinds';
export { imageAllowed } from './images';
export { isInternalAddress } from './addresses';
export { parseQuantity } from './quantity';
export { checkPersistentVolume, type VolumeAllowance } from './volumes';
