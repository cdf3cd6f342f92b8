package main

import (
	"fmt"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// CheckReferences finds what each object valid on its own gets wrong about the others in the same rendering: a
// selector that selects no pods, a name that names nothing, a port name no container or Service has. The API
// server accepts these, and the release then does nothing, or the wrong thing, quietly.
func CheckReferences(objects []Object) []error {
	var problems []error
	pods := map[string]corev1.PodTemplateSpec{}
	services := map[string]*corev1.Service{}
	configMaps := map[string]bool{}
	deployments := map[string]bool{}
	for _, object := range objects {
		switch typed := object.Decoded.(type) {
		case *appsv1.Deployment:
			pods["Deployment "+typed.Name] = typed.Spec.Template
			deployments[typed.Name] = true
		case *batchv1.Job:
			pods["Job "+typed.Name] = typed.Spec.Template
		case *corev1.Service:
			services[typed.Name] = typed
		case *corev1.ConfigMap:
			configMaps[typed.Name] = true
		}
	}
	selects := func(selector labels.Selector) bool {
		for _, template := range pods {
			if selector.Matches(labels.Set(template.Labels)) {
				return true
			}
		}
		return false
	}
	report := func(object Object, format string, args ...interface{}) {
		problems = append(problems, fmt.Errorf("%s: %s", object, fmt.Sprintf(format, args...)))
	}
	labelSelector := func(object Object, where string, selector *metav1.LabelSelector) {
		parsed, err := metav1.LabelSelectorAsSelector(selector)
		if err != nil {
			report(object, "%s: %v", where, err)
		} else if !selects(parsed) {
			report(object, "%s selects no pod of this rendering", where)
		}
	}

	for _, object := range objects {
		switch typed := object.Decoded.(type) {
		case *appsv1.Deployment:
			// The API server refuses this one; it is here because strict decoding alone does not see it.
			selector, err := metav1.LabelSelectorAsSelector(typed.Spec.Selector)
			if err != nil || !selector.Matches(labels.Set(typed.Spec.Template.Labels)) {
				report(object, "spec.selector does not match spec.template.metadata.labels")
			}
			checkPodTemplate(object, typed.Spec.Template, configMaps, report)
		case *batchv1.Job:
			checkPodTemplate(object, typed.Spec.Template, configMaps, report)
		case *corev1.Service:
			if len(typed.Spec.Selector) > 0 && !selects(labels.SelectorFromSet(typed.Spec.Selector)) {
				report(object, "spec.selector selects no pod of this rendering")
			}
			for _, port := range typed.Spec.Ports {
				if port.TargetPort.Type == intstr.String && !anyPodHasPort(pods, typed.Spec.Selector, port.TargetPort.StrVal) {
					report(object, "port %q: targetPort %q is no container port of the pods it selects", port.Name, port.TargetPort.StrVal)
				}
			}
		case *autoscalingv2.HorizontalPodAutoscaler:
			if typed.Spec.ScaleTargetRef.Kind != "Deployment" || !deployments[typed.Spec.ScaleTargetRef.Name] {
				report(object, "spec.scaleTargetRef names %s %q, not a Deployment of this rendering", typed.Spec.ScaleTargetRef.Kind, typed.Spec.ScaleTargetRef.Name)
			}
		case *policyv1.PodDisruptionBudget:
			labelSelector(object, "spec.selector", typed.Spec.Selector)
		case *networkingv1.NetworkPolicy:
			labelSelector(object, "spec.podSelector", &typed.Spec.PodSelector)
		case *networkingv1.Ingress:
			for _, rule := range typed.Spec.Rules {
				if rule.HTTP == nil {
					continue
				}
				for _, httpPath := range rule.HTTP.Paths {
					backend := httpPath.Backend.Service
					if backend == nil {
						continue
					}
					service, ok := services[backend.Name]
					if !ok {
						report(object, "path %q: backend Service %q is not in this rendering", httpPath.Path, backend.Name)
					} else if !serviceHasPort(service, backend.Port) {
						report(object, "path %q: Service %q has no port %s", httpPath.Path, backend.Name, describePort(backend.Port))
					}
				}
			}
		case *monitoringv1.ServiceMonitor:
			selector, err := metav1.LabelSelectorAsSelector(&typed.Spec.Selector)
			if err != nil {
				report(object, "spec.selector: %v", err)
				continue
			}
			var selected []*corev1.Service
			for _, service := range services {
				if selector.Matches(labels.Set(service.Labels)) {
					selected = append(selected, service)
				}
			}
			if len(selected) == 0 {
				report(object, "spec.selector selects no Service of this rendering")
			}
			for _, endpoint := range typed.Spec.Endpoints {
				for _, service := range selected {
					if !serviceHasPort(service, networkingv1.ServiceBackendPort{Name: endpoint.Port}) {
						report(object, "endpoint port %q is not a port of Service %q", endpoint.Port, service.Name)
					}
				}
			}
		}
	}
	return problems
}

func checkPodTemplate(object Object, template corev1.PodTemplateSpec, configMaps map[string]bool, report func(Object, string, ...interface{})) {
	for _, container := range template.Spec.Containers {
		ports := map[string]bool{}
		for _, port := range container.Ports {
			ports[port.Name] = true
		}
		for name, probe := range map[string]*corev1.Probe{"livenessProbe": container.LivenessProbe, "readinessProbe": container.ReadinessProbe, "startupProbe": container.StartupProbe} {
			if probe != nil && probe.HTTPGet != nil && probe.HTTPGet.Port.Type == intstr.String && !ports[probe.HTTPGet.Port.StrVal] {
				report(object, "container %q: %s port %q is not one of its ports", container.Name, name, probe.HTTPGet.Port.StrVal)
			}
		}
		// ConfigMaps are all the chart's own; Secrets may come from elsewhere (an operator, or made by hand).
		for _, source := range container.EnvFrom {
			if source.ConfigMapRef != nil && !configMaps[source.ConfigMapRef.Name] {
				report(object, "container %q: envFrom names ConfigMap %q, which is not in this rendering", container.Name, source.ConfigMapRef.Name)
			}
		}
		for _, env := range container.Env {
			if env.ValueFrom != nil && env.ValueFrom.ConfigMapKeyRef != nil && !configMaps[env.ValueFrom.ConfigMapKeyRef.Name] {
				report(object, "container %q: env %s names ConfigMap %q, which is not in this rendering", container.Name, env.Name, env.ValueFrom.ConfigMapKeyRef.Name)
			}
		}
	}
}

func anyPodHasPort(pods map[string]corev1.PodTemplateSpec, selector map[string]string, name string) bool {
	for _, template := range pods {
		if !labels.SelectorFromSet(selector).Matches(labels.Set(template.Labels)) {
			continue
		}
		for _, container := range template.Spec.Containers {
			for _, port := range container.Ports {
				if port.Name == name {
					return true
				}
			}
		}
	}
	return false
}

func serviceHasPort(service *corev1.Service, port networkingv1.ServiceBackendPort) bool {
	for _, servicePort := range service.Spec.Ports {
		if (port.Name != "" && servicePort.Name == port.Name) || (port.Name == "" && servicePort.Port == port.Number) {
			return true
		}
	}
	return false
}

func describePort(port networkingv1.ServiceBackendPort) string {
	if port.Name != "" {
		return fmt.Sprintf("named %q", port.Name)
	}
	return fmt.Sprintf("%d", port.Number)
}
