export { localized, visibility, LAB_KINDS, KUBERNETES_LAB_KINDS, RESOURCE_POLICY_KINDS, KUBECTL_VERBS, KUBERNETES_CAPABILITIES } from './schema';
export type { LabDefinition, QuizLabDefinition, LabKind, Localized, Visibility, Question, CheckSpec, KubernetesVetting, KubernetesLabDefinition, KubernetesSection, AttemptNodeSpec } from './schema';
export { checksOf, maxPoints } from './lab';
export type { Lab, SelfTestCase, CheckValidator } from './lab';
export { loadCatalog, loadCatalogOrFail, loadLab, loadSelfTests } from './load';
export type { Catalog, CheckValidators } from './load';
export { locate } from './locate';
export { checkCoverage, UNFAILED_FILE, type CheckCoverage } from './coverage';
export { listFiles } from './hash';
