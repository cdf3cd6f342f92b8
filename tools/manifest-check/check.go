package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/validation/field"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"
)

// Checker decodes manifests as the API server would on create: built-in kinds and the Prometheus Operator's through
// their Go types with a strict decoder, custom resources without Go types through their CRD's structural schema.
// A kind it has neither for is refused rather than waved through.
type Checker struct {
	scheme          *runtime.Scheme
	strict          runtime.Decoder
	customResources map[schema.GroupVersionKind]*customResource
}

// Object names one decoded manifest in reports.
type Object struct {
	APIVersion string
	Kind       string
	Name       string
	Decoded    runtime.Object         // typed objects
	Content    map[string]interface{} // custom resources
}

func (o Object) String() string {
	return fmt.Sprintf("%s %s %q", o.APIVersion, o.Kind, o.Name)
}

func NewChecker() (*Checker, error) {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, err
	}
	if err := monitoringv1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	customResources, err := loadCustomResources()
	if err != nil {
		return nil, err
	}
	strict := json.NewSerializerWithOptions(json.DefaultMetaFactory, scheme, scheme, json.SerializerOptions{Strict: true})
	return &Checker{scheme: scheme, strict: strict, customResources: customResources}, nil
}

// SplitDocuments cuts a multi-document YAML stream at its `---` lines, leaving out documents with nothing but
// comments (Helm prints one per template that rendered empty).
func SplitDocuments(data []byte) ([][]byte, error) {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var documents [][]byte
	for {
		document, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return documents, nil
		}
		if err != nil {
			return nil, err
		}
		if isBlank(document) {
			continue
		}
		documents = append(documents, document)
	}
}

func isBlank(document []byte) bool {
	for _, line := range strings.Split(string(document), "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed != "" && trimmed != "---" && !strings.HasPrefix(trimmed, "#") {
			return false
		}
	}
	return true
}

// Check decodes one YAML document into the object it describes, or says why the API server would refuse it.
func (c *Checker) Check(document []byte) (Object, error) {
	// Strict YAML: a key given twice is an error here, where plain YAML keeps the last one silently.
	content, err := yaml.YAMLToJSONStrict(document)
	if err != nil {
		return Object{}, fmt.Errorf("not valid YAML: %w", err)
	}
	var typeMeta struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	if err := utiljson.Unmarshal(content, &typeMeta); err != nil {
		return Object{}, fmt.Errorf("not a Kubernetes object: %w", err)
	}
	object := Object{APIVersion: typeMeta.APIVersion, Kind: typeMeta.Kind, Name: typeMeta.Metadata.Name}
	if object.APIVersion == "" || object.Kind == "" {
		return object, errors.New("apiVersion and kind are required")
	}
	groupVersion, err := schema.ParseGroupVersion(object.APIVersion)
	if err != nil {
		return object, fmt.Errorf("apiVersion: %w", err)
	}
	kind := groupVersion.WithKind(object.Kind)
	switch {
	case c.scheme.Recognizes(kind):
		decoded, _, err := c.strict.Decode(content, nil, nil)
		// Said first: fields of a removed version's type are beside the point.
		if removed, ok := decoded.(removedAPI); ok {
			major, minor := removed.APILifecycleRemoved()
			if major == 1 && minor <= kubernetesMinor {
				return object, fmt.Errorf("%s is no longer served: Kubernetes removed it in %d.%d", kind, major, minor)
			}
		}
		if err != nil {
			return object, err
		}
		object.Decoded = decoded
		accessor, err := metaOf(decoded)
		if err != nil {
			return object, err
		}
		return object, validateMeta(kind, accessor).ToAggregate()
	case c.customResources[kind] != nil:
		object.Content, err = c.customResources[kind].check(content)
		return object, err
	default:
		return object, fmt.Errorf("unknown kind %s: neither a type of client-go %s or of the Prometheus Operator's "+
			"monitoring API, nor a custom resource with a schema in schemas/", kind, clientGoVersion)
	}
}

// clientGoVersion names the Kubernetes types the checker knows, for its messages (go.mod pins it).
const clientGoVersion = "v0.37.2"

// client-go keeps the Go types of API versions that clusters no longer serve; k8s.io/api marks each with the
// Kubernetes release that removed it, and an object of one is refused here as a cluster of that release (1.37,
// the release client-go v0.37 matches) or later refuses it.
const kubernetesMinor = 37

type removedAPI interface {
	APILifecycleRemoved() (major, minor int)
}

func metaOf(object runtime.Object) (metav1.Object, error) {
	accessor, ok := object.(metav1.ObjectMetaAccessor)
	if !ok {
		return nil, fmt.Errorf("%T has no metadata", object)
	}
	return accessor.GetObjectMeta(), nil
}

// validateMeta applies the API server's rules for names, labels and annotations. Services are named by the
// stricter DNS-1035 label rule (at most 63 characters, starting with a letter), as the API server requires.
func validateMeta(kind schema.GroupVersionKind, meta metav1.Object) field.ErrorList {
	nameRule := apimachineryvalidation.NameIsDNSSubdomain
	if kind.Group == "" && kind.Kind == "Service" {
		nameRule = apimachineryvalidation.NameIsDNS1035Label
	}
	return apimachineryvalidation.ValidateObjectMetaAccessor(meta, false, nameRule, field.NewPath("metadata"))
}
