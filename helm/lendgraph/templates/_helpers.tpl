{{/* Names: Kubernetes names are at most 63 characters; suffixes below are counted in. */}}
{{- define "lendgraph.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "lendgraph.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "lendgraph.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "lendgraph.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: lendgraph
{{- end -}}

{{- define "lendgraph.selectorLabels" -}}
app.kubernetes.io/name: {{ include "lendgraph.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* The gateway's pods, apart from the migration job's (same name and instance, another component). */}}
{{- define "lendgraph.gatewaySelectorLabels" -}}
{{ include "lendgraph.selectorLabels" . }}
app.kubernetes.io/component: gateway
{{- end -}}

{{- define "lendgraph.migrationSelectorLabels" -}}
{{ include "lendgraph.selectorLabels" . }}
app.kubernetes.io/component: migration
{{- end -}}

{{- define "lendgraph.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "lendgraph.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "lendgraph.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "lendgraph.cnpgClusterName" -}}
{{- default (printf "%s-pg" (include "lendgraph.fullname" .)) .Values.postgresql.cnpg.clusterName -}}
{{- end -}}

{{/* At most 55 characters: the operator names its Service <name>-service, a DNS label of at most 63. */}}
{{- define "lendgraph.keycloakName" -}}
{{- default (printf "%s-keycloak" (include "lendgraph.fullname" .)) .Values.keycloak.operator.name | trunc 55 | trimSuffix "-" -}}
{{- end -}}

{{/* The Secret holding the gateway's secret settings: the chart's own, or the one the operator made. */}}
{{- define "lendgraph.secretName" -}}
{{- default (include "lendgraph.fullname" .) .Values.secret.existingSecret -}}
{{- end -}}

{{/* The migration job's copy: a hook, so it exists before the job on a first install. */}}
{{- define "lendgraph.migrationSecretName" -}}
{{- if .Values.secret.existingSecret -}}
{{- .Values.secret.existingSecret -}}
{{- else -}}
{{- printf "%s-migrate" (include "lendgraph.fullname" .) -}}
{{- end -}}
{{- end -}}

{{/* Keycloak as the gateway reaches it (KEYCLOAK_URL); empty when the gateway only checks tokens. */}}
{{- define "lendgraph.keycloakUrl" -}}
{{- if .Values.keycloak.operator.enabled -}}
{{- $kc := include "lendgraph.keycloakName" . -}}
{{- if .Values.keycloak.operator.tlsSecret -}}
{{- printf "https://%s-service.%s.svc:8443" $kc .Release.Namespace -}}
{{- else -}}
{{- printf "http://%s-service.%s.svc:8080" $kc .Release.Namespace -}}
{{- end -}}
{{- else -}}
{{- .Values.keycloak.url | trimSuffix "/" -}}
{{- end -}}
{{- end -}}

{{/* AUTH_ISSUER, always written: the migration job has no KEYCLOAK_URL to derive it from. */}}
{{- define "lendgraph.issuer" -}}
{{- if .Values.keycloak.issuer -}}
{{- .Values.keycloak.issuer -}}
{{- else if .Values.keycloak.operator.enabled -}}
{{- printf "%s/realms/%s" (.Values.keycloak.operator.hostname | trimSuffix "/") .Values.keycloak.realm -}}
{{- else if .Values.keycloak.url -}}
{{- printf "%s/realms/%s" (.Values.keycloak.url | trimSuffix "/") .Values.keycloak.realm -}}
{{- end -}}
{{- end -}}

{{- define "lendgraph.jwksUrl" -}}
{{- if .Values.keycloak.jwksUrl -}}
{{- .Values.keycloak.jwksUrl -}}
{{- else if .Values.keycloak.operator.enabled -}}
{{- printf "%s/realms/%s/protocol/openid-connect/certs" (include "lendgraph.keycloakUrl" .) .Values.keycloak.realm -}}
{{- end -}}
{{- end -}}

{{/* terminationGracePeriodSeconds: the preStop pause, the drain (SHUTDOWN_TIMEOUT_MS, rounded up), a margin. */}}
{{- define "lendgraph.terminationGracePeriodSeconds" -}}
{{- $drainMs := int .Values.gateway.shutdownTimeoutMs -}}
{{- $drain := div (add $drainMs 999) 1000 -}}
{{- add (int .Values.gateway.preStopSeconds) $drain (int .Values.gateway.terminationMarginSeconds) -}}
{{- end -}}

{{/* What must hold before anything is rendered: each check names the value to set. */}}
{{- define "lendgraph.checkValues" -}}
{{- $v := .Values -}}
{{- if and $v.postgresql.cnpg.enabled (not $v.secret.existingSecret) $v.secret.DATABASE_URL -}}
{{- fail "secret.DATABASE_URL: leave it empty with postgresql.cnpg.enabled (the gateway uses the cluster's <cluster>-app Secret)" -}}
{{- end -}}
{{- if not $v.secret.existingSecret -}}
{{- if and (not $v.postgresql.cnpg.enabled) (not $v.secret.DATABASE_URL) -}}
{{- fail "secret.DATABASE_URL: required (postgresql://…), or secret.existingSecret, or postgresql.cnpg.enabled" -}}
{{- end -}}
{{- if not $v.secret.DATA_ENCRYPTION_KEY -}}
{{- fail "secret.DATA_ENCRYPTION_KEY: required, 32 random bytes base64-encoded (openssl rand -base64 32), or secret.existingSecret" -}}
{{- end -}}
{{- if ne (len (b64dec $v.secret.DATA_ENCRYPTION_KEY)) 32 -}}
{{- fail "secret.DATA_ENCRYPTION_KEY: must be 32 bytes, base64-encoded (openssl rand -base64 32)" -}}
{{- end -}}
{{- if and (include "lendgraph.keycloakUrl" .) (not $v.keycloak.operator.enabled) (not $v.secret.KEYCLOAK_ADMIN_PASSWORD) -}}
{{- fail "secret.KEYCLOAK_ADMIN_PASSWORD: required with keycloak.url (onboarding sets tenants up in Keycloak), or secret.existingSecret" -}}
{{- end -}}
{{- end -}}
{{- if not (include "lendgraph.issuer" .) -}}
{{- fail "keycloak.url (or keycloak.issuer, or keycloak.operator.enabled): production refuses the development token issuer" -}}
{{- end -}}
{{- if and $v.keycloak.operator.enabled (not $v.keycloak.operator.hostname) -}}
{{- fail "keycloak.operator.hostname: required with keycloak.operator.enabled (Keycloak's public URL, e.g. https://auth.lender.example)" -}}
{{- end -}}
{{- if and $v.keycloak.operator.enabled (not $v.keycloak.operator.db.host) -}}
{{- fail "keycloak.operator.db.host: required with keycloak.operator.enabled (Keycloak's own PostgreSQL)" -}}
{{- end -}}
{{- if and $v.ingress.enabled (not $v.ingress.host) -}}
{{- fail "ingress.host: required with ingress.enabled" -}}
{{- end -}}
{{- end -}}

{{/* The plain settings, shared by the gateway's ConfigMap and the migration job's; the job's leaves Keycloak's
     admin API out (it never calls it, and the operator's admin Secret does not exist yet on a first install). */}}
{{- define "lendgraph.configData" -}}
{{- $ := index . 0 -}}
{{- $forGateway := index . 1 -}}
{{- with $ -}}
{{- range $name, $value := .Values.config }}
{{ $name }}: {{ $value | toString | quote }}
{{- end }}
NODE_ENV: "production"
HOST: "0.0.0.0"
PORT: {{ .Values.gateway.port | toString | quote }}
METRICS_PORT: {{ .Values.gateway.metricsPort | toString | quote }}
MIGRATE_ON_START: "false"
SHUTDOWN_TIMEOUT_MS: {{ .Values.gateway.shutdownTimeoutMs | toString | quote }}
DATA_DIR: "/tmp/lendgraph"
KEYCLOAK_REALM: {{ .Values.keycloak.realm | quote }}
AUTH_AUDIENCE: {{ .Values.keycloak.audience | quote }}
AUTH_ISSUER: {{ include "lendgraph.issuer" . | quote }}
{{- with include "lendgraph.jwksUrl" . }}
AUTH_JWKS_URL: {{ . | quote }}
{{- end }}
{{- if $forGateway }}
{{- with include "lendgraph.keycloakUrl" . }}
KEYCLOAK_URL: {{ . | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Secret settings as env entries: from the chart's Secret (or the named existing one), the CNPG cluster's
     generated app Secret, or the Keycloak Operator's initial admin. $secretName is the Secret to read. */}}
{{- define "lendgraph.secretEnv" -}}
{{- $ := index . 0 -}}
{{- $secretName := index . 1 -}}
{{- $withKeycloakAdmin := index . 2 -}}
{{- if $.Values.postgresql.cnpg.enabled }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "lendgraph.cnpgClusterName" $ }}-app
      key: uri
{{- else }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ $secretName }}
      key: DATABASE_URL
{{- end }}
- name: DATA_ENCRYPTION_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $secretName }}
      key: DATA_ENCRYPTION_KEY
{{- /* Only while a key rotation is under way (docs/operations.md): values sealed under it still open. */}}
- name: DATA_ENCRYPTION_KEY_PREVIOUS
  valueFrom:
    secretKeyRef:
      name: {{ $secretName }}
      key: DATA_ENCRYPTION_KEY_PREVIOUS
      optional: true
{{- /* Further databases tenants are placed on (docs/operations.md, "Placing tenants on more than one server"). */}}
- name: TENANT_DATABASES
  valueFrom:
    secretKeyRef:
      name: {{ $secretName }}
      key: TENANT_DATABASES
      optional: true
{{- if and $withKeycloakAdmin (include "lendgraph.keycloakUrl" $) }}
{{- if and $.Values.keycloak.operator.enabled (not $.Values.secret.KEYCLOAK_ADMIN_PASSWORD) (not $.Values.secret.existingSecret) }}
{{- $admin := default (printf "%s-initial-admin" (include "lendgraph.keycloakName" $)) $.Values.keycloak.operator.bootstrapAdminSecret }}
- name: KEYCLOAK_ADMIN_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ $admin }}
      key: username
- name: KEYCLOAK_ADMIN_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $admin }}
      key: password
{{- else }}
- name: KEYCLOAK_ADMIN_USERNAME
  value: {{ $.Values.keycloak.adminUsername | quote }}
- name: KEYCLOAK_ADMIN_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $secretName }}
      key: KEYCLOAK_ADMIN_PASSWORD
{{- end }}
{{- end }}
{{- end -}}

{{/* The Secret's data, shared by the gateway's Secret and the migration job's copy. */}}
{{- define "lendgraph.secretData" -}}
{{- if not .Values.postgresql.cnpg.enabled }}
DATABASE_URL: {{ .Values.secret.DATABASE_URL | b64enc | quote }}
{{- end }}
DATA_ENCRYPTION_KEY: {{ .Values.secret.DATA_ENCRYPTION_KEY | b64enc | quote }}
{{- with .Values.secret.DATA_ENCRYPTION_KEY_PREVIOUS }}
DATA_ENCRYPTION_KEY_PREVIOUS: {{ . | b64enc | quote }}
{{- end }}
{{- with .Values.secret.KEYCLOAK_ADMIN_PASSWORD }}
KEYCLOAK_ADMIN_PASSWORD: {{ . | b64enc | quote }}
{{- end }}
{{- with .Values.secret.TENANT_DATABASES }}
TENANT_DATABASES: {{ . | b64enc | quote }}
{{- end }}
{{- end -}}

{{/* The pod-level and container-level settings the gateway and the migration job share. */}}
{{- define "lendgraph.podSecurity" -}}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
automountServiceAccountToken: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{- define "lendgraph.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpVolume.sizeLimit }}
{{- end -}}
