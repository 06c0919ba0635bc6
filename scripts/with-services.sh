#!/usr/bin/env bash
# Run a command with the services the tests need started, and stop them after
# by process id, whatever the command's outcome.
#
# Services: a throwaway redis-server on 127.0.0.1 and a free port, no
# persistence, exported as REDIS_URL. When redis-server is missing it is
# installed from Debian's packages (as root, or through `sudo -n`); when that
# is not possible the command runs without REDIS_URL and the Redis tests skip
# (they fail instead when CI is set).
#
# Chromium, for the browser tests (tests/browser, driven by Playwright): Debian's
# chromium package, installed the same way when missing (never `playwright
# install`, which downloads a browser build of its own).
set -euo pipefail
cd "$(dirname "$0")/.."

redis_dir=.redis
redis_pid=""
child=""

stop_services() {
    if [[ -n "$child" ]] && kill -0 "$child" 2>/dev/null; then
        kill -TERM "$child" 2>/dev/null || true
        wait "$child" 2>/dev/null || true
    fi
    if [[ -n "$redis_pid" ]] && kill -0 "$redis_pid" 2>/dev/null; then
        kill "$redis_pid" 2>/dev/null || true
        # Bounded wait: redis exits within milliseconds without persistence.
        for _ in $(seq 50); do
            kill -0 "$redis_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$redis_pid" 2>/dev/null || true
    fi
    rm -f "$redis_dir/redis.pid"
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
        >/dev/null || return 1
}

free_port() {
    "${PYTHON:-python3}" - <<'EOF'
import socket
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
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
        --daemonize no --dir "$redis_dir" --logfile "" --loglevel warning >"$redis_dir/redis.log" 2>&1 &
    redis_pid=$!
    echo "$redis_pid" >"$redis_dir/redis.pid"
    for _ in $(seq 100); do
        if redis_ping "$port"; then
            export REDIS_URL="redis://127.0.0.1:$port/0"
            return 0
        fi
        kill -0 "$redis_pid" 2>/dev/null || break
        sleep 0.05
    done
    echo "with-services: redis-server did not answer PING; see $redis_dir/redis.log" >&2
    cat "$redis_dir/redis.log" >&2 || true
    return 1
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

trap stop_services EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ -z "${REDIS_URL:-}" ]]; then
    start_redis
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
