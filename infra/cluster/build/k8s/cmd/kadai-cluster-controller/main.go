// Command kadai-cluster-controller stands in, on the local single-node cluster, for the two cloud
// controllers a managed cluster (EKS) has and kind/minikube lack:
//
//   - LoadBalancer addresses: each Service of type LoadBalancer gets an address from --lb-cidr in
//     its status; kube-proxy then DNATs that address to the Service's endpoints, so it answers
//     from the host and from Pods (the addresses never leave the machine: `up` routes the range
//     to a blackhole, and kube-proxy's DNAT happens before routing).
//   - Legacy Ingress class annotation: Ingresses that name their class only through the
//     `kubernetes.io/ingress.class` annotation (older EKS manifests: `alb`) get the matching
//     spec.ingressClassName, so kadai-ingress, which reads spec.ingressClassName only, serves them.
//   - Dynamic provisioning: PVCs of a StorageClass whose provisioner is --provisioner get a
//     hostPath PV in a folder under --storage-root, with the claim's own access modes, so
//     ReadWriteMany (EFS labs) works on this one node. Released PVs with reclaimPolicy Delete
//     lose their folder and are deleted.
//
// It polls every two seconds rather than running informers: the cluster is tiny and the code
// stays short.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

const provisionedBy = "pv.kubernetes.io/provisioned-by"

var (
	kubeconfig  = flag.String("kubeconfig", "", "kubeconfig of the cluster")
	lbCIDR      = flag.String("lb-cidr", "10.250.0.0/24", "addresses for LoadBalancer Services")
	provisioner = flag.String("provisioner", "kadai.dev/hostpath", "provisioner name StorageClasses use")
	storageRoot = flag.String("storage-root", "/var/lib/kadai/cluster/volumes", "folder holding the volumes")
	nodeName    = flag.String("node", "kadai-control-plane", "the real node the volumes live on")
)

func main() {
	flag.Parse()
	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		log.Fatal(err)
	}
	cs := kubernetes.NewForConfigOrDie(cfg)
	prefix, err := netip.ParsePrefix(*lbCIDR)
	if err != nil {
		log.Fatal(err)
	}
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		if err := assignLoadBalancers(ctx, cs, prefix); err != nil {
			log.Printf("loadbalancers: %v", err)
		}
		if err := adoptAnnotatedIngresses(ctx, cs); err != nil {
			log.Printf("ingresses: %v", err)
		}
		if err := provision(ctx, cs); err != nil {
			log.Printf("provisioning: %v", err)
		}
		if err := reclaim(ctx, cs); err != nil {
			log.Printf("reclaiming: %v", err)
		}
		cancel()
		time.Sleep(2 * time.Second)
	}
}

func assignLoadBalancers(ctx context.Context, cs kubernetes.Interface, prefix netip.Prefix) error {
	svcs, err := cs.CoreV1().Services("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	used := map[netip.Addr]bool{}
	for _, s := range svcs.Items {
		for _, in := range s.Status.LoadBalancer.Ingress {
			if a, err := netip.ParseAddr(in.IP); err == nil {
				used[a] = true
			}
		}
	}
	for i := range svcs.Items {
		s := &svcs.Items[i]
		if s.Spec.Type != corev1.ServiceTypeLoadBalancer || s.Spec.LoadBalancerClass != nil ||
			len(s.Status.LoadBalancer.Ingress) > 0 {
			continue
		}
		addr, ok := netip.Addr{}, false
		if want, err := netip.ParseAddr(s.Spec.LoadBalancerIP); err == nil && prefix.Contains(want) && !used[want] {
			addr, ok = want, true
		}
		// .0 is the network; start at .1 and skip the broadcast-like last address.
		for a := prefix.Addr().Next(); !ok && prefix.Contains(a.Next()); a = a.Next() {
			if !used[a] {
				addr, ok = a, true
			}
		}
		if !ok {
			log.Printf("no free LoadBalancer address for %s/%s", s.Namespace, s.Name)
			continue
		}
		used[addr] = true
		s.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: addr.String(), IPMode: ptr(corev1.LoadBalancerIPModeVIP)}}
		if _, err := cs.CoreV1().Services(s.Namespace).UpdateStatus(ctx, s, metav1.UpdateOptions{}); err != nil {
			log.Printf("service %s/%s: %v", s.Namespace, s.Name, err)
			continue
		}
		log.Printf("service %s/%s: LoadBalancer address %s", s.Namespace, s.Name, addr)
	}
	return nil
}

func provision(ctx context.Context, cs kubernetes.Interface) error {
	classes, err := cs.StorageV1().StorageClasses().List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	reclaimOf := map[string]corev1.PersistentVolumeReclaimPolicy{}
	for _, c := range classes.Items {
		if c.Provisioner == *provisioner {
			reclaimOf[c.Name] = corev1.PersistentVolumeReclaimDelete
			if c.ReclaimPolicy != nil {
				reclaimOf[c.Name] = *c.ReclaimPolicy
			}
		}
	}
	pvcs, err := cs.CoreV1().PersistentVolumeClaims("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	for _, c := range pvcs.Items {
		if c.Status.Phase != corev1.ClaimPending || c.Spec.VolumeName != "" || c.Spec.StorageClassName == nil {
			continue
		}
		policy, ours := reclaimOf[*c.Spec.StorageClassName]
		if !ours {
			continue
		}
		// WaitForFirstConsumer classes: the scheduler names the node first.
		if c.Annotations["volume.kubernetes.io/selected-node"] == "" && waitsForConsumer(classes.Items, *c.Spec.StorageClassName) {
			continue
		}
		name := "pvc-" + string(c.UID)
		dir := filepath.Join(*storageRoot, fmt.Sprintf("%s_%s_%s", c.Namespace, c.Name, name))
		if err := os.MkdirAll(dir, 0o777); err != nil {
			return err
		}
		_ = os.Chmod(dir, 0o777) // any container user may write, as on a fresh EBS/EFS volume
		pv := &corev1.PersistentVolume{
			ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: map[string]string{provisionedBy: *provisioner}},
			Spec: corev1.PersistentVolumeSpec{
				Capacity:                      corev1.ResourceList{corev1.ResourceStorage: c.Spec.Resources.Requests[corev1.ResourceStorage]},
				AccessModes:                   c.Spec.AccessModes,
				PersistentVolumeReclaimPolicy: policy,
				StorageClassName:              *c.Spec.StorageClassName,
				VolumeMode:                    c.Spec.VolumeMode,
				ClaimRef:                      &corev1.ObjectReference{Kind: "PersistentVolumeClaim", APIVersion: "v1", Namespace: c.Namespace, Name: c.Name, UID: c.UID},
				PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{
					Path: dir, Type: ptr(corev1.HostPathDirectoryOrCreate)}},
				// Pods using the volume must run where the folder is: the real node.
				NodeAffinity: &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
					MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "kubernetes.io/hostname", Operator: corev1.NodeSelectorOpIn, Values: []string{*nodeName}}}}}}},
			},
		}
		if _, err := cs.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			log.Printf("pvc %s/%s: %v", c.Namespace, c.Name, err)
			continue
		}
		log.Printf("pvc %s/%s: provisioned %s at %s", c.Namespace, c.Name, name, dir)
	}
	return nil
}

func waitsForConsumer(classes []storageClass, name string) bool {
	for _, c := range classes {
		if c.Name == name && c.VolumeBindingMode != nil && string(*c.VolumeBindingMode) == "WaitForFirstConsumer" {
			return true
		}
	}
	return false
}

func reclaim(ctx context.Context, cs kubernetes.Interface) error {
	pvs, err := cs.CoreV1().PersistentVolumes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	for _, pv := range pvs.Items {
		if pv.Annotations[provisionedBy] != *provisioner || pv.Status.Phase != corev1.VolumeReleased ||
			pv.Spec.PersistentVolumeReclaimPolicy != corev1.PersistentVolumeReclaimDelete || pv.Spec.HostPath == nil {
			continue
		}
		// Only ever remove folders this controller made.
		if filepath.Dir(pv.Spec.HostPath.Path) == filepath.Clean(*storageRoot) {
			if err := os.RemoveAll(pv.Spec.HostPath.Path); err != nil {
				log.Printf("pv %s: %v", pv.Name, err)
				continue
			}
		}
		if err := cs.CoreV1().PersistentVolumes().Delete(ctx, pv.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			log.Printf("pv %s: %v", pv.Name, err)
			continue
		}
		log.Printf("pv %s: deleted", pv.Name)
	}
	return nil
}

func adoptAnnotatedIngresses(ctx context.Context, cs kubernetes.Interface) error {
	classes, err := cs.NetworkingV1().IngressClasses().List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for _, c := range classes.Items {
		known[c.Name] = true
	}
	ings, err := cs.NetworkingV1().Ingresses("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	for _, in := range ings.Items {
		class := in.Annotations["kubernetes.io/ingress.class"]
		if in.Spec.IngressClassName != nil || class == "" || !known[class] {
			continue
		}
		// The API accepts both when they agree.
		patch := fmt.Sprintf(`{"spec":{"ingressClassName":%q}}`, class)
		if _, err := cs.NetworkingV1().Ingresses(in.Namespace).Patch(ctx, in.Name, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
			log.Printf("ingress %s/%s: %v", in.Namespace, in.Name, err)
			continue
		}
		log.Printf("ingress %s/%s: ingressClassName %s from its annotation", in.Namespace, in.Name, class)
	}
	return nil
}

func ptr[T any](v T) *T { return &v }

type storageClass = storagev1.StorageClass
