{{- define "switchyard.fullname" -}}
{{- printf "%s-switchyard" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "switchyard.labels" -}}
app.kubernetes.io/name: switchyard
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "switchyard.selector" -}}
app.kubernetes.io/name: switchyard
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "switchyard.authSecret" -}}
{{- if .Values.auth.existingSecret -}}{{ .Values.auth.existingSecret }}{{- else -}}{{ include "switchyard.fullname" . }}-auth{{- end -}}
{{- end -}}

{{- define "switchyard.postgresSecret" -}}
{{- if .Values.postgres.bundled.enabled -}}{{ include "switchyard.fullname" . }}-postgres{{- else -}}{{ .Values.postgres.external.existingSecret }}{{- end -}}
{{- end -}}

{{- define "switchyard.postgresKey" -}}
{{- if .Values.postgres.bundled.enabled -}}dsn{{- else -}}{{ .Values.postgres.external.dsnKey }}{{- end -}}
{{- end -}}

{{- define "switchyard.providerKeysSecret" -}}
{{- if .Values.providerKeys.existingSecret -}}{{ .Values.providerKeys.existingSecret }}{{- else if .Values.providerKeys.values -}}{{ include "switchyard.fullname" . }}-provider-keys{{- end -}}
{{- end -}}

{{- define "switchyard.tlsSecret" -}}
{{- if .Values.tls.existingSecret -}}{{ .Values.tls.existingSecret }}{{- else -}}{{ include "switchyard.fullname" . }}-tls{{- end -}}
{{- end -}}
