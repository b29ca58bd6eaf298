{{- define "kadai.fullname" -}}
{{- if contains .Chart.Name .Release.Name }}{{ .Release.Name | trunc 63 | trimSuffix "-" }}{{ else }}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}{{ end }}
{{- end }}

{{- define "kadai.labels" -}}
app.kubernetes.io/name: kadai
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{/* selector labels of one component: (dict "root" $ "component" "api") */}}
{{- define "kadai.selector" -}}
app.kubernetes.io/name: kadai
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "kadai.image" -}}
{{- if not .Values.image.tag }}{{ fail "image.tag is required: the tag infra/deploy/image printed, or a release's" }}{{ end -}}
{{ .Values.image.repository }}:{{ .Values.image.tag }}
{{- end }}

{{- define "kadai.secretName" -}}
{{ .Values.externalServices.existingSecret | default (printf "%s-external" (include "kadai.fullname" .)) }}
{{- end }}

{{/* the environment every kadai process gets */}}
{{- define "kadai.commonEnv" -}}
- name: KADAI_DATABASE_URL
  valueFrom: { secretKeyRef: { name: {{ include "kadai.secretName" . }}, key: {{ .Values.externalServices.databaseUrlKey }} } }
- name: KADAI_REDIS_URL
  valueFrom: { secretKeyRef: { name: {{ include "kadai.secretName" . }}, key: {{ .Values.externalServices.redisUrlKey }} } }
- { name: KADAI_QUEUE_PREFIX, value: {{ .Values.queuePrefix | quote }} }
- { name: KADAI_LOG_LEVEL, value: {{ .Values.logLevel | quote }} }
{{- with .Values.publicUrls }}
- { name: KADAI_PUBLIC_URLS, value: {{ . | quote }} }
{{- end }}
- name: POD_IP
  valueFrom: { fieldRef: { fieldPath: status.podIP } }
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* a map of KADAI_* settings as env entries */}}
{{- define "kadai.envMap" -}}
{{- range $name, $value := . }}
- { name: {{ $name }}, value: {{ $value | toString | quote }} }
{{- end }}
{{- end }}

{{/* Pod-level settings shared by the api, quiz and Kubernetes workers and the migration Job */}}
{{- /* What every kadai Pod's spec starts with. Called with (dict "root" $ "hostNetwork" bool): the
Docker worker may need the node's network whatever .Values.hostNetwork says. */}}
{{- define "kadai.podCommon" -}}
automountServiceAccountToken: false
{{- /* Kubernetes would put the <release>-kadai-api Service's link variables into every Pod started
after it exists — KADAI_API_PORT=tcp://10.x.x.x:80 among them, which kadai's configuration reads as
its port and refuses: the migration Job of every `helm upgrade` failed so. */}}
enableServiceLinks: false
{{- with .root.Values.imagePullSecrets }}
imagePullSecrets: {{ toYaml . | nindent 2 }}
{{- end }}
{{- if .hostNetwork }}
hostNetwork: true
dnsPolicy: ClusterFirstWithHostNet
{{- end }}
{{- end }}

{{- define "kadai.metricsAnnotations" -}}
{{- if .root.Values.metrics.annotations }}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .port | quote }}
prometheus.io/path: /metrics
{{- end }}
{{- end }}

{{/* The labs folder from labs.volume, when one is given (else the image's): env, mount, volume.
Called as {{ with include "kadai.labsEnv" (dict "root" $ "env" <the workload's env map>) }}{{ . | nindent 12 }}{{ end }}:
nothing without a volume, nor when the workload's env map (or extraEnv) sets KADAI_LABS_DIR itself — the user's
value wins, as one entry (a name twice in a container's env: the API server warns that the second
hides the first, and patches of the list by name go wrong). */}}
{{- define "kadai.labsEnv" -}}
{{- $named := hasKey (.env | default dict) "KADAI_LABS_DIR" }}
{{- range .root.Values.extraEnv }}{{ if eq .name "KADAI_LABS_DIR" }}{{ $named = true }}{{ end }}{{ end }}
{{- if and .root.Values.labs.volume (not $named) -}}
- { name: KADAI_LABS_DIR, value: {{ .root.Values.labs.mountPath | quote }} }
{{- end }}
{{- end }}

{{- define "kadai.labsMount" -}}
{{- if .Values.labs.volume -}}
- { name: labs, mountPath: {{ .Values.labs.mountPath | quote }}, readOnly: true }
{{- end }}
{{- end }}

{{- define "kadai.labsVolume" -}}
{{- if .Values.labs.volume -}}
- name: labs
  {{- toYaml .Values.labs.volume | nindent 2 }}
{{- end }}
{{- end }}
