# Sourced by scripts/run.sh and scripts/test.sh: installs the Debian packages the gateway's local set-up needs
# (Prosody as the XMPP server with its SQLite driver, openssl for the demo certificate) when they are missing.
# `install_missing_packages --tests` also installs ejabberd, the second XMPP server the interop tests
# (Gateway.Tests/Integration/Ejabberd) start as a private child process, and chromium, the browser the console tests
# (Gateway.Tests/Console) drive through Microsoft.Playwright (/usr/bin/chromium; nothing downloads a browser), and
# redis-server, which the cluster tests (Gateway.Tests/Integration/Redis) start as a private child process for Orleans
# clustering, and postgresql, whose initdb and postgres the PostgreSQL store tests (Gateway.Tests/Integration/Postgres)
# run as a private server in a temp directory (the cluster and service the package sets up stay stopped and unused).

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_missing_packages() {
  local missing=() services=(prosody)
  command -v prosody >/dev/null 2>&1 && command -v prosodyctl >/dev/null 2>&1 || missing+=(prosody)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  # Prosody's SQL storage (SQLite) for the load and fault tests' servers.
  dpkg-query -W -f='${Status}' lua-dbi-sqlite3 2>/dev/null | grep -q "ok installed" || missing+=(lua-dbi-sqlite3)
  if [ "${1:-}" = "--tests" ]; then
    command -v ejabberdctl >/dev/null 2>&1 || missing+=(ejabberd)
    [ -x /usr/bin/chromium ] || missing+=(chromium)
    command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
    compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
    services+=(ejabberd redis-server postgresql)
  fi
  [ "${#missing[@]}" -eq 0 ] && return 0

  echo "installing ${missing[*]} (Debian packages)"
  export DEBIAN_FRONTEND=noninteractive
  # The prosody, ejabberd and redis-server packages start their system services on install (ports 5222/5269/5280/6379). We never use them:
  # policy-rc.d exit 101 tells invoke-rc.d / deb-systemd-invoke not to start services during the install.
  local policy=/usr/sbin/policy-rc.d created_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
    as_root chmod 755 "$policy"
    created_policy=1
  fi
  local rc=0
  { as_root apt-get update -q && as_root apt-get install -y -q "${missing[@]}"; } || rc=$?
  [ "$created_policy" -eq 1 ] && as_root rm -f "$policy"
  [ "$rc" -eq 0 ] || { echo "apt-get failed ($rc)" >&2; exit "$rc"; }
  # In case a service manager started them anyway.
  local service
  for service in "${services[@]}"; do
    as_root service "$service" stop >/dev/null 2>&1 || true
  done
}
