#!/usr/bin/env bash
# The README's first command: installs what is missing, builds Kueue-C, then
# runs a small cluster on this machine to show it working: a kueue_server
# and a kueue_worker on 127.0.0.1 with a fresh configuration in a temporary
# folder, a few sample jobs (one with output, one that fails, one holding a
# global resource, one waited for), the client's views of them, and the
# address of the status page with the first lines of its metrics (on a
# terminal it waits for Enter before stopping, to leave time to open it).
# Everything it starts is stopped and removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/kq-deps.sh

kq_need_packages "${KQ_BUILD_PACKAGES[@]}"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$(nproc)"

bin=$PWD/build/src
demo=$(mktemp -d "${TMPDIR:-/tmp}/kueue-demo.XXXXXX")
pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
    done
    rm -rf "$demo"
}
trap cleanup EXIT

secret=$(LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 64 || true)
write_config() {
    cat >"$demo/config.toml" <<EOF
[common_settings]
shared_secret = "$secret"
server_name = "127.0.0.1"
server_port = $1
log_level = "warn"

[server_settings]
bind_addresses = "127.0.0.1"
state_file = "$demo/state.sqlite3"
status_address = "127.0.0.1:$2"

[worker_settings]
worker_name = "demo-worker"
worker_max_parallel_jobs = 4
dynamic_check_free_resources = false
system_update_interval_seconds = 5

[client_settings]
job_default_cpus = 1
job_default_ram_mb = 100

[global_resources]
licence = 1
EOF
    chmod 600 "$demo/config.toml"
}

# The server takes ephemeral ports (the status page's too, so that a
# server already on this machine keeps its 11237); workers and clients
# learn them after.
write_config 0 0
sed -i 's/log_level = "warn"/log_level = "info"/' "$demo/config.toml"
"$bin/server/kueue_server" -c "$demo/config.toml" >"$demo/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
    port=$(sed -n 's/.*Started listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$demo/server.log")
    status=$(sed -n 's/.*Status page on \(http:[^ ]*\).*/\1/p' "$demo/server.log")
    [ -n "$port" ] && [ -n "$status" ] && break
    sleep 0.05
done
[ -n "${port:-}" ] && [ -n "${status:-}" ] ||
    { cat "$demo/server.log"; echo "kueue-c: the server did not start" >&2; exit 1; }
status=${status%/}
write_config "$port" "${status##*:}"
echo "== kueue_server listening on 127.0.0.1:$port (state in $demo)"
echo "== status page: $status/ (metrics: $status/metrics, JSON: $status/api/jobs)"

"$bin/worker/kueue_worker" -c "$demo/config.toml" >"$demo/worker.log" 2>&1 &
pids+=($!)
kueue() { "$bin/client/kueue" -c "$demo/config.toml" "$@"; }
for _ in $(seq 100); do
    kueue list-workers 2>/dev/null | grep -q demo-worker && break
    sleep 0.05
done
echo "== kueue_worker connected"

cd "$demo"
echo "== sample jobs"
out=$(kueue cmd sh -c 'echo "hello from $(uname -n)"; echo "running $(uname -sr)"')
echo "job $out: prints two lines"
bad=$(kueue cmd sh -c 'echo "something went wrong" >&2; exit 3')
echo "job $bad: fails with code 3"
lic=$(kueue cmd --resource licence sh -c 'sleep 1; echo "held the licence"')
echo "job $lic: holds the one licence for a second"
echo "job waited for with --wait (prints its return code):"
kueue cmd --wait sh -c 'sleep 0.5; echo done'
kueue wait-job "$out" || true
kueue wait-job "$bad" || echo "(wait-job $bad exited with $?)"
kueue wait-job "$lic" || true

echo; echo "== kueue list-jobs"
kueue list-jobs
echo; echo "== kueue show-job $out"
kueue show-job "$out"
echo; echo "== kueue show-job $bad"
kueue show-job "$bad"
echo; echo "== kueue list-workers"
kueue list-workers
echo; echo "== kueue list-resources"
kueue list-resources
echo; echo "== the status page's metrics: $status/metrics (first lines)"
python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())' \
    "$status/metrics" | head -12
if [ -t 0 ]; then
    echo; read -r -p "The status page is at $status/ - press Enter to stop the demo cluster. " _ || true
fi
echo; echo "kueue-c: the demo cluster worked; stopping it"
