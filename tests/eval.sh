#!/bin/sh
# eval.sh — `reel eval` as a user runs it: help, the corpus's own figures,
# a tiny model (trained here in a second or two) against its corpus at one
# and at several temperatures, repeatable seeds, --json, --test, one melody
# file, and the errors.  Run by tests/run.sh from the top of the tree with
# REEL_BIN and REEL_CORPUS set.
set -u
REEL=${REEL_BIN:-build/reel}
CORPUS=${REEL_CORPUS:-../shared/corpus}
RYANS="$CORPUS/ryans-mammoth"
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
tmp_dir eval
SHOW_HAS=40
# A JSON document that parses (python3 when there is one) and holds a key.
json_ok() {
    if command -v python3 > /dev/null 2>&1; then
        if python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$1" 2> "$tmp/jerr"; then ok
        else fail "$2: not JSON"; sed 's/^/    /' "$tmp/jerr" | tail -3; fi
    fi
    has "$1" '^{"mode": ' "$2: one object"
}
# The value of "key": N (the first) in a JSON file.
json_num() { sed -n "s/.*\"$2\": \([0-9.e+-]*\).*/\1/p" "$1" | head -1; }

[ -d "$RYANS/midi" ] || { echo "corpus not found at $CORPUS: set REEL_CORPUS"; exit 1; }

# ---- help -----------------------------------------------------------------------
expect_rc 0 "$REEL" --help
has "$tmp/out" "eval" "reel --help lists eval"
expect_rc 0 "$REEL" eval --help
for opt in --model --corpus --melodies --bars --temperature --temperatures --seed --prime \
           --test --json --quiet "Krumhansl" "in-key share" "src/analysis/metrics.h" "Exit status" \
           "within 30%" --top-k --top-p; do
    has "$tmp/out" -- "$opt" "eval --help describes $opt"
done
expect_rc 0 "$REEL" help eval
has "$tmp/out" "usage: reel eval" "reel help eval"

# ---- a small corpus and a tiny model -------------------------------------------------
data="$tmp/data"; mkdir -p "$data"
ls "$RYANS/midi" | head -30 | while read -r f; do cp "$RYANS/midi/$f" "$data/"; done
cp "$RYANS/midi/AcaciaReel.mid" "$data/"
held="$tmp/held"; mkdir -p "$held"
for t in KissMeJoeReel AcrobatsHornpipe; do cp "$RYANS/midi/$t.mid" "$held/"; done
m="$tmp/m.reel"
if "$REEL" train "$data" --encoding melody --hidden 16 --epochs 1 --max-tunes 30 --window 32 \
    -q -o "$m" > "$tmp/train.log" 2>&1; then ok
else fail "reel train failed"; tail -5 "$tmp/train.log" | sed 's/^/    /'; fi

# ---- the corpus's own figures ------------------------------------------------------------
expect_rc 0 "$REEL" eval --corpus "$data"
cp "$tmp/out" "$tmp/corpus.txt"
has "$tmp/corpus.txt" "30 tunes" "corpus: tunes counted"
has "$tmp/corpus.txt" "whole tunes *8-bar pieces" "corpus: whole tunes and 8-bar pieces"
for row in "in a major key" "key correlation" "in-key share" "key stability" "notes per bar" \
           "pitch range" "bar repeats bar before" "bar repeats bar 2 before" \
           "self-similarity of bars" "longest copied run" "2-bar windows copied"; do
    has "$tmp/corpus.txt" "^  $row" "corpus: row $row"
done
has "$tmp/corpus.txt" "copy index [0-9]* notes, built in" "corpus: index build time"
has "$tmp/corpus.txt" "each against the other tunes" "corpus originality is leave-one-out"
hasnt "$tmp/corpus.txt" "targets" "no targets without a model"
for row in "bar repeats bar 4 before" "bar repeats bar 8 before" "strain repeated" \
           "last note on the tonic" "phrase ends on the tonic" "phrase ends on the dominant" \
           "key histogram overlap" "pitch-class histogram overlap" "commonest keys"; do
    has "$tmp/corpus.txt" "^  $row" "corpus: form row $row"
done
has "$tmp/corpus.txt" "^  last note on the tonic  *[0-9.]*%  *[0-9.]*%$" "corpus: endings as shares"
has "$tmp/corpus.txt" "^    whole tunes  *[A-G][b#]*m* [0-9]*%, [A-G]" "corpus: its commonest keys"
expect_rc 0 "$REEL" eval --corpus "$data" --json
json_ok "$tmp/out" "corpus --json"
has "$tmp/out" '"mode": "corpus"' "corpus --json: mode"
has "$tmp/out" '"in_key": {"mean": 0\.9' "corpus --json: Ryan's tunes sit in key"

# ---- a model against its corpus (taken from the model's header) -----------------------------
expect_rc 0 "$REEL" eval --model "$m" -n 6 --bars 4 --seed 3
cp "$tmp/out" "$tmp/a.txt"
has "$tmp/a.txt" "^model .*m.reel (melody" "names the model"
has "$tmp/a.txt" "^corpus .*$data: 30 tunes, as the melody encoding gives them back" \
    "the corpus comes from the model's header"
has "$tmp/a.txt" "6 melodies of 4 bars per temperature, seeds 3..8" "says what it generated"
has "$tmp/a.txt" "corpus *T=1$" "columns: corpus and T=1"
has "$tmp/a.txt" "^  melodies  *[0-9][0-9]*  *6$" "6 melodies in the T=1 column"
has "$tmp/a.txt" "^  bars per melody  *4.0  *4.0$" "4-bar pieces and melodies"
has "$tmp/a.txt" "^  pitch classes .*/0\.[0-9]" "distributions: KL / overlap"
has "$tmp/a.txt" "^targets (issue #6)" "targets printed"
has "$tmp/a.txt" "no melody with a copied window" "copy target"
has "$tmp/a.txt" "^  form (metrics.h); overlaps with the first 4 bars column$" \
    "form: against the corpus's first bars"
has "$tmp/a.txt" "^  last note on the tonic  *[0-9.]*%  *[0-9.]*%  *[0-9.]*%$" \
    "form: corpus, its first bars and T=1"
has "$tmp/a.txt" "^  bar repeats bar 4 before  *-  *-  *-$" "form: no bar 4 back in 4 bars"
has "$tmp/a.txt" "^  key histogram overlap  *[0-9.]*  *1.00  *[0-9.]*$" \
    "form: key overlap (the first bars against themselves: 1)"
has "$tmp/a.txt" "^    first 4 bars  *[A-G]" "form: the first bars' commonest keys"
# The same seed gives the same figures (the timing line aside).
expect_rc 0 "$REEL" eval --model "$m" -n 6 --bars 4 --seed 3
grep -v "built in" "$tmp/a.txt" > "$tmp/a1"
grep -v "built in" "$tmp/out" > "$tmp/a2"
same "$tmp/a1" "$tmp/a2" "--seed 3 twice"
expect_rc 0 "$REEL" eval --model "$m" -n 3 --bars 4 --copies
has "$tmp/out" "^melodies with a copied 2-bar window$" "--copies: the list"
has "$tmp/out" "^  T=1: none\|^    reel generate --model .* --seed [0-9]* --meter" "--copies: a line per melody or none"
# Several temperatures, a column each; JSON.
expect_rc 0 "$REEL" eval --model "$m" -n 4 --bars 4 -t 0.5,1 --json --test "$held" --corpus "$data"
j="$tmp/out"
json_ok "$j" "model --json"
has "$j" '"mode": "model"' "--json: mode"
has "$j" '"label": "corpus"' "--json: corpus column"
has "$j" '"label": "T=0.5", "melodies": 4' "--json: T=0.5 column"
has "$j" '"label": "T=1", "melodies": 4' "--json: T=1 column"
has "$j" '"targets": \[{"temperature": 0.5, "in_key": \(true\|false\)' "--json: targets"
has "$j" '"judged_copies": true}' "--json: T=1 is the judged one"
has "$j" '"label": "T=1", .*"copies": \[' "--json: the copies listed"
has "$j" '"compare": {"pitch_classes": {"kl": [0-9]' "--json: comparisons"
has "$j" '"originality": {"against_other_tunes": true' "--json: corpus originality"
has "$j" '"test": {"path": ".*held", "tunes": 2, "positions": [1-9]' "--json: held-out tunes"
has "$j" '"first_bars": {"label": "first 4 bars"' "--json: the corpus's first bars"
has "$j" '"repeat_4bar": {"mean": ' "--json: 4 back"
has "$j" '"repeat_8bar": {"mean": ' "--json: 8 back"
has "$j" '"strain_repeated": {"mean": ' "--json: strains"
has "$j" '"last_note_tonic": {"mean": ' "--json: endings"
has "$j" '"cadence_dominant": {"mean": ' "--json: half cadences"
has "$j" '"commonest_keys": \[{"key": "[A-G]' "--json: commonest keys"
has "$j" '"compare_first_bars": {"pitch_classes": {"kl": ' "--json: against the first bars"
has "$j" '"keys": {"kl": [0-9.]*, "overlap": [0-9.]*}' "--json: key histograms compared"
has "$j" '"top_k": 0, "top_p": 1' "--json: sampling off by default"
loss=$(sed -n 's/.*"test": {[^}]*"loss": \([0-9.]*\).*/\1/p' "$j")
awk -v l="$loss" 'BEGIN { exit !(l > 0 && l < 10) }' && ok || fail "--test loss '$loss' not in (0, 10)"
lpn=$(sed -n 's/.*"loss_per_note": \([0-9.]*\).*/\1/p' "$j")
nn=$(sed -n 's/.*"test": {[^}]*"notes": \([0-9]*\).*/\1/p' "$j")
in_range "$nn" 100 5000 "--json: notes of the held-out tunes"
pos=$(sed -n 's/.*"test": {[^}]*"positions": \([0-9]*\).*/\1/p' "$j")
awk -v l="$loss" -v p="$pos" -v n="$nn" -v q="$lpn" \
    'BEGIN { w = l * p / n; exit !(q > 0 && w / q > 0.999 && w / q < 1.001) }' && ok ||
    fail "loss per note $lpn is not loss $loss x $pos positions / $nn notes"
expect_rc 0 "$REEL" eval --model "$m" -n 3 --bars 4 --test "$held" --prime corpus
has "$tmp/out" "after a 2-bar corpus excerpt" "--prime corpus said"
has "$tmp/out" "^held out .*held: 2 tunes, [0-9]* positions: loss [0-9.]*, accuracy [0-9.]*%" \
    "--test: loss and accuracy"
has "$tmp/out" "^  *loss [0-9.]* per step, [0-9.]* per note ([0-9]* notes" "--test: loss per note"
# top-k and top-p as reel generate has them: said, repeatable, recorded
expect_rc 0 "$REEL" eval --model "$m" -n 4 --bars 4 --seed 3 --top-k 3 --top-p 0.9
cp "$tmp/out" "$tmp/k1"
has "$tmp/k1" "^sampling   top-k 3, top-p 0.9$" "--top-k/--top-p said"
expect_rc 0 "$REEL" eval --model "$m" -n 4 --bars 4 --seed 3 --top-k 3 --top-p 0.9
grep -v "built in" "$tmp/k1" > "$tmp/k1a"
grep -v "built in" "$tmp/out" > "$tmp/k2a"
same "$tmp/k1a" "$tmp/k2a" "--top-k 3 --top-p 0.9 twice"
expect_rc 0 "$REEL" eval --model "$m" -n 4 --bars 4 --seed 3 --top-k 1 --json
has "$tmp/out" '"top_k": 1, "top_p": 1' "--json: top-k recorded"
expect_rc 2 "$REEL" eval --model "$m" --top-p 0
has "$tmp/err" "top-p must be in (0, 1]" "--top-p 0 refused"
expect_rc 2 "$REEL" eval --model "$m" --top-p 1.5
expect_rc 2 "$REEL" eval --model "$m" --top-k -1

# ---- one melody -------------------------------------------------------------------------------
expect_rc 0 "$REEL" eval "$RYANS/midi/AcaciaReel.mid" --corpus "$data"
has "$tmp/out" "^summary .*G major" "a melody: its key"
has "$tmp/out" "COPIED: [0-9]* of [0-9]* windows" "a corpus tune is flagged as a copy"
has "$tmp/out" "^longest  *run of [0-9]* notes from bar 1: bar 1 of AcaciaReel" "and where it is from"
has "$tmp/out" "^bar keys " "bar keys"
has "$tmp/out" "melody *corpus$" "melody beside the corpus"
expect_rc 0 "$REEL" eval "$RYANS/midi/AcaciaReel.mid" --corpus "$data" --json
json_ok "$tmp/out" "melody --json"
has "$tmp/out" '"run_tune": "AcaciaReel"' "--json: the tune copied"
# A, B, A and B up a tone, up two tones: every bar repeats the bar 2 before
# up to a transposition, none exactly; the row under "2 before" says so.
cat > "$tmp/tr.abc" <<'EOF'
X:1
T:Transposed two back
M:4/4
L:1/8
K:C
C2E2 G2E2 | FDFA d4 | D2^F2 A2^F2 | GEGB e4 | E2^G2 B2^G2 | A^FA^c ^f4 |
EOF
expect_rc 0 "$REEL" eval "$tmp/tr.abc"
grep -A1 "^  bar repeats bar before" "$tmp/out" | tail -1 > "$tmp/r1"
grep -A1 "^  bar repeats bar 2 before" "$tmp/out" | tail -1 > "$tmp/r2"
has "$tmp/r1" "^  \.\.\. up to transposition  *0\.0%$" "1 back up to transposition: none"
has "$tmp/r2" "^  \.\.\. up to transposition  *100\.0%$" "2 back up to transposition: every bar"
# B-flat major is named as musicians write it
cat > "$tmp/bb.abc" <<'EOF'
X:1
T:In B flat
M:4/4
L:1/8
K:Bb
B,2D2 F2D2 | B2F2 D2B,2 | C2E2 G2E2 | F2A2 c2A2 | B2F2 D2F2 | E2C2 A,2C2 | B,2D2 F2D2 | B,8 |
EOF
expect_rc 0 "$REEL" eval "$tmp/bb.abc" --json
has "$tmp/out" '"key": "Bb major"' "Bb major, not A# major"
expect_rc 0 "$REEL" eval "$tmp/bb.abc"
has "$tmp/out" "^summary  *Bb major, .* | ends on the tonic" "the summary: Bb major, ends on the tonic"
expect_rc 0 "$REEL" generate --model "$m" --seed 5 --bars 4 -q -o "$tmp/g.mid"
expect_rc 0 "$REEL" eval "$tmp/g.mid"
has "$tmp/out" "^summary " "a melody without a corpus"
hasnt "$tmp/out" "copy index" "no corpus: no index"
expect_rc 0 "$REEL" eval "$tmp/g.mid" --model "$m"
has "$tmp/out" "as the melody encoding gives them back" "a melody with the model's corpus"

# ---- errors ----------------------------------------------------------------------------------
expect_rc 2 "$REEL" eval
has "$tmp/err" "--model MODEL, --corpus DIR or a melody FILE" "nothing to do: says what to give"
expect_rc 2 "$REEL" eval --corpus "$data" --test "$held"
has "$tmp/err" "--test DIR needs --model" "--test without a model"
expect_rc 2 "$REEL" eval --model "$m" -n 0
expect_rc 2 "$REEL" eval --model "$m" -t 0
has "$tmp/err" "temperature needs numbers > 0" "temperature 0"
expect_rc 2 "$REEL" eval --model "$m" -t 0.5,,1
expect_rc 2 "$REEL" eval --model "$m" --prime silence
has "$tmp/err" "'rests' or 'corpus'" "bad prime"
expect_rc 2 "$REEL" eval --model "$m" --bogus
expect_rc 2 "$REEL" eval a.mid b.mid
expect_rc 1 "$REEL" eval --model "$tmp/none.reel"
has "$tmp/err" "none.reel" "missing model named"
expect_rc 1 "$REEL" eval --corpus "$tmp/no-such-dir"
has "$tmp/err" "no-such-dir" "missing corpus named"
mv "$data" "$tmp/moved"
expect_rc 1 "$REEL" eval --model "$m" -n 2
has "$tmp/err" "give the corpus with --corpus DIR" "the model's corpus is gone: says what to do"
expect_rc 0 "$REEL" eval --model "$m" -n 2 --bars 2 --corpus "$tmp/moved"
expect_rc 1 "$REEL" eval "$tmp/none.mid"
has "$tmp/err" "none.mid" "missing melody file named"

finish
