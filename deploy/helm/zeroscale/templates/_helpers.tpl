{{- define "zeroscale.labels" -}}
app.kubernetes.io/name: zeroscale
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "zeroscale.selector" -}}
app.kubernetes.io/name: zeroscale
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: daemon
{{- end -}}

{{- define "zeroscale.name" -}}
{{- if eq .Release.Name "zeroscale" -}}zeroscale{{- else -}}{{ printf "%s-zeroscale" .Release.Name | trunc 63 | trimSuffix "-" }}{{- end -}}
{{- end -}}

{{/* The rules of deploy/kubernetes/rbac.yaml, each explained there; DeployManifestsIT keeps them equal. */}}
{{- define "zeroscale.rules" -}}
- apiGroups: [apps]
  resources: [deployments, statefulsets, replicasets]
  verbs: [get, list, watch, patch]
- apiGroups: [apps]
  resources: [deployments/scale, statefulsets/scale, replicasets/scale]
  verbs: [get, update]
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list, watch, patch]
- apiGroups: [""]
  resources: [services]
  verbs: [get, list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [get, list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [create, patch]
- apiGroups: [autoscaling]
  resources: [horizontalpodautoscalers]
  verbs: [get, list, watch]
- apiGroups: [zeroscale.io]
  resources: [scaledtargets]
  verbs: [get, list, watch]
- apiGroups: [zeroscale.io]
  resources: [scaledtargets/status]
  verbs: [get, patch]
- apiGroups: [events.k8s.io]
  resources: [events]
  verbs: [create, patch]
- apiGroups: [""]
  resources: [pods/log]
  verbs: [get]
{{- end -}}

{{/* Leader election, the replica channel following the Lease's holder, and the ConfigMap state store: in the daemon's namespace. */}}
{{- define "zeroscale.leaseRules" -}}
- apiGroups: [coordination.k8s.io]
  resources: [leases]
  verbs: [get, create, patch]
- apiGroups: [coordination.k8s.io]
  resources: [leases]
  verbs: [list, watch]
{{- end -}}

{{/* The replica channel's check of its callers' tokens: TokenReviews are cluster-scoped. */}}
{{- define "zeroscale.tokenReviewRules" -}}
- apiGroups: [authentication.k8s.io]
  resources: [tokenreviews]
  verbs: [create]
{{- end -}}

{{- define "zeroscale.stateRules" -}}
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get, list, create, update, delete]
{{- end -}}
