{{/*
Chart name, truncated to 63 characters (the DNS label limit of Kubernetes names).
*/}}
{{- define "payflow.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name: the release name when it already contains the chart name (releases `payflow`
and `payflow-migrations`), else "<release>-<chart>".
*/}}
{{- define "payflow.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "payflow.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Selector labels: stable for the life of a release (a Deployment selector is immutable).
*/}}
{{- define "payflow.selectorLabels" -}}
app.kubernetes.io/name: {{ include "payflow.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: {{ .Values.mode }}
{{- end }}

{{- define "payflow.labels" -}}
helm.sh/chart: {{ include "payflow.chart" . }}
{{ include "payflow.selectorLabels" . }}
app.kubernetes.io/version: {{ include "payflow.version" . | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: payflow
{{- end }}

{{/*
Version of the API: the image tag, else the chart appVersion. Also APP_VERSION.
*/}}
{{- define "payflow.version" -}}
{{- default .Chart.AppVersion .Values.image.tag | trunc 63 }}
{{- end }}

{{- define "payflow.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (include "payflow.version" .) }}
{{- end }}
{{- end }}

{{- define "payflow.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "payflow.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Name of the Secret written by the ExternalSecret (postgres-password, and REDIS_URL for the API).
*/}}
{{- define "payflow.secretName" -}}
{{- printf "%s-secrets" (include "payflow.fullname" .) }}
{{- end }}

{{/*
ConfigMap of environment variables (envFrom): every key must be a variable name.
*/}}
{{- define "payflow.configMapName" -}}
{{- printf "%s-config" (include "payflow.fullname" .) }}
{{- end }}

{{/*
ConfigMap holding postgres.yaml, mounted as the POSTGRES_CONFIGURATION file, never imported.
*/}}
{{- define "payflow.postgresConfigMapName" -}}
{{- printf "%s-postgres" (include "payflow.fullname" .) }}
{{- end }}

{{/*
Whether this release's pods use Redis: the API with redis.enabled; never the migrations Job.
*/}}
{{- define "payflow.usesRedis" -}}
{{- if and (eq .Values.mode "api") .Values.redis.enabled }}true{{ end }}
{{- end }}

{{/*
Whether this release's pods read a password from the Secret: PostgreSQL with auth password.
*/}}
{{- define "payflow.usesPostgresPassword" -}}
{{- if eq .Values.postgres.auth "password" }}true{{ end }}
{{- end }}

{{/*
Whether REDIS_URL carries the Redis AUTH token (from the Secret): Redis used, auth password.
*/}}
{{- define "payflow.usesRedisToken" -}}
{{- if and (include "payflow.usesRedis" .) (eq .Values.redis.auth "password") }}true{{ end }}
{{- end }}

{{/*
Whether the release needs the ExternalSecret and its Secret at all: with IAM authentication to
both databases, the API has nothing secret to read.
*/}}
{{- define "payflow.needsSecret" -}}
{{- if and .Values.externalSecret.enabled (or (include "payflow.usesPostgresPassword" .) (include "payflow.usesRedisToken" .)) }}true{{ end }}
{{- end }}

{{/*
Path of the POSTGRES_CONFIGURATION file inside the container.
*/}}
{{- define "payflow.postgresConfigPath" -}}
/etc/payflow/postgres.yaml
{{- end }}

{{/*
Directory of the PostgreSQL password file (POSTGRES_PASSWORD_FILE). A whole Secret volume, never
a subPath mount: the kubelet refreshes it when External Secrets writes a rotated password, and
the API reads the file for every new connection.
*/}}
{{- define "payflow.postgresPasswordDir" -}}
/var/run/secrets/payflow
{{- end }}

{{/*
Restricted Pod Security Standard, pod level.
*/}}
{{- define "payflow.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/*
Restricted Pod Security Standard, container level.
*/}}
{{- define "payflow.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/*
Environment shared by the API and the migrations Job: non-secret settings from the ConfigMap of
variables.
Secrets are named one by one below (never envFrom the Secret): the PostgreSQL password is a
file, so that a rotation reaches running pods; it must not also be an environment variable.
*/}}
{{- define "payflow.envFrom" -}}
- configMapRef:
    name: {{ include "payflow.configMapName" . }}
{{- end }}

{{- define "payflow.env" -}}
- name: POSTGRES_CONFIGURATION
  value: {{ include "payflow.postgresConfigPath" . }}
{{- if include "payflow.usesPostgresPassword" . }}
- name: POSTGRES_PASSWORD_FILE
  value: {{ include "payflow.postgresPasswordDir" . }}/postgres-password
{{- end }}
{{- if include "payflow.usesRedisToken" . }}
# Read at start (and on every reconnect of that process): a Redis AUTH rotation needs a rollout.
- name: REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "payflow.secretName" . }}
      key: REDIS_URL
{{- else if include "payflow.usesRedis" . }}
# IAM authentication: the URL names the user and holds no password (a token per connection).
- name: REDIS_URL
  value: {{ printf "rediss://%s@%s:%d" .Values.redis.username .Values.redis.host (int .Values.redis.port) | quote }}
{{- end }}
- name: APP_VERSION
  value: {{ include "payflow.version" . | quote }}
- name: PORT
  value: {{ .Values.containerPort | quote }}
{{- end }}

{{- define "payflow.volumeMounts" -}}
- name: postgres-configuration
  mountPath: {{ include "payflow.postgresConfigPath" . | dir }}
  readOnly: true
{{- if include "payflow.usesPostgresPassword" . }}
- name: postgres-password
  mountPath: {{ include "payflow.postgresPasswordDir" . }}
  readOnly: true
{{- end }}
- name: tmp
  mountPath: /tmp
{{- end }}

{{- define "payflow.volumes" -}}
- name: postgres-configuration
  configMap:
    name: {{ include "payflow.postgresConfigMapName" . }}
    items:
      - key: postgres.yaml
        path: {{ include "payflow.postgresConfigPath" . | base }}
{{- if include "payflow.usesPostgresPassword" . }}
- name: postgres-password
  secret:
    secretName: {{ include "payflow.secretName" . }}
    # Owner root, group fsGroup (10001): readable by the API's user only.
    defaultMode: 0440
    items:
      - key: postgres-password
        path: postgres-password
{{- end }}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- end }}
