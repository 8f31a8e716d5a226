#!/bin/sh
# fuzz/seeds.sh OUT REEL — make the fuzz targets' seed inputs in OUT/<target>/
# from real files: corpus MIDI and ABC ($REEL_CORPUS, only read), what
# abc2midi writes and says, what reel writes (convert, generate --print,
# tiny models trained here), the studio's settings keys.  Nothing from the
# corpus is copied into the repository.  Takes a minute; make fuzz runs it
# once (delete OUT to make the seeds again).
set -eu
mkdir -p "$(dirname "$1")"
out=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
reel=$2
corpus=${REEL_CORPUS:-../shared/corpus}
ryan_midi=$corpus/ryans-mammoth/midi
ryan_abc=$corpus/ryans-mammoth/abc
pop=$corpus/pop909/midi
for d in "$ryan_midi" "$ryan_abc" "$pop"; do
    [ -d "$d" ] || { echo "fuzz/seeds.sh: corpus folder $d not found: set REEL_CORPUS" >&2; exit 1; }
done
command -v abc2midi >/dev/null || { echo "fuzz/seeds.sh: abc2midi not found (make deps)" >&2; exit 1; }

rm -rf "$out.tmp"
mkdir -p "$out.tmp/midi" "$out.tmp/abc" "$out.tmp/notes" "$out.tmp/model" "$out.tmp/settings" \
         "$out.tmp/work"
o=$out.tmp
w=$o/work

# Every 100th file in name order: the same seeds on every machine.
every100() { ls "$1" | LC_ALL=C sort | awk 'NR % 100 == 1'; }

# MIDI: Ryan's (format 1, abc2midi's), the smallest POP909 files (several
# tracks, off-grid notes), files abc2midi writes now, files reel writes.
for f in $(every100 "$ryan_midi"); do cp "$ryan_midi/$f" "$o/midi/ryan-$f"; done
for f in $(ls -S "$pop" | tail -n 4); do cp "$pop/$f" "$o/midi/pop909-$f"; done
n=0
for f in $(every100 "$ryan_abc" | head -n 4); do
    n=$((n + 1))
    (cd "$w" && abc2midi "$ryan_abc/$f" -NGUI -NGRA -NFER -o "abc2midi-$n.mid" > "abc2midi-$n.txt" 2>&1) || true
    [ -s "$w/abc2midi-$n.mid" ] && cp "$w/abc2midi-$n.mid" "$o/midi/"
    cp "$w/abc2midi-$n.txt" "$o/abc/abc2midi-output-$n.txt"
done
"$reel" convert "$ryan_midi/$(every100 "$ryan_midi" | sed -n 2p)" -o "$o/midi/reel-convert-1.mid" >/dev/null
"$reel" convert "$pop/$(ls -S "$pop" | tail -n 1)" --part all -o "$o/midi/reel-convert-2.mid" >/dev/null

# ABC: Ryan's files, some with e-mail (quoted-printable) damage, hornpipes
# (R: lines), a file of several tunes with a file header, and abc2midi's
# console output for a tune it complains about.
for f in $(every100 "$ryan_abc"); do cp "$ryan_abc/$f" "$o/abc/"; done
for f in $(grep -l '=3D' "$ryan_abc"/* | LC_ALL=C sort | head -n 3) \
         $(grep -l '^R:.*[Hh]ornpipe' "$ryan_abc"/* | LC_ALL=C sort | head -n 2); do
    cp "$f" "$o/abc/"
done
{ printf '%% a file header\nM:4/4\nL:1/8\n\n'; for f in $(every100 "$ryan_abc" | head -n 3); do
    cat "$ryan_abc/$f"; echo; done; } > "$o/abc/several-tunes.abc"
printf 'X:1\nT:Broken\nM:4/4\nK:Q\n|: AB c2 [ de f :| ]] (3 z\n' > "$w/broken.abc"
(cd "$w" && abc2midi broken.abc -NGUI -NGRA -NFER -o broken.mid > "$o/abc/abc2midi-errors.txt" 2>&1) || true

# Notes text: what people type, and what reel prints.
printf 'C4/8 D4/8 E4/4 r/2 | G4/1' > "$o/notes/readme.txt"
printf 'D4/8 F#4/8 A4/8 D5/8' > "$o/notes/prime.txt"
printf 'C4.E4.G4/2. Bb3/4+16 c#4/16 z/8 R/4. E-1/1+1 G9' > "$o/notes/odd.txt"
"$reel" generate -m models/fiddle-melody.reel --seed 7 --bars 4 --print > "$o/notes/generated.txt"
"$reel" generate -m models/fiddle-melody.reel --seed 8 --bars 2 --prime "D4/8 F#4/8 A4/4" \
    --print > "$o/notes/generated-primed.txt"

# Models: tiny ones (a few KB) of every encoding and network option, with
# and without the optimizer state.
data="$ryan_midi/$(every100 "$ryan_midi" | sed -n 3p) $ryan_midi/$(every100 "$ryan_midi" | sed -n 4p)"
train() {
    name=$1
    shift
    # shellcheck disable=SC2086
    "$reel" train $data --hidden 3 --layers 1 --epochs 1 --window 16 --batch 4 --val-split 0 \
        --log none -q "$@" -o "$w/$name.reel" >/dev/null
    "$reel" info --strip "$o/model/$name-stripped.reel" "$w/$name.reel" >/dev/null
    [ "$(wc -c < "$w/$name.reel")" -le 65536 ] && cp "$w/$name.reel" "$o/model/"
    return 0
}
train melody --encoding melody
train roll13 --encoding roll13
train roll13o --encoding roll13o --plain
train roll128 --encoding roll128
train tokens --encoding tokens --durations
train regress --encoding regress --optimizer rmsprop
train deep --encoding melody --layers 2 --dense 3 --batchnorm --dropout 0.1 --rec-dropout 0.1

# Settings: the keys the studio reads, as it writes them.
cat > "$o/settings/studio.conf" <<'EOF'
# reel studio settings (written when the studio closes)
soundfont = /usr/share/sounds/sf2/TimGM6mb.sf2
model = models/fiddle-melody.reel
corpus = ../shared/corpus/ryans-mammoth/midi
program = 40
tempo = 120
meter = 6/8
temperature = 1
top_k = 0
top_p = 0.9
bars = 8
seed_bars = 2
octave = 4
length = 2
quantize = 16
zoom = 1
loop = 0
metronome = 1
continuous = 0
future_key = kept as written
EOF
printf 'tempo=90\n\n  # comment\n bars =  16  \n' > "$o/settings/short.conf"

rm -rf "$w" "$out"
mv "$o" "$out"
for t in midi abc notes model settings; do
    printf '  seeds  %-9s %3d files\n' "$t" "$(ls "$out/$t" | wc -l)"
done
