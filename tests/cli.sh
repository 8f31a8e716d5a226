#!/bin/sh
# cli.sh — the reel binary as a user runs it: help texts, the corpus report on
# the real corpus, bad input, convert, install.  Run by tests/run.sh from the
# top of the tree with REEL_BIN and REEL_CORPUS set.
set -u
REEL=${REEL_BIN:-build/reel}
CORPUS=${REEL_CORPUS:-../shared/corpus}
RYANS="$CORPUS/ryans-mammoth"
POP="$CORPUS/pop909"
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
tmp_dir cli
# the unreadable files and folders made below must go too
on_cleanup() { chmod -R u+rwx "$tmp" 2>/dev/null; }

[ -d "$RYANS/midi" ] || { echo "corpus not found at $CORPUS: set REEL_CORPUS"; exit 1; }

# ---- help ------------------------------------------------------------------
expect_rc 0 "$REEL" --help
has "$tmp/out" "corpus" "--help lists corpus"
has "$tmp/out" "convert" "--help lists convert"
expect_rc 2 "$REEL"
expect_rc 2 "$REEL" frobnicate
has "$tmp/err" "unknown command 'frobnicate'" "unknown command named"
expect_rc 0 "$REEL" corpus --help
for opt in --json --list --part --no-phase --vocab --no-durations --max-files --quiet; do
    has "$tmp/out" -- "$opt" "corpus --help describes $opt"
done
expect_rc 0 "$REEL" convert --help
for opt in --output --tune --part --encoding --plain --durations --program roll13o regress; do
    has "$tmp/out" -- "$opt" "convert --help describes $opt"
done
expect_rc 0 "$REEL" help corpus
has "$tmp/out" "usage: reel corpus" "reel help corpus"
expect_rc 2 "$REEL" corpus --bogus "$RYANS/midi"
expect_rc 2 "$REEL" corpus

# ---- Ryan's Mammoth Collection: the figures of SOURCE.md --------------------
expect_rc 0 "$REEL" corpus --json "$RYANS/midi"
j="$tmp/out"
has "$j" '"files_read": 1059,' "1059 files read"
has "$j" '"tunes": 1059,' "1059 tunes"
has "$j" '"files_skipped": 0,' "nothing skipped"
has "$j" '"notes": 215049,' "215,049 notes"
has "$j" '"pitch_min": 55,' "lowest MIDI 55"
has "$j" '"pitch_max": 93,' "highest MIDI 93"
has "$j" '"sig": "2/4", "tunes": 463' "463 tunes in 2/4"
has "$j" '"sig": "2/2", "tunes": 301' "301 tunes in 2/2"
has "$j" '"sig": "6/8", "tunes": 200' "200 tunes in 6/8"
has "$j" '"sig": "9/8", "tunes": 41' "41 tunes in 9/8"
# 16th steps: SOURCE.md says about 357,600.
steps=$(sed -n 's/^  "steps": \([0-9]*\),$/\1/p' "$j")
if [ -n "$steps" ] && [ "$steps" -ge 355000 ] && [ "$steps" -le 360000 ]; then ok; else fail "steps $steps not near 357,600"; fi
# Onsets on the grid: 96.2% + nothing else moved (SOURCE.md), within a point.
on_grid=$(sed -n 's/.*"on_grid": \([0-9]*\),.*/\1/p' "$j")
if [ -n "$on_grid" ] && [ "$on_grid" -ge 204700 ] && [ "$on_grid" -le 208900 ]; then ok; else fail "on-grid onsets $on_grid not near 96.2% of 215,049"; fi
for e in roll13 "roll13 --plain" roll13o roll128 melody "tokens --durations" tokens regress; do
    has "$j" "\"encoding\": \"$e\"" "encoding $e measured"
done
expect_rc 0 "$REEL" corpus -q "$RYANS/midi"
has "$tmp/out" "tunes loaded *1,059" "text report: tunes"
has "$tmp/out" "notes *215,049" "text report: notes"
has "$tmp/out" "MIDI 55..93 (G3..A6)" "text report: range"
has "$tmp/out" "shifted by octaves" "roll13 reports the notes it moved"

# ---- bad input --------------------------------------------------------------
bad="$tmp/bad"
mkdir -p "$bad/empty" "$bad/sub"
cp "$RYANS/midi/AcaciaReel.mid" "$bad/sub/good.mid"
: > "$bad/zero.mid"
echo "just some text" > "$bad/readme.txt"
head -c 100 "$RYANS/midi/AcaciaReel.mid" > "$bad/truncated.mid"
printf 'MThd\000\000\000\006\000\001\000\000\001\340' > "$bad/notracks.mid"
ln -s "$bad/nowhere.mid" "$bad/dangling.mid"
mkfifo "$bad/pipe.mid"
printf 'X:1\nT:No notes\nK:C\n' > "$bad/nonotes.abc"
cat > "$tmp/drums.csv" <<'CSV'
0, 0, Header, 0, 1, 480
1, 0, Start_track
1, 0, Note_on_c, 9, 36, 100
1, 240, Note_off_c, 9, 36, 0
1, 480, Note_on_c, 9, 38, 100
1, 720, Note_off_c, 9, 38, 0
1, 720, End_track
0, 0, End_of_file
CSV
csvmidi "$tmp/drums.csv" "$bad/drums.mid" || fail "csvmidi could not make the drum file"
if [ "$(id -u)" != 0 ]; then
    cp "$RYANS/midi/AcaciaReel.mid" "$bad/unreadable.mid"; chmod 000 "$bad/unreadable.mid"
fi
expect_rc 0 "$REEL" corpus --json "$bad"
has "$tmp/out" '"tunes": 1,' "the one good file loads"
has "$tmp/out" 'zero.mid.*empty' "0-byte file: reason"
has "$tmp/out" 'readme.txt.*not a MIDI or ABC' "text file: reason"
has "$tmp/out" 'truncated.mid' "truncated file skipped"
has "$tmp/out" 'notracks.mid' "file without tracks skipped"
has "$tmp/out" 'drums.mid.*drum' "drum-only file: reason"
has "$tmp/out" 'dangling.mid' "dangling link skipped"
has "$tmp/out" 'pipe.mid.*not a regular file' "a FIFO is skipped, not read (it would block)"
has "$tmp/out" 'nonotes.abc.*no notes' "ABC tune without notes: reason"
has "$tmp/out" 'empty' "empty folder reported"
[ "$(id -u)" != 0 ] && has "$tmp/out" 'unreadable.mid' "unreadable file skipped"
rm "$bad/sub/good.mid"
expect_rc 1 "$REEL" corpus "$bad"
has "$tmp/err" "nothing could be loaded" "fails when nothing loads"
has "$tmp/err" "drums.mid" "and lists the reasons"
expect_rc 1 "$REEL" corpus "$bad/empty"
has "$tmp/err" "empty.*no files" "empty folder alone"
expect_rc 1 "$REEL" corpus "$tmp/does-not-exist.mid"
has "$tmp/err" "does-not-exist.mid" "missing file named"

# ---- ABC through abc2midi, and convert ---------------------------------------
abcs="$tmp/abc"; mkdir -p "$abcs"
for t in AcaciaReel KissMeJoeReel AcrobatsHornpipe; do cp "$RYANS/abc/$t.abc" "$abcs/"; done
expect_rc 0 "$REEL" corpus --json "$abcs"
has "$tmp/out" '"tunes": 3,' "3 ABC tunes"
has "$tmp/out" '"abc_tunes": 3,' "counted as ABC"
expect_rc 0 "$REEL" corpus --json "$RYANS/midi/AcaciaReel.mid" "$RYANS/midi/KissMeJoeReel.mid" "$RYANS/midi/AcrobatsHornpipe.mid"
midi_notes=$(sed -n 's/^  "notes": \([0-9]*\),$/\1/p' "$tmp/out")
"$REEL" corpus --json "$abcs" > "$tmp/abc.json" 2>/dev/null
abc_notes=$(sed -n 's/^  "notes": \([0-9]*\),$/\1/p' "$tmp/abc.json")
if [ -n "$midi_notes" ] && [ "$midi_notes" = "$abc_notes" ]; then ok; else fail "ABC gives $abc_notes notes, the corpus MIDI $midi_notes"; fi

expect_rc 0 "$REEL" convert "$RYANS/abc/AcaciaReel.abc" -o "$tmp/acacia.mid"
expect_rc 0 midicsv "$tmp/acacia.mid"
has "$tmp/out" "Note_on_c" "converted file has notes"
has "$tmp/out" "Tempo" "converted file has a tempo"
has "$tmp/out" "Time_signature" "converted file has a time signature"
has "$tmp/out" 'Text_t, "reel' "converted file carries provenance"
expect_rc 0 "$REEL" convert --encoding roll13 "$RYANS/midi/AcaciaReel.mid" -o "$tmp/r13.mid"
has "$tmp/err" "came back exactly through roll13" "convert reports what the encoding kept"
expect_rc 0 "$REEL" convert --encoding melody --program 41 "$RYANS/midi/AcaciaReel.mid" -o "$tmp/mel.mid"
expect_rc 0 midicsv "$tmp/mel.mid"
has "$tmp/out" "Program_c, 0, 40" "program 41 (violin) written as 40"
expect_rc 2 "$REEL" convert --encoding nope "$RYANS/midi/AcaciaReel.mid" -o "$tmp/x.mid"
expect_rc 1 "$REEL" convert "$RYANS/midi/AcaciaReel.mid" -o "$tmp/no/such/folder/x.mid"
has "$tmp/err" "no/such/folder" "unwritable output named"
expect_rc 1 "$REEL" convert "$bad/zero.mid" -o "$tmp/x.mid"
has "$tmp/err" "zero.mid" "bad input named"
# outputs onto what is not a regular file are refused, never renamed over
# (issue 14 item 1: run as root, -o /dev/null replaced the device)
mkfifo "$tmp/fifo.mid"
ln -s /dev/null "$tmp/devnull.mid"
for out in "$tmp/fifo.mid" "$tmp/devnull.mid"; do
    expect_rc 1 "$REEL" convert "$RYANS/midi/AcaciaReel.mid" -o "$out"
    has "$tmp/err" "not a regular file" "convert -o $(basename "$out") is refused"
    expect_rc 1 "$REEL" generate -m models/pop909-melody.reel --bars 1 --seed 1 -o "$out"
    has "$tmp/err" "not a regular file" "generate -o $(basename "$out") is refused"
done
[ -p "$tmp/fifo.mid" ] && [ -c /dev/null ] && [ -L "$tmp/devnull.mid" ] && ok ||
    fail "a FIFO, /dev/null or the link to it was replaced"
# numbers the commands used to take: a negative or 23-digit seed, a negative --vocab (issue 14)
for sd in -1 12345678901234567890123 +5; do
    expect_rc 2 "$REEL" train "$RYANS/midi" --seed "$sd" -o "$tmp/never.reel"
    has "$tmp/err" "seed needs a whole number from 0" "train --seed $sd is refused"
done
[ ! -e "$tmp/never.reel" ] && ok || fail "a refused --seed still trained"
expect_rc 2 "$REEL" info models/pop909-melody.reel --vocab -1
has "$tmp/err" "vocab needs a whole number from 1" "info --vocab -1 is refused"
# an output that is its own input is refused, the input left as it was (issue 14)
cp "$tmp/mel.mid" "$tmp/self.mid"
expect_rc 2 "$REEL" convert --encoding roll13 "$tmp/self.mid" -o "$tmp/./self.mid"
has "$tmp/err" "is the input file itself" "convert -o onto its own input is refused"
cmp -s "$tmp/mel.mid" "$tmp/self.mid" && ok || fail "convert changed its own input"
cp models/pop909-melody.reel "$tmp/self.reel"
ln -s "$tmp/self.reel" "$tmp/link.reel"
for out in "$tmp/self.reel" "$tmp/link.reel"; do
    expect_rc 2 "$REEL" info "$tmp/self.reel" --strip "$out"
    has "$tmp/err" "is the model itself" "info --strip onto the model itself ($out) is refused"
done
cmp -s models/pop909-melody.reel "$tmp/self.reel" && ok || fail "info --strip changed its own input"

# ---- POP909: MELODY track, grid phase ----------------------------------------
pop="$tmp/pop"; mkdir -p "$pop"
for n in 001 002 003 004 005 006 007 008; do cp "$POP/midi/$n.mid" "$pop/"; done
expect_rc 0 "$REEL" corpus --json --list "$pop"
has "$tmp/out" '"tunes": 8,' "8 POP909 songs"
has "$tmp/out" '"part": "MELODY"' "MELODY track taken"
total=$(sed -n 's/^  "notes": \([0-9]*\),$/\1/p' "$tmp/out")
on_grid=$(sed -n 's/.*"on_grid": \([0-9]*\),.*/\1/p' "$tmp/out")
if [ -n "$on_grid" ] && [ $((on_grid * 100)) -ge $((total * 85)) ]; then ok; else fail "POP909: only $on_grid of $total onsets on the grid"; fi
expect_rc 0 "$REEL" corpus --json --part piano "$pop"
piano=$(sed -n 's/^  "notes": \([0-9]*\),$/\1/p' "$tmp/out")
if [ -n "$piano" ] && [ "$piano" -gt "$total" ]; then ok; else fail "--part piano: $piano notes, melody $total"; fi
expect_rc 0 "$REEL" corpus --vocab "$tmp/pop.vocab" "$pop"
has "$tmp/pop.vocab" "^reel-vocab 1 " "vocabulary saved"

# ---- install -----------------------------------------------------------------
prefix="$tmp/prefix"
if make --no-print-directory install PREFIX="$prefix" > "$tmp/install.log" 2>&1; then ok; else fail "make install"; tail "$tmp/install.log"; fi
[ -x "$prefix/bin/reel" ] && ok || fail "installed binary"
[ -f "$prefix/share/man/man1/reel.1" ] && ok || fail "installed man page"
[ -f "$prefix/share/reel/soundfonts/README" ] && ok || fail "installed soundfonts/README"
[ -d "$prefix/share/reel/models" ] && ok || fail "installed models folder"
expect_rc 0 "$prefix/bin/reel" --version
has "$tmp/out" "data: $prefix/share/reel" "installed binary finds its data"

finish
