# Shared helpers for kadai's infrastructure scripts (sourced, not run).

log() { printf '[kadai %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# apt-get install that waits for another install's lock instead of failing, and updates the
# package lists once when they are missing (a fresh machine has none).
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  if [[ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e lock -e partial)" ]] || ! apt-cache show "$1" >/dev/null 2>&1; then
    apt-get -o DPkg::Lock::Timeout=600 update -qq
  fi
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "$@" >/dev/null
}

# wait_for NAME SECONDS CMD...: retries CMD until it succeeds or the time is up.
wait_for() {
  local name=$1 seconds=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      log "$name did not become ready within ${seconds}s"
      return 1
    fi
    sleep 0.5
  done
}

# Installs the npm workspace exactly as locked, skipping the work when node_modules already matches
# package-lock.json (npm ci would delete and rebuild it every time).
ensure_node_modules() {
  local root=$1 stamp want
  stamp="$root/node_modules/.kadai-lock-sha256"
  want=$(sha256sum "$root/package-lock.json" | cut -d' ' -f1)
  if [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
    log "installing npm packages (npm ci)"
    (cd "$root" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    echo "$want" >"$stamp"
  fi
}
