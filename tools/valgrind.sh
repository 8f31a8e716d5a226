#!/bin/sh
# tools/valgrind.sh TEST... — run test programs under valgrind's memcheck
# (make valgrind: the core tests, no audio, no studio).  Any memcheck error
# or leak (definite, indirect or possible) fails the test, as does a failed
# check.  REEL_TEST_QUICK=1 asks the slow tests for less work (fewer and
# smaller models; memcheck runs code 20-50 times slower); one BLAS thread,
# as OpenBLAS's idle threads only spin under valgrind.  Logs:
# BUILD/tests/NAME.valgrind.log.
set -u
export REEL_TEST_QUICK=1 OPENBLAS_NUM_THREADS=1
failed=""
n=0
start_all=$(date +%s)
for t in "$@"; do
    n=$((n + 1))
    log=$(dirname "$t")/$(basename "$t").valgrind.log
    start=$(date +%s)
    valgrind -q --error-exitcode=1 --leak-check=full --show-leak-kinds=definite,indirect,possible \
        --errors-for-leak-kinds=definite,indirect,possible --child-silent-after-fork=yes \
        "$t" > "$log" 2>&1
    rc=$?
    secs=$(( $(date +%s) - start ))
    if [ $rc -eq 0 ]; then
        echo "PASS  valgrind $t (${secs}s)"
    else
        echo "FAIL  valgrind $t (exit $rc, ${secs}s) — $log:"
        grep -E '^==[0-9]+== .*(Invalid|uninitialised|definitely|indirectly|possibly|Mismatched|overlap|[Ff]ree)|FAIL' "$log" \
            | head -n 10 | sed 's/^/      /'
        failed="$failed $t"
    fi
done
echo "valgrind: $n tests in $(( $(date +%s) - start_all ))s"
if [ -n "$failed" ]; then
    echo "valgrind FAILED:$failed"
    exit 1
fi
echo "valgrind: no errors, no leaks"
