#!/bin/sh
# fuzz/run.sh BUILD TARGET... — run each libFuzzer target in BUILD/fuzz/ for
# FUZZ_SECONDS (and at most FUZZ_RUNS executions when that is not 0), one
# after the other, and print executions per second and in all.  The corpus
# grows in BUILD/corpus/<target> (kept between runs); seeds come from
# fuzz/seeds.sh; a crash, leak, hang (> 10 s), or an allocation over 1 GiB
# is written to BUILD/crashes/<target>/ and fails the run.  Turn a crash
# into a regression input: fix it, then copy the file to
# tests/fuzz-regress/<target>/ (test_fuzz_replay replays it in every build).
set -u
b=$1
shift
secs=${FUZZ_SECONDS:-60}
runs=${FUZZ_RUNS:-0}

if [ ! -d "$b/seeds" ]; then
    echo "fuzz: making seed inputs from real files (fuzz/seeds.sh)"
    sh fuzz/seeds.sh "$b/seeds" "$b/reel" || exit 1
fi

# Longest input each target is given: MIDI and ABC files of a few tunes,
# tiny models, settings files.
max_len() {
    case $1 in
        midi) echo 16384 ;;
        abc) echo 8192 ;;
        model) echo 65536 ;;
        *) echo 4096 ;;
    esac
}

failed=""
printf '%-9s %12s %10s %8s %8s  %s\n' target executions 'execs/s' seconds corpus result
for t in "$@"; do
    bin=$b/fuzz/fuzz_$t
    log=$b/fuzz-$t.log
    mkdir -p "$b/corpus/$t" "$b/crashes/$t"
    start=$(date +%s)
    # shellcheck disable=SC2046
    "$bin" -max_total_time="$secs" $( [ "$runs" != 0 ] && echo "-runs=$runs" ) \
        -max_len="$(max_len "$t")" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
        -print_final_stats=1 -artifact_prefix="$b/crashes/$t/" \
        "$b/corpus/$t" "$b/seeds/$t" > "$log" 2>&1
    rc=$?
    took=$(( $(date +%s) - start ))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    size=$(ls "$b/corpus/$t" | wc -l)
    if [ $rc -eq 0 ]; then
        result=ok
    else
        result="FAILED (exit $rc): $(ls -t "$b/crashes/$t" | head -n 1)"
        failed="$failed $t"
    fi
    printf '%-9s %12s %10s %8s %8s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "$took" "$size" "$result"
    if [ $rc -ne 0 ]; then
        grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz: )' "$log" | head -n 5 | sed 's/^/      /'
        echo "      log: $log; replay: $bin $b/crashes/$t/<file>"
    fi
done
if [ -n "$failed" ]; then
    echo "fuzz: failed:$failed"
    exit 1
fi
