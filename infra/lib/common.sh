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

# step_begin NAME FIRST_RUN_SECONDS / step_end: one step of a long script (infra/up). It says which
# step of how many, what, and how long it usually takes — the median of its last five durations on
# this machine (recorded under /var/cache/kadai/step-times), else the first-run estimate given —
# and, while it runs, the time elapsed every 30 s (KADAI_STEP_TICK_SECONDS), so a first run is never
# minutes of silence.
step_total=0 step_number=0 step_name="" step_started=0 step_ticker=""
step_times_dir=${KADAI_STEP_TIMES:-/var/cache/kadai/step-times}
step_tick_seconds=${KADAI_STEP_TICK_SECONDS:-30}
human_duration() { (($1 >= 90)) && echo "$(($1 / 60)) min $(($1 % 60)) s" || echo "$1 s"; }
step_begin() {
  step_name=$1
  local first_run=$2 typical
  step_number=$((step_number + 1))
  # no record yet (a first run) is no error, also under `set -e -o pipefail`
  typical=$({ tail -n 5 "$step_times_dir/$step_name" 2>/dev/null || true; } | sort -n | awk '{a[NR] = $1} END {if (NR) print a[int((NR + 1) / 2)]}')
  if [[ -n "$typical" ]]; then
    log "[$step_number/$step_total] $step_name (usually $(human_duration "$typical") here)"
  else
    log "[$step_number/$step_total] $step_name (no earlier run recorded; first run: about $(human_duration "$first_run"))"
  fi
  step_started=$(date +%s)
  # the sleep gets none of the script's output: killed with the ticker or not, it must not hold it
  # open for up to a tick after the script ended (a pipe reading infra/up's output waited that long)
  (
    while sleep "$step_tick_seconds" </dev/null >/dev/null 2>&1; do log "[$step_number/$step_total] $step_name: $(human_duration $(($(date +%s) - step_started))) so far"; done
  ) &
  step_ticker=$!
}
step_end() {
  kill "$step_ticker" 2>/dev/null || true
  wait "$step_ticker" 2>/dev/null || true
  local took=$(($(date +%s) - step_started))
  mkdir -p "$step_times_dir" && echo "$took" >>"$step_times_dir/$step_name"
  log "[$step_number/$step_total] $step_name: done in $(human_duration "$took")"
}
