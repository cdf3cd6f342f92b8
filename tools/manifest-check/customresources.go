package main

import (
	"embed"
	"fmt"
	"path"
	"strings"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/validation/field"
	sigsjson "sigs.k8s.io/json"
)

// The CustomResourceDefinitions of the kinds without Go types here (schemas/README.md says where each comes from).
//
//go:embed schemas/*.yaml
var schemaFiles embed.FS

// customResource is one served version of a CRD: the structural schema that prunes (finds unknown fields) and
// the OpenAPI validator that checks types, enums, bounds and required fields, as the API server does.
type customResource struct {
	kind       schema.GroupVersionKind
	structural *structuralschema.Structural
	validator  validation.SchemaValidator
}

func loadCustomResources() (map[schema.GroupVersionKind]*customResource, error) {
	crdScheme := runtime.NewScheme()
	if err := apiextensionsv1.AddToScheme(crdScheme); err != nil {
		return nil, err
	}
	decoder := json.NewSerializerWithOptions(json.DefaultMetaFactory, crdScheme, crdScheme, json.SerializerOptions{Yaml: true, Strict: true})
	entries, err := schemaFiles.ReadDir("schemas")
	if err != nil {
		return nil, err
	}
	found := map[schema.GroupVersionKind]*customResource{}
	for _, entry := range entries {
		if !strings.HasSuffix(entry.Name(), ".yaml") {
			continue
		}
		file := path.Join("schemas", entry.Name())
		data, err := schemaFiles.ReadFile(file)
		if err != nil {
			return nil, err
		}
		decoded, _, err := decoder.Decode(data, nil, nil)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		crd, ok := decoded.(*apiextensionsv1.CustomResourceDefinition)
		if !ok {
			return nil, fmt.Errorf("%s: not a CustomResourceDefinition", file)
		}
		for _, version := range crd.Spec.Versions {
			if !version.Served {
				continue
			}
			resource, err := newCustomResource(crd, version)
			if err != nil {
				return nil, fmt.Errorf("%s, version %s: %w", file, version.Name, err)
			}
			found[resource.kind] = resource
		}
	}
	return found, nil
}

func newCustomResource(crd *apiextensionsv1.CustomResourceDefinition, version apiextensionsv1.CustomResourceDefinitionVersion) (*customResource, error) {
	if version.Schema == nil || version.Schema.OpenAPIV3Schema == nil {
		return nil, fmt.Errorf("no openAPIV3Schema")
	}
	var internal apiextensions.JSONSchemaProps
	if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(version.Schema.OpenAPIV3Schema, &internal, nil); err != nil {
		return nil, err
	}
	structural, err := structuralschema.NewStructural(&internal)
	if err != nil {
		return nil, err
	}
	// The API server accepts only structural schemas (every field typed, nothing left open by accident).
	if errs := structuralschema.ValidateStructural(field.NewPath("openAPIV3Schema"), structural); len(errs) > 0 {
		return nil, errs.ToAggregate()
	}
	validator, _, err := validation.NewSchemaValidator(&internal)
	if err != nil {
		return nil, err
	}
	kind := schema.GroupVersionKind{Group: crd.Spec.Group, Version: version.Name, Kind: crd.Spec.Names.Kind}
	return &customResource{kind: kind, structural: structural, validator: validator}, nil
}

// check refuses unknown fields (what the API server would prune, or with fieldValidation=Strict refuse), then
// validates what is left against the schema; metadata is checked as for any object.
func (r *customResource) check(content []byte) (map[string]interface{}, error) {
	var object map[string]interface{}
	// k8s.io's JSON keeps integers as int64, as the API server's validator expects.
	if err := utiljson.Unmarshal(content, &object); err != nil {
		return nil, err
	}
	if err := checkCustomResourceMeta(r.kind, object); err != nil {
		return object, err
	}
	pruned := runtime.DeepCopyJSON(object)
	unknown := pruning.PruneWithOptions(pruned, r.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})
	var errs []error
	for _, fieldPath := range unknown {
		errs = append(errs, fmt.Errorf("unknown field %q", fieldPath))
	}
	for _, invalid := range validation.ValidateCustomResource(nil, object, r.validator) {
		errs = append(errs, invalid)
	}
	return object, utilerrors.NewAggregate(errs)
}

func checkCustomResourceMeta(kind schema.GroupVersionKind, object map[string]interface{}) error {
	raw, ok := object["metadata"]
	if !ok {
		return fmt.Errorf("metadata: required")
	}
	metadata, err := utiljson.Marshal(raw)
	if err != nil {
		return err
	}
	var meta metav1.ObjectMeta
	strictErrors, err := sigsjson.UnmarshalStrict(metadata, &meta)
	if err != nil {
		return fmt.Errorf("metadata: %w", err)
	}
	if len(strictErrors) > 0 {
		messages := make([]string, len(strictErrors))
		for i, strictError := range strictErrors {
			messages[i] = "metadata: " + strictError.Error()
		}
		return fmt.Errorf("%s", strings.Join(messages, "; "))
	}
	return validateMeta(kind, &meta).ToAggregate()
}
