{{/* Chart name, overridable. */}}
{{- define "weaseldb.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full resource name; 63 chars is the DNS label limit. */}}
{{- define "weaseldb.fullname" -}}
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

{{/* Headless Service name (StatefulSet serviceName, gives pods stable DNS). */}}
{{- define "weaseldb.headlessName" -}}
{{- printf "%s-headless" (include "weaseldb.fullname" . | trunc 54 | trimSuffix "-") }}
{{- end }}

{{- define "weaseldb.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Common labels. */}}
{{- define "weaseldb.labels" -}}
helm.sh/chart: {{ include "weaseldb.chart" . }}
{{ include "weaseldb.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Selector labels: immutable on a StatefulSet, so never add to them. */}}
{{- define "weaseldb.selectorLabels" -}}
app.kubernetes.io/name: {{ include "weaseldb.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "weaseldb.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "weaseldb.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "weaseldb.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* Where the ConfigMap is mounted; the server is started with --config <dir>/weaseldb.toml. */}}
{{- define "weaseldb.configDir" -}}
/etc/weaseldb
{{- end }}

{{/* HTTP port of the server, from the rendered config so the two cannot disagree. */}}
{{- define "weaseldb.port" -}}
{{- int .Values.config.http.port }}
{{- end }}

{{/* SIGTERM -> drain (drain_timeout_sec) -> exit; the margin covers the final fsync and JVM exit. */}}
{{- define "weaseldb.terminationGracePeriodSeconds" -}}
{{- add (int .Values.config.http.drain_timeout_sec) (int .Values.terminationGraceMarginSeconds) }}
{{- end }}

{{/*
TOML rendering of the nested `config` map. Called with (dict "path" "a.b" "table" $map).
Scalars (and lists of scalars) of a table come first, as TOML requires, then each sub-map
as its own [a.b.c] table. Values go through toJson: a JSON string, number, boolean or array
of those is also valid TOML. null values are skipped so the server default applies.
*/}}
{{- define "weaseldb.tomlTable" -}}
{{- $path := .path }}
{{- $scalars := dict }}
{{- $tables := dict }}
{{- range $key, $value := .table }}
{{- if not (regexMatch "^[A-Za-z0-9_-]+$" $key) }}
{{- fail (printf "config.%s%s: %q is not a TOML bare key" $path (ternary "" "." (eq $path "")) $key) }}
{{- end }}
{{- if kindIs "map" $value }}
{{- $_ := set $tables $key $value }}
{{- else if not (kindIs "invalid" $value) }}
{{- $_ := set $scalars $key $value }}
{{- end }}
{{- end }}
{{- if and $scalars (ne $path "") }}
{{- printf "\n[%s]\n" $path }}
{{- end }}
{{- range $key, $value := $scalars }}
{{- printf "%s = %s\n" $key (toJson $value) }}
{{- end }}
{{- range $key, $value := $tables }}
{{- include "weaseldb.tomlTable" (dict "path" (ternary $key (printf "%s.%s" $path $key) (eq $path "")) "table" $value) }}
{{- end }}
{{- end }}
