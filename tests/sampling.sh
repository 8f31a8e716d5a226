#!/bin/sh
# sampling.sh — sampling that keeps to music (issue 13), as a user runs it:
# every shipped model at temperatures 0.5 to 2 writes ABC and MIDI that
# succeed and keep to the model's pitch range (reel info shows it), --range
# narrows it and refuses what is not a range, and --end cadence goes on to a
# cadence and says where it stopped.  Run by tests/run.sh from the top of the
# tree with REEL_BIN set.
set -u
REEL=${REEL_BIN:-build/reel}
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
tmp_dir sampling
# The pitches of a MIDI file's note-ons, lowest and highest: "LO HI".
pitches_of() {
    midicsv "$1" | awk -F', ' '$3 == "Note_on_c" && $6 > 0 { p = $5 + 0
        if (lo == "" || p < lo) lo = p; if (p > hi) hi = p } END { print lo, hi }'
}

# ---- the shipped models carry their range ------------------------------------------
for m in models/*.reel; do
    expect_rc 0 "$REEL" info "$m"
    has "$tmp/out" "pitch range    [A-G]" "$m: reel info shows its pitch range"
    hasnt "$tmp/out" "not recorded" "$m: its range is recorded"
done
expect_rc 0 "$REEL" info models/fiddle-lookback.reel
has "$tmp/out" "pitch range    G3..A6 (55..93)" "fiddle-lookback: Ryan's range"

# ---- reel train records the range: the corpus's ------------------------------------
CORPUS=${REEL_CORPUS:-../shared/corpus}
data="$tmp/data"; mkdir -p "$data"
for t in 42dHighlandRegimentStrathspey 7thRegimentReel AcaciaReel KissMeJoeReel; do
    cp "$CORPUS/ryans-mammoth/midi/$t.mid" "$data/"
done
expect_rc 0 "$REEL" corpus "$data"
corpus_range=$(sed -n 's/.*pitch range *MIDI \([0-9]*\.\.[0-9]*\).*/\1/p' "$tmp/out")
expect_rc 0 "$REEL" train "$data" --encoding melody --hidden 16 --layers 1 --epochs 1 \
    --window 32 --batch 8 -q -o "$tmp/t.reel"
expect_rc 0 "$REEL" info "$tmp/t.reel"
has "$tmp/out" "pitch range .*($corpus_range)" "reel train records the corpus's range $corpus_range"
# (two ranks, each with half the files, record the whole range too: mpi.sh)

# ---- every export succeeds, inside the range, at any temperature up to 2 ------------
for m in models/*.reel; do
    "$REEL" info "$m" > "$tmp/info"
    lo=$(sed -n 's/.*pitch range .*(\([0-9]*\)\.\.\([0-9]*\)).*/\1/p' "$tmp/info")
    hi=$(sed -n 's/.*pitch range .*(\([0-9]*\)\.\.\([0-9]*\)).*/\2/p' "$tmp/info")
    bad=0
    for t in 0.5 1 1.5 2; do
        for seed in 1 2; do
            "$REEL" generate -m "$m" -t $t --seed $seed --bars 16 -q -o "$tmp/g.abc" \
                2> "$tmp/err" || { bad=$((bad + 1)); fail "$m -t $t --seed $seed: ABC"; }
            "$REEL" generate -m "$m" -t $t --seed $seed --bars 16 -q -o "$tmp/g.mid" \
                2> "$tmp/err" || { bad=$((bad + 1)); fail "$m -t $t --seed $seed: MIDI"; }
            set -- $(pitches_of "$tmp/g.mid")
            if [ $# -eq 2 ] && { [ "$1" -lt "$lo" ] || [ "$2" -gt "$hi" ]; }; then
                bad=$((bad + 1)); fail "$m -t $t --seed $seed: pitches $1..$2 outside $lo..$hi"
            fi
        done
    done
    [ $bad -eq 0 ] && ok
done

# The extremes of MIDI (a prime's notes stay as they are) in ABC, read back,
# and in MIDI rendered to WAV.
m=models/fiddle-lookback.reel
expect_rc 0 "$REEL" generate -m $m --seed 1 --prime "C-1/4 G9/4 B-1/4 C#0/4" --bars 1 -o "$tmp/x.abc"
expect_rc 0 "$REEL" convert "$tmp/x.abc" -o "$tmp/x.mid"
midicsv "$tmp/x.mid" | awk -F', ' '$3 == "Note_on_c" && $6 > 0 { print $5 + 0 }' | head -4 \
    | tr '\n' ' ' > "$tmp/p"
has "$tmp/p" "^0 127 11 13 " "C-1 G9 B-1 C#0 written as ABC read back as 0 127 11 13"
expect_rc 0 "$REEL" generate -m $m --seed 1 --prime "C-1/4 G9/4" --bars 1 -o "$tmp/y.mid"
expect_rc 0 "$REEL" render "$tmp/y.mid" -o "$tmp/y.wav"
[ -s "$tmp/y.wav" ] && ok || fail "C-1 and G9 render to WAV"

# ---- --range ----------------------------------------------------------------------
m=models/fiddle-lookback.reel
for seed in 1 2 3; do
    expect_rc 0 "$REEL" generate -m $m -t 2 --seed $seed --range D4-D5 -o "$tmp/r.mid"
    in_range "$(pitches_of "$tmp/r.mid" | cut -d' ' -f1)" 62 74 "--range D4-D5: lowest pitch"
    in_range "$(pitches_of "$tmp/r.mid" | cut -d' ' -f2)" 62 74 "--range D4-D5: highest pitch"
done
expect_rc 0 "$REEL" generate -m $m --seed 1 --range 62-74 -o "$tmp/n.mid"
expect_rc 0 "$REEL" generate -m $m --seed 1 --range D4-D5 -o "$tmp/r.mid"
same "$tmp/n.mid" "$tmp/r.mid" "--range takes MIDI numbers as well as names"
expect_rc 0 "$REEL" generate -m $m --seed 1 --range D4-D5 -o "$tmp/r.abc"
has "$tmp/r.abc" "range D4..D5 (62..74)" "the provenance names the range"
for bad in C4 C5-C4 C4-H9 0-128 x; do
    expect_rc 2 "$REEL" generate -m $m --range "$bad"
    has "$tmp/err" "--range" "--range $bad refused, naming the option"
done
expect_rc 1 "$REEL" generate -m $m --range C1-C2
has "$tmp/err" "does not meet the model's range G3..A6" "a range the model cannot play: said"
expect_rc 0 "$REEL" generate --help
has "$tmp/out" "--range LO-HI" "--help describes --range"

# ---- --end cadence ------------------------------------------------------------------
stopped=0
for seed in 1 2 3 4 5 6 7 8 9 10; do
    expect_rc 0 "$REEL" generate -m $m --seed $seed --bars 16 --end cadence -o "$tmp/c.abc"
    if grep -q "stopped at a cadence on" "$tmp/err"; then
        stopped=$((stopped + 1)); ok
    else
        has "$tmp/err" "no cadence within 8 bars after bar 16: stopped at bar 24 anyway" \
            "--seed $seed: no cadence said"
    fi
    has "$tmp/c.abc" "then to the next cadence" "the provenance says --end cadence"
done
in_range $stopped 1 10 "--end cadence found some cadences in 10 seeds"
expect_rc 0 "$REEL" generate -m $m --seed 1 --bars 16 --end bars -o "$tmp/b.mid"
expect_rc 0 "$REEL" generate -m $m --seed 1 --bars 16 -o "$tmp/d.mid"
same "$tmp/b.mid" "$tmp/d.mid" "--end bars is the default"
expect_rc 2 "$REEL" generate -m $m --events 64 --end cadence
has "$tmp/err" "give --bars N" "--end cadence with --events refused"
expect_rc 2 "$REEL" generate -m $m --end phrase
has "$tmp/err" "bars, cadence or cut" "--end phrase refused"

finish
