{{- define "lineage.fullname" -}}
{{- printf "%s-lineage" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "lineage.labels" -}}
app.kubernetes.io/part-of: lineage
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "lineage.selector" -}}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "lineage.cassandraName" -}}{{ include "lineage.fullname" . }}-cassandra{{- end -}}
{{- define "lineage.janusgraphName" -}}{{ include "lineage.fullname" . }}-janusgraph{{- end -}}

{{/* Cassandra contact points: the external ring, or each pod of the chart's StatefulSet. */}}
{{- define "lineage.cassandraHosts" -}}
{{- if .Values.cassandra.external.hosts -}}
{{- join "," .Values.cassandra.external.hosts -}}
{{- else -}}
{{- $name := include "lineage.cassandraName" . -}}
{{- $hosts := list -}}
{{- range $i := until (int .Values.cassandra.replicas) -}}
{{- $hosts = append $hosts (printf "%s-%d.%s-headless.%s.svc.cluster.local" $name $i $name $.Release.Namespace) -}}
{{- end -}}
{{- join "," $hosts -}}
{{- end -}}
{{- end -}}

{{- define "lineage.gremlinUrl" -}}
{{- printf "ws://%s.%s.svc.cluster.local:%d/gremlin" (include "lineage.janusgraphName" .) .Release.Namespace (int .Values.janusgraph.port) -}}
{{- end -}}

{{- define "lineage.tokenSecret" -}}
{{- default (printf "%s-api-tokens" (include "lineage.fullname" .)) .Values.api.existingSecret -}}
{{- end -}}

{{- define "lineage.containerSecurity" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
{{- end -}}
