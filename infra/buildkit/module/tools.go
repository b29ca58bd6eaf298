//go:build tools

// Package tools pins the BuildKit programs kadai builds from source (infra/buildkit/build): the
// daemon and its client, from the moby/buildkit module at the version in go.mod.
package tools

import (
	_ "github.com/moby/buildkit/cmd/buildctl"
	_ "github.com/moby/buildkit/cmd/buildkitd"
)
