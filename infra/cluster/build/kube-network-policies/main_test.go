package main

import (
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
)

const byIP = "podIPKeyIndex"

type podState int

const (
	live podState = iota
	leavingRunning
	leavingStopped
	leavingSidecarRunning
	leavingEphemeralRunning
	ended
)

func pod(name string, state podState) *v1.Pod {
	p := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name}}
	p.Status.Phase = v1.PodRunning
	p.Status.PodIPs = []v1.PodIP{{IP: "10.244.0.7"}}
	running := v1.ContainerState{Running: &v1.ContainerStateRunning{}}
	stopped := v1.ContainerState{Terminated: &v1.ContainerStateTerminated{ExitCode: 0}}
	p.Status.ContainerStatuses = []v1.ContainerStatus{{Name: "c", State: running}}
	switch state {
	case leavingRunning:
		p.DeletionTimestamp = &metav1.Time{}
	case leavingStopped:
		p.DeletionTimestamp = &metav1.Time{}
		p.Status.ContainerStatuses[0].State = stopped
	case leavingSidecarRunning:
		p.DeletionTimestamp = &metav1.Time{}
		p.Status.ContainerStatuses[0].State = stopped
		p.Status.InitContainerStatuses = []v1.ContainerStatus{{Name: "init", State: running}}
	case leavingEphemeralRunning:
		p.DeletionTimestamp = &metav1.Time{}
		p.Status.ContainerStatuses[0].State = stopped
		p.Status.EphemeralContainerStatuses = []v1.ContainerStatus{{Name: "debug", State: running}}
	case ended:
		p.Status.Phase = v1.PodSucceeded
		p.Status.ContainerStatuses[0].State = stopped
	}
	return p
}

func lookup(t *testing.T, pods ...*v1.Pod) []string {
	t.Helper()
	indexer := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{byIP: func(obj interface{}) ([]string, error) {
		var ips []string
		for _, ip := range obj.(*v1.Pod).Status.PodIPs {
			ips = append(ips, ip.IP)
		}
		return ips, nil
	}})
	for _, p := range pods {
		if err := indexer.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	found, err := liveFirst{indexer}.ByIndex(byIP, "10.244.0.7")
	if err != nil {
		t.Fatal(err)
	}
	names := []string{}
	for _, obj := range found {
		names = append(names, obj.(*v1.Pod).Name)
	}
	return names
}

func TestLiveFirst(t *testing.T) {
	for _, c := range []struct {
		name string
		pods []*v1.Pod
		want []string
	}{
		{"a live Pod alone is itself", []*v1.Pod{pod("new", live)}, []string{"new"}},
		{"a live Pod wins over one being deleted that still runs", []*v1.Pod{pod("old", leavingRunning), pod("new", live)}, []string{"new"}},
		{"a live Pod wins over an ended one", []*v1.Pod{pod("old", ended), pod("new", live)}, []string{"new"}},
		{"a Pod being deleted that still runs, alone, is itself", []*v1.Pod{pod("old", leavingRunning)}, []string{"old"}},
		{"a Pod being deleted with no container running holds nothing", []*v1.Pod{pod("old", leavingStopped)}, []string{}},
		{"a Pod being deleted whose init container or sidecar still runs, alone, is itself", []*v1.Pod{pod("old", leavingSidecarRunning)}, []string{"old"}},
		{"a Pod being deleted whose ephemeral container still runs, alone, is itself", []*v1.Pod{pod("old", leavingEphemeralRunning)}, []string{"old"}},
		{"an ended Pod holds nothing", []*v1.Pod{pod("old", ended)}, []string{}},
		{"of Pods being deleted, the one still running", []*v1.Pod{pod("stopped", leavingStopped), pod("running", leavingRunning)}, []string{"running"}},
		{"nothing found is nothing", nil, []string{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := lookup(t, c.pods...)
			if len(got) != len(c.want) || (len(got) > 0 && got[0] != c.want[0]) {
				t.Errorf("found %v, want %v", got, c.want)
			}
		})
	}
}
