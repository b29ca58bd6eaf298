#!/bin/sh
set -e
# like upstream: `docker run redis --appendonly yes` means redis-server --appendonly yes
case "${1:-}" in
  -*|*.conf) set -- redis-server "$@" ;;
esac
# like upstream: protected mode off unless asked for
if [ "${1:-}" = "redis-server" ]; then
  case " $* " in
    *" --protected-mode "*) ;;
    *) set -- "$@" --protected-mode no ;;
  esac
fi
exec "$@"
