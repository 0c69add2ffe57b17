#!/usr/bin/env bash
# Installs the Debian packages the test suite needs, only when missing (CI starts clean).
set -euo pipefail
need=()
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
# The seed 001 curl + jq examples run verbatim (test/control-plane/analytics/seed-curl-examples.test.ts).
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v jq >/dev/null 2>&1 || need+=(jq)
# TLS tests make throwaway certificates with the openssl CLI (test/helpers/test-certs.ts).
command -v openssl >/dev/null 2>&1 || need+=(openssl)
# The console's browser tests drive Debian's chromium through playwright-core (never a downloaded browser).
[ -x /usr/bin/chromium ] || need+=(chromium)
# `promtool check metrics` lints both servers' /metrics (test/e2e/promtool-metrics.test.ts).
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
# The PostgreSQL store suites start a throwaway cluster from Debian's server binaries
# (test/setup/postgres-server.ts looks in pg_config --bindir and /usr/lib/postgresql/*/bin).
if ! command -v pg_config >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then need+=(postgresql); fi
# The Slurm plane's tests start a real one-node Slurm on loopback from Debian's packages
# (test/setup/slurm-cluster.ts): controller, node daemon, accounting daemon + MariaDB, REST
# daemon, munge for their authentication.
# (Daemons live in /usr/sbin, which a non-root PATH may lack: test the paths.)
[ -x /usr/sbin/slurmctld ] || need+=(slurmctld)
[ -x /usr/sbin/slurmd ] || need+=(slurmd)
[ -x /usr/sbin/slurmdbd ] || need+=(slurmdbd)
[ -x /usr/sbin/slurmrestd ] || need+=(slurmrestd)
command -v sacct >/dev/null 2>&1 || need+=(slurm-client)
[ -x /usr/sbin/munged ] || need+=(munge)
[ -x /usr/sbin/mariadbd ] || need+=(mariadb-server)
# The control plane's container image is built and run by test/e2e/container-image.test.ts:
# podman (RUN steps with chroot isolation), runc (crun refuses a hybrid-cgroup host), and
# mmdebstrap for a Debian 12 base from the Debian mirror (no image registry is reachable).
command -v podman >/dev/null 2>&1 || need+=(podman)
command -v runc >/dev/null 2>&1 || need+=(runc)
command -v mmdebstrap >/dev/null 2>&1 || need+=(mmdebstrap)
# The VictoriaMetrics telemetry engine's tests start a real single-node VictoriaMetrics on
# loopback (test/setup/victoria-metrics.ts; Debian's 1.79), as does bench/telemetry-peers.ts.
command -v victoria-metrics >/dev/null 2>&1 || need+=(victoria-metrics)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing test dependencies: ${need[*]}"
  if [ "$(id -u)" -eq 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"; fi
fi
