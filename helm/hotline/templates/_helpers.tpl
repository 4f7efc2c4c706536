{{- define "hotline.labels" -}}
app.kubernetes.io/name: hotline
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{/* The Secret holding the NATS identities' passwords (keys api-password, worker-password, admin-password). */}}
{{- define "hotline.natsCredentials" -}}
{{- .Values.nats.credentialsSecret | default (printf "%s-nats-credentials" .Release.Name) -}}
{{- end -}}

{{/* The Secret holding Keycloak's secrets (keys admin-username, admin-password, api-client-secret). */}}
{{- define "hotline.keycloakCredentials" -}}
{{- .Values.keycloak.credentialsSecret | default (printf "%s-keycloak-credentials" .Release.Name) -}}
{{- end -}}

{{/*
A container's environment: (dict "root" . "role" "api"|"worker"|""). Each pod gets the NATS password of its own
role only (infra/nats_auth.py; the user is the role's name); the migrations use no NATS. The API pods get the
secret of Keycloak's service-account client; only the sso-sync Job ("keycloakAdmin" true) gets Keycloak's admin.
*/}}
{{- define "hotline.env" -}}
{{- $root := .root -}}
env:
  - name: HOTLINE_MIGRATE_WORKERS
    value: {{ $root.Values.migrate.workers | quote }}
  - name: HOTLINE_MIGRATE_LOCK_TIMEOUT_MS
    value: {{ $root.Values.migrate.lockTimeoutMs | quote }}
  - name: HOTLINE_NATS_PREFIX
    value: {{ $root.Values.natsPrefix | quote }}
  {{- if $root.Values.nats.enabled }}
  - name: HOTLINE_NATS_URL
    value: "nats://{{ $root.Release.Name }}-nats:4222"
  {{- end }}
  {{- if eq .role "api" }}
  - name: HOTLINE_TRUSTED_PROXIES
    value: {{ $root.Values.api.trustedProxies | toJson | quote }}
  {{- end }}
  {{- if .role }}
  - name: HOTLINE_NATS_{{ upper .role }}_PASSWORD
    valueFrom:
      secretKeyRef:
        name: {{ include "hotline.natsCredentials" $root }}
        key: {{ .role }}-password
  {{- end }}
  {{- if or (eq .role "api") .keycloakAdmin }}
  - name: HOTLINE_KEYCLOAK_API_CLIENT_SECRET
    valueFrom:
      secretKeyRef:
        name: {{ include "hotline.keycloakCredentials" $root }}
        key: api-client-secret
  {{- end }}
  {{- if .keycloakAdmin }}
  - name: HOTLINE_KEYCLOAK_ADMIN
    valueFrom:
      secretKeyRef:
        name: {{ include "hotline.keycloakCredentials" $root }}
        key: admin-username
  - name: HOTLINE_KEYCLOAK_ADMIN_PASSWORD
    valueFrom:
      secretKeyRef:
        name: {{ include "hotline.keycloakCredentials" $root }}
        key: admin-password
  {{- end }}
envFrom:
  - secretRef:
      name: {{ $root.Values.existingSecret }}
{{- end -}}
