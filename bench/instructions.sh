#!/usr/bin/env bash
# The server's instructions per request for physconn-bench workloads, counted
# by valgrind's callgrind: a count, not a time, so it repeats on a shared and
# noisy machine where CPU-time ratios move by tens of percent. For each
# workload it runs two fresh servers under callgrind (benchmark config:
# manual clock and provisioning, no quota or throttle; logs at the default
# level unless PHYSCONN_LOG says otherwise), one measuring N1 requests and one
# N2, and prints (Ir(N2) - Ir(N1)) / (N2 - N1), so start-up, the workload's
# setup and shutdown cancel out.
#
#   bench/instructions.sh [BIN_DIR] [WORKLOADS] [N1] [N2]
#   bench/instructions.sh target/release "describe vbr-describe"
#   bench/instructions.sh /tmp/before "describe vbr-describe" 200 1200
#
# Compare builds by running this once per BIN_DIR; the figures are per
# binary and input, so two runs of the same binary agree to about 1%.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release}
workloads=${2:-"describe vbr-describe"}
n1=${3:-400}
n2=${4:-2400}
dir=target/bench/instructions
rm -rf "$dir" && mkdir -p "$dir"
cp bench/config.toml "$dir/config.toml"
export PHYSCONN_ACCESS_KEY_ID=LTAI5tBenchKey000000000
export PHYSCONN_ACCESS_KEY_SECRET=BenchSecret0000000000000000000
export PHYSCONN_ADMIN_TOKEN=bench-admin-token RUST_BACKTRACE=0

# Total instructions of one server that answered $2 requests of workload $1.
count() {
    local run="$dir/$1-$2"
    mkdir -p "$run"
    valgrind --tool=callgrind --callgrind-out-file="$run/callgrind.out" \
        "$bin/physconn" serve --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
        --data-dir "$run/data" --config "$dir/config.toml" >"$run/server.out" 2>"$run/valgrind.err" &
    local pid=$! addr admin
    for _ in $(seq 600); do
        grep -q 'listening:' "$run/server.out" 2>/dev/null && break
        sleep 0.2
    done
    addr=$(grep -o 'api=http://[0-9.:]*' "$run/server.out" | sed 's|api=http://||')
    admin=$(grep -o 'admin=http://[0-9.:]*' "$run/server.out" | sed 's|admin=http://||')
    "$bin/physconn-bench" run --workload "$1" --addr "$addr" --admin "$admin" -c 16 \
        --run "$2" --warmup 50 >"$run/bench.out"
    kill -TERM "$pid"
    wait "$pid"
    awk '/^(summary|totals):/ {print $2; exit}' "$run/callgrind.out"
}

for w in $workloads; do
    a=$(count "$w" "$n1")
    b=$(count "$w" "$n2")
    echo "$w: $(( (b - a) / (n2 - n1) )) instructions per request ($bin)"
done
