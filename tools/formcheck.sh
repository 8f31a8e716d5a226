#!/bin/sh
# formcheck.sh — issue 13's measurement: N melodies exactly as
# `reel generate -m MODEL --bars BARS --seed S` writes them (S = 1..N, any
# further reel generate options after --), each also written as ABC (the
# exports that fail are counted), then build/tools/formcheck against the
# first BARS bars of the corpus's tunes in the same metres.
# usage: tools/formcheck.sh MODEL CORPUS [N [BARS]] [-- GENERATE-OPTIONS...]
set -eu
REEL=${REEL:-build/reel}
MODEL=$1 CORPUS=$2
shift 2
N=200 BARS=16
if [ $# -gt 0 ] && [ "$1" != "--" ]; then N=$1; shift; fi
if [ $# -gt 0 ] && [ "$1" != "--" ]; then BARS=$1; shift; fi
if [ $# -gt 0 ] && [ "$1" = "--" ]; then shift; fi
make -s build/tools/formcheck
DIR=$(mktemp -d /tmp/reel-formcheck.XXXXXX)
trap 'rm -rf "$DIR"' EXIT
mkdir "$DIR/mid"
bad=0 s=1
t0=$(date +%s)
while [ "$s" -le "$N" ]; do
    "$REEL" generate -q -m "$MODEL" --bars "$BARS" --seed "$s" "$@" -o "$DIR/mid/$s.mid"
    "$REEL" generate -q -m "$MODEL" --bars "$BARS" --seed "$s" "$@" -o "$DIR/$s.abc" 2>/dev/null ||
        bad=$((bad + 1))
    s=$((s + 1))
done
echo "$MODEL, $N melodies of $BARS bars ($*), made in $(( $(date +%s) - t0 )) s; ABC exports failed: $bad"
build/tools/formcheck "$CORPUS" "$DIR/mid" "$BARS"
