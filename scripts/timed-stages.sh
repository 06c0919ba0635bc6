#!/usr/bin/env bash
# Run `make STAGE` for each stage given, in order, stopping at the first that
# fails, and print the wall time of each at the end (also after a failure).
#   usage: scripts/timed-stages.sh MAKE STAGE...
#
# A stage written `a+b+c` runs `make a`, `make b` and `make c` side by side
# (on two cores, a type check that runs on one core leaves the other free for
# the test suites). The last of them writes straight to the output as it runs;
# the others each to a log under .stage-logs/, printed whole when they end. The
# first of them to fail stops the others (by process id, with their process
# groups) and the run. The total is the run's wall time, not the sum of
# overlapping stages.
set -uo pipefail
make_cmd=$1
shift
names=()
times=()
outcome=()
run_start=$SECONDS

report() {
    echo
    echo "=== wall time per stage"
    local i
    for i in "${!names[@]}"; do
        printf '  %-12s %6ss  %s\n' "${names[$i]}" "${times[$i]}" "${outcome[$i]}"
    done
    printf '  %-12s %6ss\n' total "$((SECONDS - run_start))"
}
trap report EXIT

record() {  # NAME SECONDS STATUS
    names+=("$1")
    times+=("$2")
    if [[ $3 -eq 0 ]]; then outcome+=("ok"); else outcome+=("FAILED"); fi
}

declare -A group_pid=()    # stage -> pid of its `make`
declare -A group_start=()  # stage -> $SECONDS when it started
group_logs=.stage-logs

stop_group() {  # stop every stage of the group still running, and what it started
    local stage pid
    for stage in "${!group_pid[@]}"; do
        pid=${group_pid[$stage]}
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null
    for stage in "${!group_pid[@]}"; do
        record "$stage" $((SECONDS - group_start[$stage])) 1
        echo "=== $stage (stopped: another stage failed)"
        cat "$group_logs/$stage.log"
    done
    group_pid=()
}
trap 'stop_group; exit 130' INT
trap 'stop_group; exit 143' TERM

run_group() {  # the stages of "a+b+c", side by side
    local stage pid status done_stage
    rm -rf "$group_logs"
    mkdir -p "$group_logs"
    IFS=+ read -r -a stages <<<"$1"
    local last=${stages[${#stages[@]}-1]}
    for stage in "${stages[@]}"; do
        group_start[$stage]=$SECONDS
        # Each in a process group of its own (set -m), so a stop reaches what it started.
        set -m
        if [[ "$stage" == "$last" ]]; then
            : >"$group_logs/$stage.log"
            "$make_cmd" --no-print-directory "$stage" </dev/null &
        else
            "$make_cmd" --no-print-directory "$stage" >"$group_logs/$stage.log" 2>&1 </dev/null &
        fi
        group_pid[$stage]=$!
        set +m
    done
    while [[ ${#group_pid[@]} -gt 0 ]]; do
        pid=""
        wait -n -p pid "${group_pid[@]}"
        status=$?
        [[ -n "$pid" ]] || continue
        for stage in "${!group_pid[@]}"; do
            [[ "${group_pid[$stage]}" == "$pid" ]] && done_stage=$stage
        done
        unset "group_pid[$done_stage]"
        if [[ "$done_stage" != "$last" ]]; then
            # Header and log in one write (up to stdio's buffer), so the last
            # stage's lines, streaming meanwhile, do not land between them.
            block=$(cat "$group_logs/$done_stage.log"; echo .)
            printf '=== %s\n%s' "$done_stage" "${block%.}"
        fi
        record "$done_stage" $((SECONDS - group_start[$done_stage])) "$status"
        if [[ $status -ne 0 ]]; then
            stop_group
            exit "$status"
        fi
    done
}

for stage in "$@"; do
    if [[ "$stage" == *+* ]]; then
        run_group "$stage"
        continue
    fi
    start=$SECONDS
    "$make_cmd" --no-print-directory "$stage"
    status=$?
    record "$stage" $((SECONDS - start)) "$status"
    if [[ $status -ne 0 ]]; then
        exit "$status"
    fi
done
