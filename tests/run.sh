#!/bin/sh
# Run every test binary given as an argument, then every tests/*.sh script,
# and report.  Exit non-zero when any failed.  BUILD and REEL_BIN come from make.
failed=""
n=0
for t in "$@" tests/*.sh; do
    case "$t" in tests/run.sh) continue ;; esac
    [ -e "$t" ] || continue
    n=$((n + 1))
    start=$(date +%s)
    case "$t" in
        *.sh) sh "$t" > "$t.log.tmp" 2>&1; rc=$? ;;
        *) "$t" > "$t.log.tmp" 2>&1; rc=$? ;;
    esac
    log="${BUILD:-build}/tests/$(basename "$t").log"
    mkdir -p "$(dirname "$log")"; mv "$t.log.tmp" "$log"
    secs=$(( $(date +%s) - start ))
    if [ $rc -eq 0 ]; then
        echo "PASS  $t (${secs}s)"
    else
        echo "FAIL  $t (exit $rc, ${secs}s) — last lines of $log:"
        tail -n 25 "$log" | sed 's/^/      /'
        failed="$failed $t"
    fi
done
if [ -n "$failed" ]; then
    echo "FAILED:$failed"
    exit 1
fi
echo "all $n tests passed"
