package main

import (
	"os"
	"strings"
	"testing"
)

func release(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("testdata/release.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// checkAll runs both passes as the command does: each object on its own, then the references between them.
func checkAll(t *testing.T, stream string) []string {
	t.Helper()
	checker, err := NewChecker()
	if err != nil {
		t.Fatal(err)
	}
	documents, err := SplitDocuments([]byte(stream))
	if err != nil {
		return []string{err.Error()}
	}
	var problems []string
	var objects []Object
	for _, document := range documents {
		object, err := checker.Check(document)
		if err != nil {
			problems = append(problems, object.String()+": "+err.Error())
			continue
		}
		objects = append(objects, object)
	}
	if len(problems) > 0 {
		return problems
	}
	for _, problem := range CheckReferences(objects) {
		problems = append(problems, problem.Error())
	}
	return problems
}

func TestTheUnchangedReleasePasses(t *testing.T) {
	if problems := checkAll(t, release(t)); len(problems) > 0 {
		t.Fatalf("refused: %v", problems)
	}
	documents, err := SplitDocuments([]byte(release(t)))
	if err != nil {
		t.Fatal(err)
	}
	if len(documents) != 8 {
		t.Fatalf("%d documents, want 8 (the leading comment-only document is left out)", len(documents))
	}
}

// Each case changes one line of the passing release; the change must be refused, with a message naming it.
func TestOneChangeIsRefused(t *testing.T) {
	cases := []struct {
		name, from, to, refusal string
	}{
		{"unknown field in a Deployment's spec", "  replicas: 2", "  replicass: 2", `unknown field "spec.replicass"`},
		{"unknown field deep in a pod template", "              path: /readyz", "              paht: /readyz", `unknown field "spec.template.spec.containers[0].readinessProbe.httpGet.paht"`},
		{"unknown field in metadata", "  name: shop\n  labels:\n    app.kubernetes.io/name: shop\nspec:\n  replicas", "  name: shop\n  labelz:\n    app.kubernetes.io/name: shop\nspec:\n  replicas", `unknown field "metadata.labelz"`},
		{"a field given twice", "  replicas: 2", "  replicas: 2\n  replicas: 3", `key "replicas" already set`},
		{"a wrong type", "  replicas: 2", "  replicas: two", "cannot unmarshal"},
		{"an unknown kind", "kind: HorizontalPodAutoscaler", "kind: HorizontalPodScaler", "unknown kind autoscaling/v2, Kind=HorizontalPodScaler"},
		{"an API version Kubernetes removed", "apiVersion: networking.k8s.io/v1\nkind: Ingress", "apiVersion: extensions/v1beta1\nkind: Ingress", "extensions/v1beta1, Kind=Ingress is no longer served: Kubernetes removed it in 1.22"},
		{"an API version whose types client-go dropped", "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler", "apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler", "unknown kind autoscaling/v2beta2, Kind=HorizontalPodAutoscaler"},
		{"a name the API server refuses", "  name: shop-pg", "  name: Shop_PG", "metadata.name: Invalid value"},
		{"a Service name too long for DNS", "kind: Service\nmetadata:\n  name: shop", "kind: Service\nmetadata:\n  name: " + strings.Repeat("s", 64), "metadata.name: Invalid value"},
		{"unknown field in a ServiceMonitor", "      interval: 30s", "      intervall: 30s", `unknown field "spec.endpoints[0].intervall"`},
		{"unknown field in a CloudNativePG Cluster", "  instances: 3", "  instancess: 3", `unknown field "spec.instancess"`},
		{"a value outside a Cluster's enum", "  primaryUpdateStrategy: unsupervised", "  primaryUpdateStrategy: sometimes", `spec.primaryUpdateStrategy: Unsupported value: "sometimes"`},
		{"a value under a Cluster's minimum", "  instances: 3", "  instances: 0", "spec.instances: Invalid value"},
		{"unknown field in a Keycloak", "    strict: true", "    strictt: true", `unknown field "spec.hostname.strictt"`},
		{"a wrong type in a Keycloak", "    strict: true", "    strict: \"yes\"", "spec.hostname.strict in body must be of type boolean"},
		{"unknown field in a custom resource's metadata", "  name: shop-keycloak", "  name: shop-keycloak\n  label:\n    a: b", `metadata: unknown field "label"`},
		{"a Deployment whose selector misses its pods", "      labels:\n        app.kubernetes.io/name: shop\n    spec:", "      labels:\n        app.kubernetes.io/name: shopfront\n    spec:", "spec.selector does not match spec.template.metadata.labels"},
		{"a Service that selects nothing", "  selector:\n    app.kubernetes.io/name: shop\n  ports:", "  selector:\n    app.kubernetes.io/name: shopfront\n  ports:", "spec.selector selects no pod of this rendering"},
		{"a Service port naming no container port", "      targetPort: metrics", "      targetPort: prometheus", `targetPort "prometheus" is no container port`},
		{"a probe on a port the container lacks", "              port: http\n---", "              port: web\n---", `readinessProbe port "web" is not one of its ports`},
		{"an autoscaler aiming at nothing", "    name: shop\n  minReplicas", "    name: shopfront\n  minReplicas", `spec.scaleTargetRef names Deployment "shopfront"`},
		{"an Ingress to a missing Service", "                name: shop\n                port", "                name: shopfront\n                port", `backend Service "shopfront" is not in this rendering`},
		{"a ServiceMonitor on a port the Service lacks", "    - port: metrics", "    - port: prometheus", `endpoint port "prometheus" is not a port of Service "shop"`},
		{"a ConfigMap that is not rendered", "                name: shop\n          readinessProbe", "                name: shop-settings\n          readinessProbe", `envFrom names ConfigMap "shop-settings"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			original := release(t)
			if strings.Count(original, c.from) != 1 {
				t.Fatalf("the release has %q %d times, want once", c.from, strings.Count(original, c.from))
			}
			problems := checkAll(t, strings.Replace(original, c.from, c.to, 1))
			joined := strings.Join(problems, "\n")
			if !strings.Contains(joined, c.refusal) {
				t.Fatalf("want a refusal containing %q, got: %q", c.refusal, joined)
			}
		})
	}
}

func TestAStreamWithoutObjectsHasNothingToCheck(t *testing.T) {
	documents, err := SplitDocuments([]byte("---\n# Source: chart/templates/hpa.yaml\n---\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(documents) != 0 {
		t.Fatalf("%d documents, want none", len(documents))
	}
}
