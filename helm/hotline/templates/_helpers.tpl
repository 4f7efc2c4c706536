{{- define "hotline.labels" -}}
app.kubernetes.io/name: hotline
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{- define "hotline.env" -}}
- name: HOTLINE_MIGRATE_WORKERS
  value: {{ .Values.migrate.workers | quote }}
- name: HOTLINE_MIGRATE_LOCK_TIMEOUT_MS
  value: {{ .Values.migrate.lockTimeoutMs | quote }}
- name: HOTLINE_NATS_PREFIX
  value: {{ .Values.natsPrefix | quote }}
envFrom:
  - secretRef:
      name: {{ .Values.existingSecret }}
{{- end -}}
