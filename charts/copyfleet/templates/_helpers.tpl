{{/* Names and labels: every object name is built here, truncated to 63 characters. */}}
{{- define "copyfleet.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "copyfleet.fullname" -}}
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

{{/* "<fullname>-<component>", truncated so the suffix survives. Call with (list $ "worker"). */}}
{{- define "copyfleet.component" -}}
{{- $root := index . 0 }}{{- $c := index . 1 }}
{{- printf "%s-%s" (include "copyfleet.fullname" $root | trunc (int (sub 62 (len $c)))) $c | trimSuffix "-" }}
{{- end }}

{{- define "copyfleet.selectorLabels" -}}
{{- $root := index . 0 }}{{- $c := index . 1 }}
app.kubernetes.io/name: {{ include "copyfleet.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ $c }}
{{- end }}

{{- define "copyfleet.labels" -}}
{{- $root := index . 0 }}
helm.sh/chart: {{ printf "%s-%s" $root.Chart.Name $root.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "copyfleet.selectorLabels" . }}
app.kubernetes.io/version: {{ $root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ $root.Release.Service }}
app.kubernetes.io/part-of: copyfleet
{{- end }}

{{- define "copyfleet.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* The Secret every pod reads: existingSecret, or the dev Secret when both dev services run. */}}
{{- define "copyfleet.secretName" -}}
{{- if .Values.existingSecret }}
{{- .Values.existingSecret }}
{{- else if and .Values.dev.postgres.enabled .Values.dev.redis.enabled }}
{{- include "copyfleet.component" (list . "dev") }}
{{- else }}
{{- fail "copyfleet: set existingSecret to a Secret with DATABASE_URL, REDIS_URL, DASHBOARD_TOKEN and SPLITTER_TOKEN (secretKeys names the keys), or enable dev.postgres and dev.redis to try it out" }}
{{- end }}
{{- end }}

{{/* Whether an autoscaler owns the worker Deployment's replica count. */}}
{{- define "copyfleet.workerAutoscaled" -}}
{{- if or .Values.autoscaling.keda.enabled .Values.autoscaling.hpa.enabled }}true{{ end }}
{{- end }}

{{/* Whether the splitter service sets the worker count (splitter.scaleWorkers, and no autoscaler owns it). */}}
{{- define "copyfleet.splitterScales" -}}
{{- if and .Values.splitter.scaleWorkers (not (include "copyfleet.workerAutoscaled" .)) }}true{{ end }}
{{- end }}

{{/* The smallest worker count the configuration allows (PDB only when >= 1). */}}
{{- define "copyfleet.workerMinReplicas" -}}
{{- if .Values.autoscaling.keda.enabled }}{{ .Values.autoscaling.keda.minReplicas }}
{{- else if .Values.autoscaling.hpa.enabled }}{{ .Values.autoscaling.hpa.minReplicas }}
{{- else }}{{ .Values.worker.replicas }}{{ end }}
{{- end }}

{{/* Render-time checks of settings that must agree with each other. */}}
{{- define "copyfleet.validate" -}}
{{- if le (int (mul .Values.worker.terminationGracePeriodSeconds 1000)) (int .Values.worker.shutdownGraceMs) }}
{{- fail (printf "copyfleet: worker.terminationGracePeriodSeconds (%v s) must exceed worker.shutdownGraceMs (%v ms), or Kubernetes kills a worker before it finishes its chunk" .Values.worker.terminationGracePeriodSeconds .Values.worker.shutdownGraceMs) }}
{{- end }}
{{- if and .Values.autoscaling.keda.enabled (le (int .Values.autoscaling.keda.cooldownPeriod) (int .Values.worker.terminationGracePeriodSeconds)) }}
{{- fail (printf "copyfleet: autoscaling.keda.cooldownPeriod (%v s) must exceed worker.terminationGracePeriodSeconds (%v s)" .Values.autoscaling.keda.cooldownPeriod .Values.worker.terminationGracePeriodSeconds) }}
{{- end }}
{{- if and .Values.autoscaling.keda.enabled (not (.Capabilities.APIVersions.Has "keda.sh/v1alpha1")) }}
{{- fail "copyfleet: autoscaling.keda.enabled is true but the cluster has no keda.sh/v1alpha1 API: install KEDA (2.12 or newer) first, or set autoscaling.keda.enabled=false for a CPU HPA" }}
{{- end }}
{{- if and .Values.autoscaling.keda.enabled (gt (int .Values.autoscaling.keda.minReplicas) (int .Values.autoscaling.keda.maxReplicas)) }}
{{- fail "copyfleet: autoscaling.keda.minReplicas must not exceed maxReplicas" }}
{{- end }}
{{- $reserved := list "DATABASE_URL" "REDIS_URL" "DASHBOARD_TOKEN" "SPLITTER_TOKEN" "METRICS_PORT" "SPLITTER_PORT" "SPLITTER_HOST" "DASHBOARD_PORT" "OTEL_SERVICE_NAME" "SHUTDOWN_GRACE_MS" "SCALE_WORKERS" "WORKER_DEPLOYMENT" "POD_NAMESPACE" }}
{{- range .Values.config.extraEnv }}
{{- if has .name $reserved }}
{{- fail (printf "copyfleet: config.extraEnv must not set %s: the chart sets it (secrets come from existingSecret)" .name) }}
{{- end }}
{{- end }}
{{- end }}

{{/* Environment shared by every copyfleet container; secrets only by reference. */}}
{{- define "copyfleet.env" -}}
{{- $root := index . 0 }}{{- $c := index . 1 }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef: { name: {{ include "copyfleet.secretName" $root }}, key: {{ $root.Values.secretKeys.databaseUrl }} }
- name: REDIS_URL
  valueFrom:
    secretKeyRef: { name: {{ include "copyfleet.secretName" $root }}, key: {{ $root.Values.secretKeys.redisUrl }} }
- name: OTEL_SERVICE_NAME
  value: copyfleet-{{ $c }}
{{- with $root.Values.config.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "copyfleet.envFrom" -}}
- configMapRef:
    name: {{ include "copyfleet.component" (list . "config") }}
{{- with .Values.config.extraEnvFrom }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "copyfleet.probes" -}}
livenessProbe:
  httpGet: { path: /healthz, port: metrics }
  periodSeconds: {{ .Values.probes.periodSeconds }}
  timeoutSeconds: {{ .Values.probes.timeoutSeconds }}
  failureThreshold: {{ .Values.probes.failureThreshold }}
readinessProbe:
  httpGet: { path: /readyz, port: metrics }
  periodSeconds: {{ .Values.probes.periodSeconds }}
  timeoutSeconds: {{ .Values.probes.timeoutSeconds }}
  failureThreshold: {{ .Values.probes.failureThreshold }}
startupProbe:
  httpGet: { path: /healthz, port: metrics }
  periodSeconds: 2
  failureThreshold: 60
{{- end }}

{{/* Writable paths on a read-only root filesystem: /tmp and STAGING_DIR. */}}
{{- define "copyfleet.volumeMounts" -}}
- { name: tmp, mountPath: /tmp }
- { name: staging, mountPath: {{ .Values.config.stagingDir }} }
{{- end }}

{{- define "copyfleet.volumes" -}}
- name: tmp
  emptyDir: { sizeLimit: 1Gi }
- name: staging
{{- if .Values.staging.existingClaim }}
  persistentVolumeClaim: { claimName: {{ .Values.staging.existingClaim }} }
{{- else }}
  emptyDir: { sizeLimit: {{ .Values.staging.sizeLimit }} }
{{- end }}
{{- end }}

{{/* Pod-level settings shared by every copyfleet pod. Call with (list $ "worker"). */}}
{{- define "copyfleet.podCommon" -}}
{{- $root := index . 0 }}{{- $c := index . 1 }}
serviceAccountName: {{ include "copyfleet.component" (list $root $c) }}
automountServiceAccountToken: {{ and (eq $c "splitter") (eq (include "copyfleet.splitterScales" $root) "true") | ternary "true" "false" }}
securityContext:
  {{- toYaml $root.Values.podSecurityContext | nindent 2 }}
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
