#!/bin/sh
# run.sh — the test runner: runs the tests it is given by name, or every
# test, each with its output in a log, and reports.  It builds nothing (make
# does); `make test` builds everything and calls it with no names.
usage() {
    cat <<'EOF'
usage: sh tests/run.sh [NAME...]
Run from the top of the tree.  With no NAME, every test: the programs of
tests/test_*.c (in $BUILD/tests), then the scripts tests/*.sh.  A NAME is
  a script:   cli, cli.sh or tests/cli.sh
  a program:  test_nn, or its path build/tests/test_nn
Build first: `make build/reel build/tests/test_nn` (a program and the reel
binary the scripts run), or `make test`, which builds all and runs all.
Each test's output goes to $BUILD/tests/NAME.log (a failed one's last
lines are printed); the last line is "N passed, N failed" (and ", N
skipped" when a test passed saying "NAME: skipped: why" last, as mpi.sh
does without mpirun), and the exit status is 1 when any test failed, 2 for
an unknown NAME.
Environment: BUILD (build; build-asan for the sanitizer build of `make
asan`), REEL_BIN ($BUILD/reel), REEL_CORPUS (where the Makefile looks:
../shared/corpus, /work/shared/corpus).
EOF
}

BUILD=${BUILD:-build}
REEL_BIN=${REEL_BIN:-$BUILD/reel}
if [ -z "${REEL_CORPUS:-}" ]; then
    REEL_CORPUS=../shared/corpus
    for c in ../shared/corpus /work/shared/corpus; do
        if [ -d "$c" ]; then REEL_CORPUS=$c; break; fi
    done
fi
export BUILD REEL_BIN REEL_CORPUS

# path NAME: the file a test name stands for (it may not be built yet)
path() {
    case $1 in
        */*) echo "$1" ;;
        test_*) echo "$BUILD/tests/$1" ;;
        *.sh) echo "tests/$1" ;;
        *) echo "tests/$1.sh" ;;
    esac
}

# every test: the programs of tests/test_*.c, then the scripts
all() {
    for c in tests/test_*.c; do
        [ -e "$c" ] && path "$(basename "$c" .c)"
    done
    for s in tests/*.sh; do
        case $s in tests/run.sh|tests/lib.sh) ;; *) echo "$s" ;; esac
    done
}

case ${1:-} in -h|--help) usage; exit 0 ;; esac
if [ $# -eq 0 ]; then
    # shellcheck disable=SC2046 # the names have no blanks
    set -- $(all)
else
    for n in "$@"; do
        t=$(path "$n")
        case $t in
            "$BUILD"/tests/test_*) [ -e "$t" ] || [ -e "tests/$(basename "$t").c" ] ;;
            *) [ -e "$t" ] ;;
        esac || { echo "run.sh: no test '$n' (sh tests/run.sh --help)" >&2; exit 2; }
    done
fi

passed=0
skipped=0
failed=""
nfailed=0
for n in "$@"; do
    t=$(path "$n")
    log="$BUILD/tests/$(basename "$t").log"
    mkdir -p "$(dirname "$log")"
    start=$(date +%s)
    case $t in
        *.sh) sh "$t" > "$log.tmp" 2>&1; rc=$? ;;
        *) if [ -x "$t" ]; then "$t" > "$log.tmp" 2>&1; rc=$?
           else echo "$t is not built: make $t" > "$log.tmp"; rc=127; fi ;;
    esac
    mv "$log.tmp" "$log"
    secs=$(( $(date +%s) - start ))
    last=$(tail -n 1 "$log")
    if [ $rc -eq 0 ] && [ "${last#*: skipped: }" != "$last" ]; then
        echo "SKIP  $t (${last#*: skipped: })"
        skipped=$((skipped + 1))
    elif [ $rc -eq 0 ]; then
        echo "PASS  $t (${secs}s)"
        passed=$((passed + 1))
    else
        echo "FAIL  $t (exit $rc, ${secs}s) — last lines of $log:"
        tail -n 25 "$log" | sed 's/^/      /'
        failed="$failed $t"
        nfailed=$((nfailed + 1))
    fi
done
[ -z "$failed" ] || echo "FAILED:$failed"
if [ "$skipped" -eq 0 ]; then
    echo "$passed passed, $nfailed failed"
else
    echo "$passed passed, $nfailed failed, $skipped skipped"
fi
[ "$nfailed" -eq 0 ]
