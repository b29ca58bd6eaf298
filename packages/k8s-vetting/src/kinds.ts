/**
 * Kinds no lab may let a student submit, whatever its allow-list says, with the reason a student
 * reads. The attempt's namespace is the only thing a submission may change: anything that grants
 * rights, intercepts other requests or exists outside the namespace is kadai's or the cluster's.
 */
export const REFUSED_KINDS: Readonly<Record<string, string>> = {
  Role: 'RBAC objects are not accepted: the attempt runs with the rights kadai gives it',
  RoleBinding: 'RBAC objects are not accepted: the attempt runs with the rights kadai gives it',
  ClusterRole: 'RBAC objects are not accepted: the attempt runs with the rights kadai gives it',
  ClusterRoleBinding: 'RBAC objects are not accepted: the attempt runs with the rights kadai gives it',
  ServiceAccount: 'ServiceAccounts are not accepted: Pods run as the attempt\'s own account',
  TokenRequest: 'ServiceAccount tokens are not accepted',
  MutatingWebhookConfiguration: 'admission webhooks are not accepted',
  ValidatingWebhookConfiguration: 'admission webhooks are not accepted',
  ValidatingAdmissionPolicy: 'admission policies are not accepted',
  ValidatingAdmissionPolicyBinding: 'admission policies are not accepted',
  MutatingAdmissionPolicy: 'admission policies are not accepted',
  MutatingAdmissionPolicyBinding: 'admission policies are not accepted',
  CustomResourceDefinition: 'CustomResourceDefinitions are not accepted',
  APIService: 'API services are not accepted',
};

/**
 * Cluster-scoped kinds: they would outlive the attempt and affect every other one. Vetting has no
 * discovery, so this is the list of the kinds a course might plausibly write; a kind outside it
 * and outside the lab's allow-list is refused anyway.
 */
export const CLUSTER_SCOPED_KINDS: ReadonlySet<string> = new Set([
  'Namespace', 'Node', 'PersistentVolume', 'StorageClass', 'VolumeAttachment', 'CSIDriver', 'CSINode',
  'PriorityClass', 'RuntimeClass', 'IngressClass', 'ClusterRole', 'ClusterRoleBinding',
  'CustomResourceDefinition', 'APIService', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration',
  'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding', 'CertificateSigningRequest',
  'FlowSchema', 'PriorityLevelConfiguration', 'ComponentStatus', 'ClusterTrustBundle', 'VolumeAttributesClass',
  'IPAddress', 'ServiceCIDR', 'DeviceClass',
]);

/** Where each workload kind keeps its Pod template, and whether it has `spec.replicas`. */
export const POD_SPEC_PATHS: Readonly<Record<string, ReadonlyArray<string>>> = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

export const REPLICATED_KINDS: ReadonlySet<string> = new Set(['Deployment', 'ReplicaSet', 'ReplicationController', 'StatefulSet']);
