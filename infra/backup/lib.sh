# Shared by infra/backup/{backup,restore} (sourced). connect_to URL sets `target`: the URL without
# its password, which goes to libpq through PGPASSWORD — never on a command line (ps) or in a log line.
connect_to() {
  local url=$1
  if [[ ! "$url" =~ ^postgres(ql)?:// ]]; then
    log "not a PostgreSQL URL (postgres://user:password@host:port/database)"
    return 1
  fi
  if [[ "$url" =~ ^(postgres(ql)?://[^:/@]+):([^@]*)@(.*)$ ]]; then
    export PGPASSWORD=${BASH_REMATCH[3]}
    url="${BASH_REMATCH[1]}@${BASH_REMATCH[4]}"
  fi
  target=$url
}
