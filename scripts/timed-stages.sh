#!/usr/bin/env bash
# Run `make STAGE` for each stage given, in order, stopping at the first that
# fails, and print the wall time of each at the end (also after a failure).
#   usage: scripts/timed-stages.sh MAKE STAGE...
set -uo pipefail
make_cmd=$1
shift
names=()
times=()
outcome=()

report() {
    echo
    echo "=== wall time per stage"
    local i total=0
    for i in "${!names[@]}"; do
        printf '  %-12s %6ss  %s\n' "${names[$i]}" "${times[$i]}" "${outcome[$i]}"
        total=$((total + times[i]))
    done
    printf '  %-12s %6ss\n' total "$total"
}
trap report EXIT

for stage in "$@"; do
    start=$SECONDS
    "$make_cmd" --no-print-directory "$stage"
    status=$?
    names+=("$stage")
    times+=($((SECONDS - start)))
    if [[ $status -ne 0 ]]; then
        outcome+=("FAILED")
        exit "$status"
    fi
    outcome+=("ok")
done
