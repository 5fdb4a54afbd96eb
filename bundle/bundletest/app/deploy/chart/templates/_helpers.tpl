{{/* The one way this chart names an image: repository@digest. */}}
{{- define "acme.image" -}}
{{ .repository }}@{{ .digest }}
{{- end -}}
