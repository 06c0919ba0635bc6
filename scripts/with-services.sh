#!/usr/bin/env bash
# Run a command with the services the tests need started, and stop them after
# by process id, whatever the command's outcome.
#
# Services: a throwaway redis-server on 127.0.0.1 and a free port, no
# persistence, exported as REDIS_URL; and a throwaway Redis Cluster of three
# masters (`cluster-enabled yes`, created with `redis-cli --cluster create`),
# exported as REDIS_CLUSTER_URL (any one node; clients discover the rest).
# When redis-server or redis-cli is missing they are installed from Debian's
# packages (as root, or through `sudo -n`); when that is not possible the
# command runs without the URL and the Redis tests skip (they fail instead
# when CI is set). A variable already set is kept and its service not started.
#
# `scripts/with-services.sh --install` only installs what is missing and exits:
# scripts/test-pythons.sh calls it once before running suites side by side, each
# under its own with-services.sh (two apt-get runs cannot share dpkg's lock).
#
# Chromium, for the browser tests (tests/browser, driven by Playwright): Debian's
# chromium package, installed the same way when missing (never `playwright
# install`, which downloads a browser build of its own).
set -euo pipefail
cd "$(dirname "$0")/.."

redis_dir=.redis
# Per run ($$): suites side by side each run their own with-services.sh.
redis_log=$redis_dir/redis.$$.log
redis_pidfile=$redis_dir/redis.$$.pid
redis_pid=""
cluster_dir=""
cluster_pids=()
child=""

stop_pid() {
    local pid=$1
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        # Bounded wait: redis exits within milliseconds without persistence.
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$pid" 2>/dev/null || true
    fi
}

stop_services() {
    if [[ -n "$child" ]] && kill -0 "$child" 2>/dev/null; then
        kill -TERM "$child" 2>/dev/null || true
        wait "$child" 2>/dev/null || true
    fi
    stop_pid "$redis_pid"
    rm -f "$redis_pidfile" "$redis_log"
    stop_cluster
}

install_redis() {
    local apt=(apt-get)
    if [[ $(id -u) -ne 0 ]]; then
        sudo -n true 2>/dev/null || return 1
        apt=(sudo -n apt-get)
    fi
    echo "with-services: installing redis-server (Debian package)" >&2
    DEBIAN_FRONTEND=noninteractive timeout 300 "${apt[@]}" update -qq >/dev/null || true
    DEBIAN_FRONTEND=noninteractive timeout 300 "${apt[@]}" install -y -qq redis-server \
        redis-tools >/dev/null || return 1
}

free_port() {
    free_ports 1
}

free_ports() {
    # N distinct free loopback ports, one a line (all held open until all are chosen).
    "${PYTHON:-python3}" - "$1" <<'EOF'
import socket, sys
held = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in held:
    s.bind(("127.0.0.1", 0))
print("\n".join(str(s.getsockname()[1]) for s in held))
for s in held:
    s.close()
EOF
}

redis_ping() {
    # PING over bash's /dev/tcp, so no redis-cli is needed.
    local port=$1 reply
    { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null || return 1
    printf 'PING\r\n' >&3
    read -r -t 1 reply <&3 || true
    exec 3>&- 3<&-
    [[ "$reply" == +PONG* ]]
}

start_redis() {
    local server
    server=$(command -v redis-server || true)
    if [[ -z "$server" ]]; then
        install_redis || true
        server=$(command -v redis-server || true)
    fi
    if [[ -z "$server" ]]; then
        echo "with-services: redis-server not available; Redis tests will skip" >&2
        return 0
    fi
    mkdir -p "$redis_dir"
    local port
    port=$(free_port)
    "$server" --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
        --daemonize no --dir "$redis_dir" --logfile "" --loglevel warning >"$redis_log" 2>&1 &
    redis_pid=$!
    echo "$redis_pid" >"$redis_pidfile"
    for _ in $(seq 100); do
        if redis_ping "$port"; then
            export REDIS_URL="redis://127.0.0.1:$port/0"
            return 0
        fi
        kill -0 "$redis_pid" 2>/dev/null || break
        sleep 0.05
    done
    echo "with-services: redis-server did not answer PING; see $redis_log" >&2
    cat "$redis_log" >&2 || true
    return 1
}

# A Redis Cluster of three masters, no replicas, no persistence; each node's
# files in a directory of this run's own, removed when the nodes stop.
start_cluster() {
    local server cli
    server=$(command -v redis-server || true)
    cli=$(command -v redis-cli || true)
    if [[ -z "$server" || -z "$cli" ]]; then
        install_redis || true
        server=$(command -v redis-server || true)
        cli=$(command -v redis-cli || true)
    fi
    if [[ -z "$server" || -z "$cli" ]]; then
        echo "with-services: redis-server/redis-cli not available; cluster tests will skip" >&2
        return 0
    fi
    mkdir -p "$redis_dir"
    cluster_dir=$(mktemp -d "$PWD/$redis_dir/cluster.XXXXXX")
    local ports=() bus=() nodes=() i port
    mapfile -t ports < <(free_ports 6)
    bus=("${ports[@]:3:3}")
    ports=("${ports[@]:0:3}")
    for i in 0 1 2; do
        port=${ports[$i]}
        mkdir -p "$cluster_dir/$port"
        "$server" --port "$port" --bind 127.0.0.1 --cluster-enabled yes \
            --cluster-port "${bus[$i]}" --cluster-config-file nodes.conf \
            --cluster-node-timeout 5000 --save '' --appendonly no --daemonize no \
            --dir "$cluster_dir/$port" --logfile "" --loglevel warning \
            >"$cluster_dir/$port.log" 2>&1 &
        cluster_pids+=($!)
        nodes+=("127.0.0.1:$port")
    done
    for port in "${ports[@]}"; do
        for _ in $(seq 100); do
            redis_ping "$port" && break
            sleep 0.05
        done
    done
    if ! timeout 60 "$cli" --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes \
        </dev/null >"$cluster_dir/create.log" 2>&1; then
        echo "with-services: redis-cli --cluster create failed; see $cluster_dir/create.log" >&2
        cat "$cluster_dir/create.log" >&2 || true
        return 1
    fi
    # Every node must see the cluster up (all slots served) before it is used.
    local ok
    for _ in $(seq 200); do
        ok=0
        for port in "${ports[@]}"; do
            if timeout 2 "$cli" -p "$port" cluster info 2>/dev/null \
                | grep -q '^cluster_state:ok'; then
                ok=$((ok + 1))
            fi
        done
        if [[ $ok -eq 3 ]]; then
            export REDIS_CLUSTER_URL="redis://127.0.0.1:${ports[0]}"
            return 0
        fi
        sleep 0.05
    done
    echo "with-services: the Redis Cluster did not reach cluster_state:ok" >&2
    return 1
}

stop_cluster() {
    local pid
    for pid in "${cluster_pids[@]}"; do
        stop_pid "$pid"
    done
    cluster_pids=()
    if [[ -n "$cluster_dir" ]]; then
        rm -rf "$cluster_dir"
        cluster_dir=""
    fi
}

install_chromium() {
    # Bounded like redis-server's install; the browser tests fail under CI without it.
    if command -v chromium >/dev/null 2>&1 || [[ -x /usr/bin/chromium ]]; then
        return 0
    fi
    local apt=(apt-get)
    if [[ $(id -u) -ne 0 ]]; then
        if ! sudo -n true 2>/dev/null; then
            echo "with-services: chromium not installed and no root; browser tests will skip" >&2
            return 0
        fi
        apt=(sudo -n apt-get)
    fi
    echo "with-services: installing chromium (Debian package)" >&2
    DEBIAN_FRONTEND=noninteractive timeout 300 "${apt[@]}" update -qq >/dev/null || true
    DEBIAN_FRONTEND=noninteractive timeout 900 "${apt[@]}" install -y -qq chromium \
        >/dev/null 2>&1 || echo "with-services: chromium could not be installed" >&2
}

if [[ "${1:-}" == --install ]]; then
    command -v redis-server >/dev/null && command -v redis-cli >/dev/null || install_redis \
        || echo "with-services: redis-server could not be installed; Redis tests will skip" >&2
    install_chromium
    exit 0
fi

trap stop_services EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ -z "${REDIS_URL:-}" ]]; then
    start_redis
fi
if [[ -z "${REDIS_CLUSTER_URL:-}" ]]; then
    # A cluster that cannot start is not fatal here: its tests skip (fail under CI).
    if ! start_cluster; then
        echo "with-services: no Redis Cluster; cluster tests will skip (fail under CI)" >&2
        stop_cluster
    fi
fi
install_chromium

# Not exec: the trap must outlive the command to stop the services. In the
# background and waited for, so INT/TERM reach the trap at once, not when the
# command is done; stdin passed on explicitly (background jobs get /dev/null).
set +e
"$@" <&0 &
child=$!
wait "$child"
status=$?
child=""
exit "$status"
