// Command etcd is etcd's own server entry point (etcdmain), built inside this module so that
// it shares the dependency versions Kubernetes v1.34.4 was released with (etcd v3.6.4).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
