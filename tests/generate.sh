#!/bin/sh
# generate.sh — `reel generate` as a user runs it: help, repeatable seeds,
# MIDI and ABC output with provenance (the ABC read back through abc2midi
# gives the MIDI's notes), lengths in bars and events, every kind of prime,
# and the errors.  Small models are trained here with `reel train` on three
# of Ryan's tunes (a second or two).  Run by tests/run.sh from the top of the
# tree with REEL_BIN and REEL_CORPUS set.
set -u
REEL=${REEL_BIN:-build/reel}
CORPUS=${REEL_CORPUS:-../shared/corpus}
RYANS="$CORPUS/ryans-mammoth"
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
tmp_dir gen
# The (tick, pitch) of every note-on and note-off of a MIDI file.
notes_of() { midicsv "$1" | awk -F', ' '$3 == "Note_on_c" || $3 == "Note_off_c" { print $2, $3, $5 }' | sort; }
# End of the note track, in ticks.
end_of() { midicsv "$1" | awk -F', ' '$1 == 2 && $3 == "End_track" { print $2 }'; }

[ -d "$RYANS/midi" ] || { echo "corpus not found at $CORPUS: set REEL_CORPUS"; exit 1; }

# ---- help ------------------------------------------------------------------
expect_rc 0 "$REEL" --help
has "$tmp/out" "generate" "reel --help lists generate"
expect_rc 0 "$REEL" generate --help
for opt in --model --temperature --top-k --top-p --seed --mono --poly --noise --prime \
           --prime-bars --meter --tempo --bars --events --output --program --print --quiet \
           "corpus:DIR" "rests" "/8 is an eighth note" "/4+16" "Exit status"; do
    has "$tmp/out" -- "$opt" "generate --help describes $opt"
done
expect_rc 0 "$REEL" help generate
has "$tmp/out" "usage: reel generate" "reel help generate"

# ---- small models -------------------------------------------------------------
data="$tmp/data"; mkdir -p "$data"
for t in AcaciaReel KissMeJoeReel AcrobatsHornpipe; do cp "$RYANS/midi/$t.mid" "$data/"; done
train() { # train OUT ARGS...
    out=$1; shift
    if "$REEL" train "$data" --hidden 24 --layers 1 --epochs 2 --window 32 --batch 8 \
        --val-split 0 -q -o "$out" "$@" > "$tmp/train.log" 2>&1; then ok
    else fail "reel train $* failed"; tail -5 "$tmp/train.log" | sed 's/^/    /'; fi
}
r13="$tmp/r13.reel"; plain="$tmp/plain.reel"; mel="$tmp/mel.reel"; tok="$tmp/tok.reel"
r128="$tmp/r128.reel"; reg="$tmp/reg.reel"
train "$r13"
train "$plain" --plain
train "$mel" --encoding melody --epochs 30
train "$tok" --encoding tokens --durations
train "$r128" --encoding roll128
train "$reg" --encoding regress

# ---- seeds repeat, other seeds differ; notes printed without -o ---------------
expect_rc 0 "$REEL" generate --model "$r13" --seed 42
cp "$tmp/out" "$tmp/a.txt"
has "$tmp/a.txt" "[A-G]" "notes printed on stdout"
has "$tmp/err" "seed 42" "the seed is reported"
expect_rc 0 "$REEL" generate --model "$r13" --seed 42
same "$tmp/a.txt" "$tmp/out" "--seed 42 twice"
expect_rc 0 "$REEL" generate --model "$r13" --seed 43
differ "$tmp/a.txt" "$tmp/out" "--seed 42 and 43"
expect_rc 0 "$REEL" generate --model "$r13"
has "$tmp/err" "seed [0-9][0-9]* (--seed [0-9]* repeats it)" "a clock seed is printed"
s=$(sed -n 's/.*(--seed \([0-9]*\) repeats it).*/\1/p' "$tmp/err")
cp "$tmp/out" "$tmp/clock.txt"
expect_rc 0 "$REEL" generate --model "$r13" --seed "$s"
same "$tmp/clock.txt" "$tmp/out" "the printed clock seed repeats the melody"
# ---- --weights: each kind repeats itself; f32 is --precise; bad names refused -
for w in f32 f16 int8; do
    expect_rc 0 "$REEL" generate --model "$r13" --seed 42 --weights $w -o "$tmp/w-$w.abc"
    expect_rc 0 "$REEL" generate --model "$r13" --seed 42 --weights $w -o "$tmp/w2-$w.abc"
    same "$tmp/w-$w.abc" "$tmp/w2-$w.abc" "--weights $w twice"
done
has "$tmp/w-int8.abc" "int8 weights" "provenance names int8 weights"
has "$tmp/w-f16.abc" "fp16 weights" "provenance names fp16 weights"
has "$tmp/w-f32.abc" "float weights" "provenance names float weights"
expect_rc 0 "$REEL" generate --model "$r13" --seed 42 --precise -o "$tmp/w-precise.abc"
same "$tmp/w-f32.abc" "$tmp/w-precise.abc" "--precise is --weights f32"
expect_rc 2 "$REEL" generate --model "$r13" --weights int4
has "$tmp/err" "int4: not f32, f16, int8 or auto" "bad --weights named"
expect_rc 0 "$REEL" generate --model "$r13" --seed 42 -q
[ -s "$tmp/err" ] && fail "-q: stderr not empty" || ok

# ---- MIDI out: provenance, length, program, metre -------------------------------
expect_rc 0 "$REEL" generate --model "$r13" --seed 7 -o "$tmp/a.mid"
has "$tmp/err" "wrote $tmp/a.mid" "says what it wrote"
expect_rc 0 midicsv "$tmp/a.mid"
has "$tmp/out" "Note_on_c" "MIDI has notes"
has "$tmp/out" 'Text_t, "reel' "MIDI carries provenance"
midicsv "$tmp/a.mid" | tr -d '\n' | sed 's/", *[0-9]*, *[0-9]*, *Text_t, "//g' > "$tmp/prov"
has "$tmp/prov" "checksum [0-9a-f]\{16\}" "provenance: model checksum"
has "$tmp/prov" "temperature 1" "provenance: temperature"
has "$tmp/prov" "seed 7" "provenance: seed"
has "$tmp/prov" "prime rests" "provenance: prime"
has "$tmp/out" "Program_c, 0, 40" "violin (41) by default for roll13"
[ "$(end_of "$tmp/a.mid")" = 15360 ] && ok || fail "8 bars of 4/4 after rests: end $(end_of "$tmp/a.mid"), wanted 15360 ticks"
expect_rc 0 "$REEL" generate --model "$r13" --seed 7 --bars 3 --meter 6/8 --tempo 100 --program 1 -o "$tmp/b.mid"
expect_rc 0 midicsv "$tmp/b.mid"
has "$tmp/out" "Time_signature, 6, 3" "--meter 6/8"
has "$tmp/out" "Tempo, 600000" "--tempo 100"
has "$tmp/out" "Program_c, 0, 0" "--program 1"
[ "$(end_of "$tmp/b.mid")" = 4320 ] && ok || fail "3 bars of 6/8: end $(end_of "$tmp/b.mid"), wanted 4320"
expect_rc 0 "$REEL" generate --model "$r128" --seed 7 -o "$tmp/p.mid"
expect_rc 0 midicsv "$tmp/p.mid"
has "$tmp/out" "Program_c, 0, 0" "piano (1) by default for roll128"

# ---- ABC out: read back through abc2midi, it is the MIDI's notes -------------------
# --top-k 5: a model trained for a second still draws odd pitches now and then.
for m in "$r13" "$mel"; do
    expect_rc 0 "$REEL" generate --model "$m" --seed 11 --top-k 5 --prime "D4/8 E4/8 F#4/4 A4/4 | B4/2 A4/2" -o "$tmp/c.abc"
    expect_rc 0 "$REEL" generate --model "$m" --seed 11 --top-k 5 --prime "D4/8 E4/8 F#4/4 A4/4 | B4/2 A4/2" -o "$tmp/c.mid"
    has "$tmp/c.abc" "^X:1" "ABC: X:"
    has "$tmp/c.abc" "^M:4/4" "ABC: M:"
    has "$tmp/c.abc" "^L:1/8" "ABC: L:"
    has "$tmp/c.abc" "^K:[A-G]" "ABC: K:"
    has "$tmp/c.abc" "^N:reel .*seed 11" "ABC: provenance in N:"
    has "$tmp/c.abc" "^% reel .*checksum" "ABC: provenance in a comment"
    has "$tmp/c.abc" "|]" "ABC: final bar line"
    expect_rc 0 "$REEL" convert "$tmp/c.abc" -o "$tmp/back.mid"
    notes_of "$tmp/c.mid" > "$tmp/n1"
    notes_of "$tmp/back.mid" > "$tmp/n2"
    [ -s "$tmp/n1" ] && ok || fail "no notes in $tmp/c.mid"
    same "$tmp/n1" "$tmp/n2" "$(basename "$m"): the ABC read back by abc2midi has the MIDI's notes"
done
expect_rc 1 "$REEL" generate --model "$r128" --poly --seed 3 -o "$tmp/chords.abc"
has "$tmp/err" "write MIDI (.mid)" "chords in ABC: says to write MIDI"
[ -e "$tmp/chords.abc" ] && fail "a refused ABC file was left behind" || ok

# ---- primes --------------------------------------------------------------------------
# Typed notes: the output starts with them (C4/4 is a quarter: 480 ticks; G4/2 a half).
expect_rc 0 "$REEL" generate --model "$mel" --seed 5 --prime "C4/4 E4/4 G4/2 r/4" --bars 2 --print -o "$tmp/t.mid"
notes_of "$tmp/t.mid" | head -0 > /dev/null
midicsv "$tmp/t.mid" | awk -F', ' '$3 == "Note_on_c" { print $2, $5 }' | head -3 > "$tmp/first3"
printf '0 60\n480 64\n960 67\n' > "$tmp/want3"
same "$tmp/want3" "$tmp/first3" "the typed prime opens the output"
has "$tmp/out" "^C4/4 E4/4 G4/2 | r/4" "--print shows the prime in the same syntax, bar lines too"
[ "$(end_of "$tmp/t.mid")" = 7680 ] && ok || fail "prime of 1 bar + 2 bars: end $(end_of "$tmp/t.mid"), wanted 7680"
# Note values: /8 an eighth (240 ticks), /8. dotted (360), /4+16 tied (600),
# r/2 a half-note rest (960), no value: the one before.
expect_rc 0 "$REEL" generate --model "$mel" --seed 5 --prime "C4/8 D4/8. E4/4+16 r/2 | F4/1 G4" --bars 1 -o "$tmp/v.mid"
midicsv "$tmp/v.mid" | awk -F', ' '$3 == "Note_on_c" && $6 > 0 { print $2, $5 }' | head -5 > "$tmp/first5"
printf '0 60\n240 62\n600 64\n2160 65\n4080 67\n' > "$tmp/want5"
same "$tmp/want5" "$tmp/first5" "note values, dots, ties, rests and a carried value"
# What --print shows can be typed back as --prime: the same notes come out.
expect_rc 0 "$REEL" generate --model "$mel" --seed 12 --bars 8 -q
cp "$tmp/out" "$tmp/printed"
[ "$(wc -l < "$tmp/printed")" -ge 2 ] && ok || fail "8 bars print on 2 lines"
expect_rc 0 "$REEL" generate --model "$mel" --seed 3 --prime "$(cat "$tmp/printed")" --bars 1 -q
head -1 "$tmp/printed" > "$tmp/p1"
head -1 "$tmp/out" > "$tmp/o1"
same "$tmp/p1" "$tmp/o1" "printed notes typed back as --prime print the same"
# A file, its first bars.
expect_rc 0 "$REEL" generate --model "$r13" --seed 5 --prime "$RYANS/midi/AcaciaReel.mid" --prime-bars 2 --bars 4 -o "$tmp/f.mid"
has "$tmp/err" "first 2 bars" "file prime: first bars"
expect_rc 0 midicsv "$tmp/f.mid"
has "$tmp/out" "Time_signature, 2, 2" "the file's 2/4 is kept"
[ "$(end_of "$tmp/f.mid")" = 5760 ] && ok || fail "2 + 4 bars of 2/4: end $(end_of "$tmp/f.mid"), wanted 5760"
expect_rc 0 "$REEL" generate --model "$r13" --seed 5 --prime "$RYANS/abc/AcaciaReel.abc" --prime-bars 1 --bars 1
# A corpus excerpt, repeatable with the seed.
expect_rc 0 "$REEL" generate --model "$mel" --seed 9 --prime "corpus:$data" --bars 2
cp "$tmp/out" "$tmp/k1"
has "$tmp/err" "corpus .*: bars [0-9]*-[0-9]* of" "says which excerpt"
expect_rc 0 "$REEL" generate --model "$mel" --seed 9 --prime "corpus:$data" --bars 2
same "$tmp/k1" "$tmp/out" "corpus excerpt repeats with the seed"
# Lengths in events; tokens and regress models.
expect_rc 0 "$REEL" generate --model "$tok" --seed 1 --events 500 -o "$tmp/e.mid"
midicsv "$tmp/e.mid" | tr -d '\n' | sed 's/", *[0-9]*, *[0-9]*, *Text_t, "//g' > "$tmp/prov"
has "$tmp/prov" "500 events" "provenance: 500 events"
expect_rc 0 "$REEL" generate --model "$tok" --seed 1 --prime "C4/4 D#7/8. F#1/4+16"
has "$tmp/err" "not in the model's vocabulary.*D#7/3" "unknown tokens: warned and named"
expect_rc 0 "$REEL" generate --model "$reg" --seed 1 --bars 4 -o "$tmp/r.mid"
expect_rc 0 "$REEL" generate --model "$reg" --seed 1 --bars 4 --noise 0

# ---- errors ------------------------------------------------------------------------------
expect_rc 2 "$REEL" generate --model "$r13" --prime "C4/4 H4/4"
has "$tmp/err" "'H4/4' is not a note" "unknown note named"
expect_rc 2 "$REEL" generate --model "$r13" --prime "C4/0"
has "$tmp/err" "'C4/0' is not a note: '0' is not a note value" "bad value named"
has "$tmp/err" "1 whole, 2 half, 4 quarter, 8 eighth or 16 sixteenth" "bad value: what is allowed"
for v in 3 32 4.. 16. 4+ 64; do
    expect_rc 2 "$REEL" generate --model "$r13" --prime "C4/8 D4/$v"
    has "$tmp/err" "'D4/$v' is not a note" "bad value /$v named"
done
expect_rc 2 "$REEL" generate --model "$r13" --temperature 0
has "$tmp/err" "temperature must be a number > 0" "temperature 0"
expect_rc 2 "$REEL" generate --model "$r13" -t -1
expect_rc 2 "$REEL" generate --model "$r13" -t warm
expect_rc 2 "$REEL" generate --model "$r13" --top-p 0
has "$tmp/err" "top-p must be in (0, 1]" "top-p 0"
expect_rc 2 "$REEL" generate --model "$r13" --top-p 1.5
expect_rc 2 "$REEL" generate --model "$r13" --top-k -1
expect_rc 2 "$REEL" generate --model "$r13" --bars 4 --events 10
expect_rc 2 "$REEL" generate --model "$r13" --meter 5/7
expect_rc 2 "$REEL" generate --model "$r13" -o "$tmp/x.wav"
has "$tmp/err" "FILE.abc" "wrong extension explained"
expect_rc 2 "$REEL" generate
has "$tmp/err" "--model" "no model: says to give one"
expect_rc 2 "$REEL" generate --model "$r13" stray
expect_rc 1 "$REEL" generate --model "$tmp/none.reel"
has "$tmp/err" "none.reel" "missing model named"
head -c 300 "$r13" > "$tmp/cut.reel"
expect_rc 1 "$REEL" generate --model "$tmp/cut.reel"
has "$tmp/err" "cut.reel" "damaged model named"
expect_rc 1 "$REEL" generate --model "$r13" --prime "$tmp/none.mid"
has "$tmp/err" "none.mid" "missing prime file named"
: > "$tmp/empty.mid"
expect_rc 1 "$REEL" generate --model "$r13" --prime "$tmp/empty.mid"
has "$tmp/err" "empty.mid" "empty prime file named"
expect_rc 1 "$REEL" generate --model "$plain" --prime "C6/4 D6/4 E6/4"
has "$tmp/err" "outside C4..C5" "--plain model and a prime in octave 6"
expect_rc 0 "$REEL" generate --model "$r13" --prime "C6/4 D6/4 E6/4" --bars 1
expect_rc 1 "$REEL" generate --model "$r13" --prime "corpus:$tmp/no-such-dir"
expect_rc 1 "$REEL" generate --model "$r13" -o "$tmp/no/such/dir/x.mid"
has "$tmp/err" "no/such/dir" "unwritable output named"

# A prime of 2,100 bars is refused at once, saying how to cut it (issue 14
# item 4: a long prime meant a minute of priming); its first 8 bars work.
long=$(yes C4/1 | head -2100 | tr '\n' ' ')
expect_rc 1 "$REEL" generate -m models/pop909-melody.reel --prime "$long" --bars 1 --seed 1
has "$tmp/err" "the prime is 33600 16th steps long; reel primes with at most" "a long prime is refused"
expect_rc 0 "$REEL" generate -m models/pop909-melody.reel --prime "$long" --prime-bars 8 --bars 1 --seed 1

finish
