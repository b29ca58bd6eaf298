# Sourced by scripts that build Go programs: `go_for <go.mod>` prints a go binary at least as new as
# the go.mod's `go` line — `go` on PATH when it is new enough, otherwise that toolchain, fetched once
# from the Go module proxy (golang.org/toolchain; no download site is reachable here) into
# $KADAI_CACHE_DIR/go-<version>. Needs common.sh's `log`.

go_new_enough() { # <go binary> <wanted version>
  local v
  v=$("$1" env GOVERSION 2>/dev/null | sed 's/^go//') || return 1
  [[ -n "$v" && "$(printf '%s\n%s\n' "$2" "$v" | sort -V | head -1)" == "$2" ]]
}

go_for() {
  local want cache go_bin toolchain tmp
  want=$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$1")
  cache=${KADAI_CACHE_DIR:-/var/cache/kadai}
  go_bin=$(command -v go || echo /usr/local/go/bin/go)
  if go_new_enough "$go_bin" "$want"; then echo "$go_bin"; return; fi
  toolchain="$cache/go-$want"
  if ! go_new_enough "$toolchain/bin/go" "$want"; then
    log "fetching Go $want from the Go module proxy (golang.org/toolchain)"
    mkdir -p "$cache"
    tmp=$(mktemp -d "$cache/go-$want.XXXX")
    curl -fsSL --retry 3 -o "$tmp/go.zip" "https://proxy.golang.org/golang.org/toolchain/@v/v0.0.1-go$want.linux-amd64.zip"
    python3 -m zipfile -e "$tmp/go.zip" "$tmp/x"
    rm -rf "$toolchain"
    mv "$tmp/x/golang.org/toolchain@v0.0.1-go$want.linux-amd64" "$toolchain"
    chmod +x "$toolchain"/bin/* "$toolchain"/pkg/tool/*/*
    rm -rf "$tmp"
  fi
  echo "$toolchain/bin/go"
}
