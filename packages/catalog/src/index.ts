export { localized, visibility, LAB_KINDS, KUBERNETES_LAB_KINDS, RESOURCE_POLICY_KINDS, KUBECTL_VERBS, KUBERNETES_CAPABILITIES } from './schema';
export type { LabDefinition, QuizLabDefinition, LabKind, Localized, Visibility, Question, CheckSpec, KubernetesVetting, KubernetesLabDefinition, KubernetesSection, AttemptNodeSpec } from './schema';
export { checksOf, maxPoints } from './lab';
export type { Lab, LabFiles, SelfTestCase, CheckValidator } from './lab';
export { labFromFiles, loadCatalog, loadLab, loadSelfTests } from './load';
export { LiveCatalog, type FolderLab, type LabChange, type Reload } from './live';
export type { Catalog, CheckValidators } from './load';
export { locate } from './locate';
export { checkCoverage, UNFAILED_FILE, type CheckCoverage } from './coverage';
