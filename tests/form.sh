#!/bin/sh
# form.sh — the form options of melody --lookback (issue 13) as a user runs
# them: reel train's --lookback-bars, --phrase-position, --tune-events,
# --condition and --transpose (help, bad values, the model header they
# write, the input and output widths), and reel generate's --key and the
# default metre of a --condition model, and a tune that ends by itself.
# Small models on three of Ryan's tunes.  Run by tests/run.sh.
set -u
REEL=${REEL_BIN:-build/reel}
CORPUS=${REEL_CORPUS:-../shared/corpus}
RYANS="$CORPUS/ryans-mammoth"
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
tmp_dir form
[ -d "$RYANS/midi" ] || { echo "corpus not found at $CORPUS: set REEL_CORPUS"; exit 1; }

# header KEY FILE: the value of a header line of a model file
header() { sed -n "/^weights\$/q; s/^$1 //p" "$2"; }

expect_rc 0 "$REEL" train --help
for opt in --lookback-bars --phrase-position --tune-events --condition --transpose; do
    has "$tmp/out" -- "$opt" "train --help describes $opt"
done
expect_rc 0 "$REEL" generate --help
has "$tmp/out" -- "--key K" "generate --help describes --key"

data="$tmp/data"; mkdir -p "$data"
for t in AcaciaReel KissMeJoeReel AcrobatsHornpipe; do cp "$RYANS/midi/$t.mid" "$data/"; done
small="--encoding melody --hidden 16 --layers 1 --epochs 2 --window 32 --batch 8 --val-split 0 -q"

# ---- bad values ---------------------------------------------------------------
for bad in 3 1,16 x 1,,2; do
    expect_rc 2 "$REEL" train "$data" $small --lookback-bars "$bad" -o "$tmp/bad.reel"
    has "$tmp/err" "lookback-bars" "--lookback-bars $bad is refused"
done
expect_rc 2 "$REEL" train "$data" $small --transpose 13 -o "$tmp/bad.reel"
has "$tmp/err" "transpose" "--transpose 13 is refused"
expect_rc 2 "$REEL" train "$data" --encoding roll13 --phrase-position -q -o "$tmp/bad.reel"
has "$tmp/err" "melody only" "form options need --encoding melody"

# ---- today's --lookback writes no form lines; every option does ------------------
all="$tmp/all.reel"; lb="$tmp/lb.reel"
expect_rc 0 "$REEL" train "$data" $small --lookback --repeat-labels -o "$lb"
[ -z "$(header lookback_bars "$lb")" ] && ok || fail "--lookback wrote lookback_bars"
[ "$(header n_in "$lb")" = 397 ] && [ "$(header n_out "$lb")" = 132 ] && ok ||
    fail "--lookback --repeat-labels: 397 in, 132 out"
expect_rc 0 "$REEL" train "$data" $small --lookback-bars 1,2,4,8 --repeat-labels \
    --phrase-position --tune-events --condition --transpose -2,2 --epochs 30 -o "$all"
[ "$(header lookback_bars "$all")" = 15 ] && [ "$(header phrase "$all")" = 1 ] &&
    [ "$(header tune_events "$all")" = 1 ] && [ "$(header condition "$all")" = 1 ] && ok ||
    fail "the form options are in the header"
[ "$(header n_in "$all")" = 729 ] && [ "$(header n_out "$all")" = 135 ] && ok ||
    fail "all options: 729 in, 135 out, not $(header n_in "$all"), $(header n_out "$all")"
[ "$(header transpose "$all")" = $(((1 << 10) | (1 << 14))) ] && ok || fail "transpose -2,2"
in_range "$(header cond_key "$all")" 0 23 "the corpus's commonest key is recorded"
in_range "$(header cond_meter "$all")" 0 7 "and its commonest metre"
expect_rc 0 "$REEL" info "$all"
has "$tmp/out" "input rows of 729: the step, the steps 1, 2, 4, 8 bars back" "reel info: the form inputs"
has "$tmp/out" "shifted by -2 +2 semitones" "reel info: the transpositions"
has "$tmp/out" "commonest key [A-G]" "reel info: the conditioning's commonest key"
has "$tmp/out" "keys  *without --key, drawn as the corpus has them" "reel info: the key spread"
has "$tmp/out" "may end a tune by itself" "reel info: the tune events"
expect_rc 0 "$REEL" info "$lb"
has "$tmp/out" "input rows of 397: the step, the steps 1 and 2 bars back" "reel info: plain --lookback as before"

# ---- reel generate --key, the default metre, the end of a tune --------------------
expect_rc 0 "$REEL" generate -m "$all" --key D --meter 6/8 --bars 8 --seed 3
expect_rc 0 "$REEL" generate -m "$all" --key Em --bars 8 --seed 3 -o "$tmp/em.mid"
expect_rc 2 "$REEL" generate -m "$all" --key H
has "$tmp/err" "--key needs a key" "--key H is refused"
expect_rc 2 "$REEL" generate -m "$lb" --key D
has "$tmp/err" "trained with --condition" "--key on a model without --condition"
expect_rc 0 "$REEL" generate -m "$lb" --bars 4 --seed 3
expect_rc 0 "$REEL" generate -m "$all" --bars 200 --seed 1
has "$tmp/err" "ended by itself" "a tune of 200 bars ends by itself at the model's end"
has "$tmp/err" "after a prime of the model's start of a tune" "the default start is named as such"

# ---- reel eval --test holds tunes out as training does: not transposed -------------
nt="$tmp/notranspose.reel"
expect_rc 0 "$REEL" train "$data" $small --lookback-bars 1,2,4,8 --repeat-labels \
    --phrase-position --tune-events --condition -o "$nt"
positions() { "$REEL" eval --model "$1" --test "$data" -n 1 -q 2>/dev/null |
    sed -n 's/^held out .* \([0-9][0-9]*\) positions.*/\1/p'; }
p_all=$(positions "$all"); p_nt=$(positions "$nt")
[ -n "$p_all" ] && [ "$p_all" = "$p_nt" ] && ok ||
    fail "eval --test with a --transpose model: $p_all positions, without: $p_nt"

# ---- --test-split: tunes kept aside, in no dataset -----------------------------------
ts="$tmp/testsplit.reel"
expect_rc 0 "$REEL" train "$data" --encoding melody --hidden 16 --layers 1 --epochs 1 \
    --window 32 --batch 8 --val-split 0.34 --test-split 0.34 -o "$ts"
has "$tmp/err" "kept aside for testing" "reel train says what it keeps aside"
[ "$(header tunes_test "$ts")" = 1 ] && [ "$(header tunes_train "$ts")" = 1 ] &&
    [ "$(header tunes_val "$ts")" = 1 ] && ok || fail "3 tunes: 1 each for training, validation, test"
expect_rc 0 "$REEL" info "$ts"
has "$tmp/out" "1 tunes kept aside for testing" "reel info shows the test tunes"
expect_rc 2 "$REEL" train "$data" --test-split 0.6 -o "$tmp/bad.reel"
has "$tmp/err" "test-split" "--test-split 0.6 is refused"

# ---- the studio: :key, and a take that ends by itself -------------------------------
if command -v tmux >/dev/null 2>&1; then
    tmux_server
    mkdir -p "$tmp/cfg" "$tmp/home"
    T -f /dev/null new-session -d -s t -x 120 -y 40 \
        "env TERM=tmux-256color LANG=C.UTF-8 XDG_CONFIG_HOME='$tmp/cfg' XDG_STATE_HOME='$tmp/state' \
HOME='$tmp/home' '$REEL' studio --model '$all' 2>'$tmp/studio.err'; sleep 30"
    expect_screen " reel " "the studio starts with the form model"
    lit ":key Bb"; keys Enter
    expect_screen "key Bb for the next takes" ":key Bb is taken"
    lit ":bars 8"; keys Enter
    lit ":seed 3"; keys Enter
    lit "g"
    expect_screen "in Bb, closed;" "a take says the key it was made in, and that it was closed"
    lit ":save $tmp/studio.mid"; keys Enter
    expect_screen "wrote $tmp/studio.mid" "the take is saved"
    # the studio's closed take is reel generate's tune (both 4/4: the studio's default)
    notes_of() { "$REEL" generate -m "$lb" --prime "$1" --events 1 --seed 1 --print -q; }
    "$REEL" generate -m "$all" --key Bb --bars 8 --seed 3 --meter 4/4 -q -o "$tmp/gen.mid"
    "$REEL" generate -m "$all" --key Bb --bars 8 --seed 3 --meter 4/4 --end cut -q -o "$tmp/cut.mid"
    [ -s "$tmp/studio.mid" ] && [ "$(notes_of "$tmp/studio.mid")" = "$(notes_of "$tmp/gen.mid")" ] &&
        ok || fail "the studio's take (seed 3, Bb) is not reel generate's"
    [ "$(notes_of "$tmp/cut.mid")" != "$(notes_of "$tmp/gen.mid")" ] && ok ||
        fail "--end cut made the closed tune: closing changed nothing"
    lit ":key auto"; keys Enter
    expect_screen "key: the seed's own" ":key auto"
    lit "g"
    expect_screen "in [A-G][b#]*m*  *(:key chooses)" "an auto key is drawn and said"
    lit ":key H"; keys Enter
    expect_screen "key needs a key like D" ":key H is refused"
    lit ":bars 200"; keys Enter
    lit ":seed 1"; keys Enter
    lit "g"
    expect_screen "the tune ended by itself in bar [0-9]" "a take ends by itself at the model's end" 20
    lit "q"
else
    echo "form.sh: no tmux: the studio part is left out"
fi
finish
