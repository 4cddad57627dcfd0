package manifesttest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// manifestDir is where the shipped Kubernetes files are.
const manifestDir = "../kubernetes"

// imagePlaceholder is the image every workload names; kustomization.yaml
// (images:) or the operator replaces it with the image they pushed.
const imagePlaceholder = "REGISTRY/certsync:VERSION"

// kustomization is the part of kustomize's Kustomization that the shipped
// file uses, with kustomize's field names. Decoding it strictly makes a typo
// (or a field this test does not know) an error instead of a silent no-op.
type kustomization struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Namespace  string   `json:"namespace,omitempty"`
	Resources  []string `json:"resources"`
	Images     []struct {
		Name    string `json:"name"`
		NewName string `json:"newName,omitempty"`
		NewTag  string `json:"newTag,omitempty"`
		Digest  string `json:"digest,omitempty"`
	} `json:"images"`
}

// newObject returns the typed object a document of this apiVersion and kind
// decodes into; a kind the deploy files should not hold is an error.
func newObject(tm metav1.TypeMeta) (any, error) {
	switch tm.APIVersion + "/" + tm.Kind {
	case "batch/v1/CronJob":
		return &batchv1.CronJob{}, nil
	case "batch/v1/Job":
		return &batchv1.Job{}, nil
	case "apps/v1/Deployment":
		return &appsv1.Deployment{}, nil
	case "v1/Service":
		return &corev1.Service{}, nil
	case "v1/ConfigMap":
		return &corev1.ConfigMap{}, nil
	case "v1/Secret":
		return &corev1.Secret{}, nil
	case "v1/PersistentVolumeClaim":
		return &corev1.PersistentVolumeClaim{}, nil
	case "v1/Pod":
		return &corev1.Pod{}, nil
	case "kustomize.config.k8s.io/v1beta1/Kustomization":
		return &kustomization{}, nil
	}
	return nil, fmt.Errorf("apiVersion %q kind %q: not a kind this test knows", tm.APIVersion, tm.Kind)
}

// decodeStrict decodes every YAML document of data into its API type;
// unknown or duplicate fields, wrong types and bad quantities are errors.
func decodeStrict(data []byte) ([]any, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var objs []any
	for i := 1; ; i++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		var probe map[string]any
		if err := yaml.Unmarshal(doc, &probe); err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if len(probe) == 0 {
			continue // only comments
		}
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &tm); err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		obj, err := newObject(tm)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if err := yaml.UnmarshalStrict(doc, obj); err != nil {
			return nil, fmt.Errorf("document %d (%s): %w", i, tm.Kind, err)
		}
		objs = append(objs, obj)
	}
}

// podSpec returns the pod template of a workload, with a name for messages.
func podSpec(obj any) (string, *corev1.PodSpec, *metav1.ObjectMeta) {
	switch o := obj.(type) {
	case *batchv1.CronJob:
		t := &o.Spec.JobTemplate.Spec.Template
		return "CronJob " + o.Name, &t.Spec, &t.ObjectMeta
	case *batchv1.Job:
		return "Job " + o.Name, &o.Spec.Template.Spec, &o.Spec.Template.ObjectMeta
	case *appsv1.Deployment:
		return "Deployment " + o.Name, &o.Spec.Template.Spec, &o.Spec.Template.ObjectMeta
	case *corev1.Pod:
		return "Pod " + o.Name, &o.Spec, &o.ObjectMeta
	}
	return "", nil, nil
}

type manifest struct {
	file string
	objs []any
}

func loadManifests(t *testing.T) []manifest {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(manifestDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no manifests in %s", manifestDir)
	}
	var ms []manifest
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := decodeStrict(data)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
			continue
		}
		ms = append(ms, manifest{file: filepath.Base(f), objs: objs})
	}
	return ms
}

// Every manifest decodes strictly into the Kubernetes API types, and every
// pod they run meets the restricted Pod Security Standard and this project's
// own rules.
func TestManifestsStrictAndRestricted(t *testing.T) {
	pods := 0
	for _, m := range loadManifests(t) {
		for _, obj := range m.objs {
			name, spec, meta := podSpec(obj)
			if spec == nil {
				continue
			}
			pods++
			for _, v := range restrictedViolations(spec, meta) {
				t.Errorf("%s: %s: restricted Pod Security: %s", m.file, name, v)
			}
			for _, v := range projectViolations(spec) {
				t.Errorf("%s: %s: %s", m.file, name, v)
			}
		}
	}
	if pods < 2 {
		t.Errorf("found %d pod templates, want the CronJob's and the Deployment's", pods)
	}
}

// projectViolations are certsync's rules on top of the restricted profile:
// the seccomp profile set once for the pod, no service-account token (it
// never talks to the Kubernetes API), a read-only root, memory requested and
// limited, and the image named by the placeholder that kustomization.yaml sets.
func projectViolations(spec *corev1.PodSpec) []string {
	var out []string
	if sc := spec.SecurityContext; sc == nil || sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		out = append(out, "pod securityContext.seccompProfile.type is not RuntimeDefault")
	}
	if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
		out = append(out, "automountServiceAccountToken is not false")
	}
	for _, c := range spec.Containers {
		if c.SecurityContext == nil || c.SecurityContext.ReadOnlyRootFilesystem == nil || !*c.SecurityContext.ReadOnlyRootFilesystem {
			out = append(out, fmt.Sprintf("container %s: readOnlyRootFilesystem is not true", c.Name))
		}
		if c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
			out = append(out, fmt.Sprintf("container %s: memory request or limit missing", c.Name))
		}
		if c.Resources.Requests.Cpu().IsZero() {
			out = append(out, fmt.Sprintf("container %s: no CPU request", c.Name))
		}
		if c.Image != imagePlaceholder {
			out = append(out, fmt.Sprintf("container %s: image %q, want the placeholder %q", c.Name, c.Image, imagePlaceholder))
		}
	}
	return out
}

// restrictedViolations checks the controls of the "restricted" Pod Security
// Standard (which includes "baseline"), as the admission controller does:
// https://kubernetes.io/docs/concepts/security/pod-security-standards/
func restrictedViolations(spec *corev1.PodSpec, meta *metav1.ObjectMeta) []string {
	var out []string
	bad := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }

	// Baseline: host namespaces, host ports, hostPath, privileged, added
	// capabilities, AppArmor, SELinux, /proc mount, sysctls.
	if spec.HostNetwork || spec.HostPID || spec.HostIPC {
		bad("host namespaces (hostNetwork/hostPID/hostIPC) are used")
	}
	if spec.SecurityContext != nil && spec.SecurityContext.WindowsOptions != nil && spec.SecurityContext.WindowsOptions.HostProcess != nil && *spec.SecurityContext.WindowsOptions.HostProcess {
		bad("hostProcess is set")
	}
	// Restricted: only these volume types.
	for _, v := range spec.Volumes {
		vs := v.VolumeSource
		if vs.ConfigMap == nil && vs.CSI == nil && vs.DownwardAPI == nil && vs.EmptyDir == nil &&
			vs.Ephemeral == nil && vs.PersistentVolumeClaim == nil && vs.Projected == nil && vs.Secret == nil {
			bad("volume %s: type not allowed (hostPath and other non-ephemeral sources are refused)", v.Name)
		}
	}
	for k, val := range meta.Annotations {
		if strings.HasPrefix(k, "container.apparmor.security.beta.kubernetes.io/") && val != "runtime/default" && !strings.HasPrefix(val, "localhost/") {
			bad("annotation %s=%s: AppArmor profile not allowed", k, val)
		}
	}
	safeSysctls := []string{"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
		"net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
		"net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"}

	podSC := spec.SecurityContext
	if podSC == nil {
		podSC = &corev1.PodSecurityContext{}
	}
	for _, s := range podSC.Sysctls {
		if !slices.Contains(safeSysctls, s.Name) {
			bad("sysctl %s not allowed", s.Name)
		}
	}
	checkSELinux := func(where string, o *corev1.SELinuxOptions) {
		if o == nil {
			return
		}
		if o.Type != "" && o.Type != "container_t" && o.Type != "container_init_t" && o.Type != "container_kvm_t" {
			bad("%s: seLinuxOptions.type %s not allowed", where, o.Type)
		}
		if o.User != "" || o.Role != "" {
			bad("%s: seLinuxOptions user/role must be unset", where)
		}
	}
	checkAppArmor := func(where string, p *corev1.AppArmorProfile) {
		if p != nil && p.Type == corev1.AppArmorProfileTypeUnconfined {
			bad("%s: AppArmor Unconfined", where)
		}
	}
	seccompOK := func(p *corev1.SeccompProfile) bool {
		return p != nil && (p.Type == corev1.SeccompProfileTypeRuntimeDefault || p.Type == corev1.SeccompProfileTypeLocalhost)
	}
	checkSELinux("pod", podSC.SELinuxOptions)
	checkAppArmor("pod", podSC.AppArmorProfile)
	if podSC.SeccompProfile != nil && !seccompOK(podSC.SeccompProfile) {
		bad("pod: seccompProfile %s not allowed", podSC.SeccompProfile.Type)
	}
	if podSC.RunAsUser != nil && *podSC.RunAsUser == 0 {
		bad("pod: runAsUser 0")
	}
	podNonRoot := podSC.RunAsNonRoot != nil && *podSC.RunAsNonRoot

	type ctr struct {
		kind  string
		name  string
		sc    *corev1.SecurityContext
		ports []corev1.ContainerPort
	}
	var all []ctr
	for _, c := range spec.InitContainers {
		all = append(all, ctr{"init container", c.Name, c.SecurityContext, c.Ports})
	}
	for _, c := range spec.Containers {
		all = append(all, ctr{"container", c.Name, c.SecurityContext, c.Ports})
	}
	for _, c := range spec.EphemeralContainers {
		all = append(all, ctr{"ephemeral container", c.Name, c.SecurityContext, c.Ports})
	}
	if len(all) == 0 {
		bad("no containers")
	}
	for _, c := range all {
		where := c.kind + " " + c.name
		for _, p := range c.ports {
			if p.HostPort != 0 {
				bad("%s: hostPort %d", where, p.HostPort)
			}
		}
		sc := c.sc
		if sc == nil {
			sc = &corev1.SecurityContext{}
		}
		if sc.Privileged != nil && *sc.Privileged {
			bad("%s: privileged", where)
		}
		if sc.ProcMount != nil && *sc.ProcMount != corev1.DefaultProcMount {
			bad("%s: procMount %s", where, *sc.ProcMount)
		}
		checkSELinux(where, sc.SELinuxOptions)
		checkAppArmor(where, sc.AppArmorProfile)
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			bad("%s: allowPrivilegeEscalation is not false", where)
		}
		if sc.RunAsUser != nil && *sc.RunAsUser == 0 {
			bad("%s: runAsUser 0", where)
		}
		if sc.RunAsNonRoot != nil && !*sc.RunAsNonRoot {
			bad("%s: runAsNonRoot false", where)
		} else if sc.RunAsNonRoot == nil && !podNonRoot {
			bad("%s: runAsNonRoot is set neither on the pod nor on the container", where)
		}
		if sc.SeccompProfile != nil && !seccompOK(sc.SeccompProfile) {
			bad("%s: seccompProfile %s not allowed", where, sc.SeccompProfile.Type)
		} else if sc.SeccompProfile == nil && podSC.SeccompProfile == nil {
			bad("%s: seccompProfile (RuntimeDefault or Localhost) is set neither on the pod nor on the container", where)
		}
		var drop, add []corev1.Capability
		if sc.Capabilities != nil {
			drop, add = sc.Capabilities.Drop, sc.Capabilities.Add
		}
		if !slices.Contains(drop, "ALL") {
			bad("%s: capabilities.drop does not include ALL", where)
		}
		for _, a := range add {
			if a != "NET_BIND_SERVICE" {
				bad("%s: capability %s added (only NET_BIND_SERVICE may be)", where, a)
			}
		}
	}
	return out
}

// The checks above fail on what the restricted profile refuses: each case
// breaks one control of the shipped CronJob's pod and must be reported.
func TestRestrictedViolationsCatchEachControl(t *testing.T) {
	base := func(t *testing.T) (*corev1.PodSpec, *metav1.ObjectMeta) {
		for _, m := range loadManifests(t) {
			for _, obj := range m.objs {
				if cj, ok := obj.(*batchv1.CronJob); ok {
					t := cj.Spec.JobTemplate.Spec.Template.DeepCopy()
					return &t.Spec, &t.ObjectMeta
				}
			}
		}
		t.Fatal("no CronJob in the manifests")
		return nil, nil
	}
	yes, no, root := true, false, int64(0)
	for _, tc := range []struct {
		name    string
		breakIt func(*corev1.PodSpec, *metav1.ObjectMeta)
		want    string
	}{
		{"hostPath", func(s *corev1.PodSpec, _ *metav1.ObjectMeta) {
			s.Volumes = append(s.Volumes, corev1.Volume{Name: "host", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}})
		}, "volume host: type not allowed"},
		{"hostNetwork", func(s *corev1.PodSpec, _ *metav1.ObjectMeta) { s.HostNetwork = true }, "host namespaces"},
		{"privileged", func(s *corev1.PodSpec, _ *metav1.ObjectMeta) { s.Containers[0].SecurityContext.Privileged = &yes }, "privileged"},
		{"escalation", func(s *corev1.PodSpec, _ *metav1.ObjectMeta) {
			s.Containers[0].SecurityContext.AllowPrivilegeEscalation = nil
		}, "allowPrivilegeEscalation is not false"},
		{"non-root", func(s *corev1.PodSpec, _ *metav1.ObjectMeta) { s.SecurityContext.RunAsNonRoot = nil }, "runAsNonRoot is set neither"},
		{"container root", func(s *corev1.PodSpec, _ *metav1.ObjectMeta) {
			s.Containers[0].SecurityContext.RunAsNonRoot = &no
		}, "runAsNonRoot false"},
		{"uid 0", func(s *corev1.PodSpec, _ *metav1.ObjectMeta) { s.SecurityContext.RunAsUser = &root }, "runAsUser 0"},
		{"no seccomp", func(s *corev1.PodSpec, _ *metav1.ObjectMeta) { s.SecurityContext.SeccompProfile = nil }, "seccompProfile (RuntimeDefault or Localhost) is set neither"},
		{"unconfined seccomp", func(s *corev1.PodSpec, _ *metav1.ObjectMeta) {
			s.SecurityContext.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}
		}, "pod: seccompProfile Unconfined"},
		{"capabilities kept", func(s *corev1.PodSpec, _ *metav1.ObjectMeta) { s.Containers[0].SecurityContext.Capabilities = nil }, "drop does not include ALL"},
		{"capability added", func(s *corev1.PodSpec, _ *metav1.ObjectMeta) {
			s.Containers[0].SecurityContext.Capabilities.Add = []corev1.Capability{"NET_ADMIN"}
		}, "capability NET_ADMIN added"},
		{"hostPort", func(s *corev1.PodSpec, _ *metav1.ObjectMeta) {
			s.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 9090, HostPort: 9090}}
		}, "hostPort 9090"},
		{"init container", func(s *corev1.PodSpec, _ *metav1.ObjectMeta) {
			s.InitContainers = []corev1.Container{{Name: "init", Image: "x"}}
		}, "init container init: allowPrivilegeEscalation"},
		{"sysctl", func(s *corev1.PodSpec, _ *metav1.ObjectMeta) {
			s.SecurityContext.Sysctls = []corev1.Sysctl{{Name: "kernel.msgmax", Value: "1"}}
		}, "sysctl kernel.msgmax"},
		{"apparmor", func(_ *corev1.PodSpec, m *metav1.ObjectMeta) {
			m.Annotations = map[string]string{"container.apparmor.security.beta.kubernetes.io/certsync": "unconfined"}
		}, "AppArmor profile not allowed"},
		{"selinux", func(s *corev1.PodSpec, _ *metav1.ObjectMeta) {
			s.SecurityContext.SELinuxOptions = &corev1.SELinuxOptions{Type: "spc_t"}
		}, "seLinuxOptions.type spc_t"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec, meta := base(t)
			if v := restrictedViolations(spec, meta); len(v) != 0 {
				t.Fatalf("the shipped CronJob already violates: %q", v)
			}
			tc.breakIt(spec, meta)
			v := restrictedViolations(spec, meta)
			if !slices.ContainsFunc(v, func(s string) bool { return strings.Contains(s, tc.want) }) {
				t.Errorf("violations %q lack %q", v, tc.want)
			}
		})
	}
}

// Strict decoding refuses what a lenient one would silently drop.
func TestDecodeStrictRefuses(t *testing.T) {
	for _, tc := range []struct{ name, doc, want string }{
		{"unknown field", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndta: {a: b}\n", "unknown field"},
		{"misplaced field", "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: x}\nspec:\n  schedule: '* * * * *'\n  activeDeadlineSeconds: 5\n  jobTemplate: {spec: {template: {spec: {containers: []}}}}\n", "unknown field"},
		{"duplicate field", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\nmetadata: {name: y}\n", "already set"},
		{"bad quantity", "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: x}\nspec: {resources: {requests: {storage: 1GB-ish}}}\n", "quantities"},
		{"unknown kind", "apiVersion: v1\nkind: Secrett\nmetadata: {name: x}\n", "not a kind"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeStrict([]byte(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// kustomization.yaml lists files that exist, never the example Secret (its
// placeholders would replace real credentials), and sets exactly the image
// placeholder the workloads name.
func TestKustomization(t *testing.T) {
	var k *kustomization
	workloads := map[string]bool{}
	files := map[string]bool{}
	for _, m := range loadManifests(t) {
		files[m.file] = true
		for _, obj := range m.objs {
			if kz, ok := obj.(*kustomization); ok {
				k = kz
			}
			if _, spec, _ := podSpec(obj); spec != nil {
				workloads[m.file] = true
			}
		}
	}
	if k == nil {
		t.Fatal("no kustomization.yaml")
	}
	hasWorkload := false
	for _, r := range k.Resources {
		if !files[r] {
			t.Errorf("resource %s: no such manifest", r)
		}
		if strings.HasPrefix(r, "secret") {
			t.Errorf("resource %s: the example Secret must not be applied", r)
		}
		hasWorkload = hasWorkload || workloads[r]
	}
	if !hasWorkload {
		t.Error("the kustomization lists no workload")
	}
	name, _, _ := strings.Cut(imagePlaceholder, ":")
	if len(k.Images) != 1 || k.Images[0].Name != name {
		t.Fatalf("images = %+v, want one entry named %q", k.Images, name)
	}
	if img := k.Images[0]; img.NewName == "" || img.NewTag == "" || img.NewTag == "latest" || strings.Contains(img.NewName, "REGISTRY") {
		t.Errorf("images[0] = %+v: want a registry name and a version tag", img)
	}
}
