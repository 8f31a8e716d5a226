#!/bin/sh
# train.sh — reel train and reel info as a user runs them: a short run on
# real tunes, the CSV log, Ctrl-C with a checkpoint, --resume, bad models.
set -u
REEL=${REEL_BIN:-build/reel}
CORPUS=${REEL_CORPUS:-../shared/corpus}
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
tmp_dir train
SHOW_END=tail SHOW_HAS=20

data="$tmp/tunes"; mkdir -p "$data"
for t in AcaciaReel AcrobatsHornpipe AdmiralsHornpipe AfterTheHareReel AlbemarleHornpipe \
         AldridgesHornpipe BelleOfClaremontHornpipe BoysOfBockhillJig; do
    cp "$CORPUS/ryans-mammoth/midi/$t.mid" "$data/" || fail "corpus file $t"
done

expect_rc 0 "$REEL" train --help
for opt in --encoding --window --hidden --layers --dense --batchnorm --dropout --rec-dropout \
           --epochs --batch --optimizer --lr --clip --seed --threads --val-split --resume --log \
           --max-tunes --max-batches binary_accuracy categorical_accuracy perplexity; do
    has "$tmp/out" "$opt" "train --help describes $opt"
done
expect_rc 2 "$REEL" train "$data"
expect_rc 2 "$REEL" train --encoding nope "$data" -o "$tmp/x.reel"
expect_rc 2 "$REEL" train --dropout 2 "$data" -o "$tmp/x.reel"
expect_rc 1 "$REEL" train "$tmp/nothing-here" -o "$tmp/x.reel"

# A short roll13 run: two epochs, a log, a model reel info can read.
m="$tmp/r13.reel"
expect_rc 0 "$REEL" train --encoding roll13 --hidden 16 --layers 1 --window 32 --batch 8 \
    --epochs 2 --seed 3 "$data" -o "$m"
has "$tmp/err" "epoch 2/2: loss" "epoch lines"
has "$tmp/err" "Keras: bits" "roll13 reports the Keras figures"
has "$tmp/err" "roll13: .* moved by octave shifts" "roll13 reports moved notes"
[ -f "$m" ] && ok || fail "model written"
[ -f "$tmp/r13.csv" ] && ok || fail "CSV log beside the model"
head -1 "$tmp/r13.csv" | grep -q "^kind,epoch,batch" && ok || fail "CSV header"
[ "$(grep -c '^val,' "$tmp/r13.csv")" -eq 2 ] && ok || fail "a validation line per epoch"
expect_rc 0 "$REEL" info "$m"
has "$tmp/out" "encoding *roll13" "info: encoding"
has "$tmp/out" "LSTM 16" "info: network"
has "$tmp/out" "epoch 2 of 2" "info: progress"
has "$tmp/out" "validation *loss" "info: validation"

# The same seed gives the same model, bit for bit (the checksum says so).
expect_rc 0 "$REEL" train --encoding roll13 --hidden 16 --layers 1 --window 32 --batch 8 \
    --epochs 2 --seed 3 --log none -q "$data" -o "$tmp/r13b.reel"
# The save time, training time and checksum differ; nothing else may.
head -c -26 "$m" | grep -av '^created \|^seconds ' > "$tmp/w1"
head -c -26 "$tmp/r13b.reel" | grep -av '^created \|^seconds ' > "$tmp/w2"
cmp -s "$tmp/w1" "$tmp/w2" && ok || fail "same seed, same model"

# Stopped after a few batches, then resumed to a third epoch.
expect_rc 0 "$REEL" train --encoding melody --hidden 16 --layers 1 --window 32 --batch 4 \
    --epochs 3 --max-batches 5 "$data" -o "$tmp/mel.reel"
has "$tmp/err" "stopped in epoch 1 after batch 5" "stop message"
has "$tmp/err" "continue with --resume" "says how to go on"
expect_rc 0 "$REEL" info "$tmp/mel.reel"
has "$tmp/out" "+5 batches" "info shows the stop point"
expect_rc 0 "$REEL" train --resume "$data" -o "$tmp/mel.reel"
has "$tmp/err" "resuming" "resume message"
hasnt "$tmp/err" "was trained on" "the same corpus (as it was named): no warning"
has "$tmp/err" "epoch 3/3: loss .* ppl" "melody reports perplexity"
expect_rc 1 "$REEL" train --resume "$data" -o "$tmp/mel.reel"
has "$tmp/err" "finished its 3 epochs" "resume of a finished model explains"
expect_rc 0 "$REEL" train --resume --epochs 4 -q "$data" -o "$tmp/mel.reel"
expect_rc 0 "$REEL" info "$tmp/mel.reel"
has "$tmp/out" "epoch 4 of 4" "extended to 4 epochs"
# --resume with another corpus says so (issue 14 item 6); the run is not stopped
cp "$tmp/mel.reel" "$tmp/other.reel"
mkdir -p "$tmp/other"; cp "$data"/* "$tmp/other/"
expect_rc 0 "$REEL" train --resume --epochs 5 -q "$tmp/other" -o "$tmp/other.reel"
has "$tmp/err" "other.reel was trained on .*tunes; this run reads .*other" \
    "resume with another corpus: a warning names both"

# Ctrl-C: a checkpoint, a clear message, exit 0.
"$REEL" train --encoding melody --hidden 64 --layers 2 --window 64 --batch 4 --epochs 1000 \
    "$data" -o "$tmp/int.reel" > "$tmp/out" 2> "$tmp/err" &
pid=$!
i=0
while [ $i -lt 100 ] && ! grep -q "batch" "$tmp/err" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
# a second training onto the same model is refused while the first runs (issue 14 item 6)
"$REEL" train --encoding melody --hidden 8 --layers 1 --epochs 1 "$data" -o "$tmp/int.reel" \
    > /dev/null 2> "$tmp/err2"
rc2=$?
[ $rc2 -eq 1 ] && grep -q "int.reel: another reel is writing it" "$tmp/err2" && ok ||
    fail "a second writer of int.reel: exit $rc2, $(cat "$tmp/err2")"
kill -INT $pid
wait $pid
rc=$?
[ $rc -eq 0 ] && ok || fail "Ctrl-C exit $rc"
[ ! -e "$tmp/int.reel.lock" ] && ok || fail "the lock file is left behind"
has "$tmp/err" "stopped in epoch" "Ctrl-C message"
expect_rc 0 "$REEL" info "$tmp/int.reel"

# Tokens: vocabulary built and kept in the model.
expect_rc 0 "$REEL" train --encoding tokens --durations --hidden 16 --layers 1 --dense 8 \
    --batchnorm --dropout 0.3 --optimizer rmsprop --window 20 --batch 4 --epochs 1 \
    "$data" -o "$tmp/tok.reel"
has "$tmp/err" "vocabulary: [0-9]* tokens" "vocabulary size"
expect_rc 0 "$REEL" info --vocab 5 "$tmp/tok.reel"
has "$tmp/out" "vocabulary *[0-9]* tokens" "info: vocabulary"
has "$tmp/out" "dense 8 ReLU" "info: dense layer"
has "$tmp/out" "rmsprop" "info: optimizer"

# A copy without the optimizer state: smaller, loads, cannot be resumed.
expect_rc 0 "$REEL" info --strip "$tmp/mel-small.reel" "$tmp/mel.reel"
[ "$(wc -c < "$tmp/mel-small.reel")" -lt "$(wc -c < "$tmp/mel.reel")" ] && ok || fail "stripped copy is smaller"
expect_rc 0 "$REEL" info "$tmp/mel-small.reel"
expect_rc 1 "$REEL" train --resume --epochs 5 "$data" -o "$tmp/mel-small.reel"
has "$tmp/err" "no optimizer state" "stripped model cannot resume"

# Melody --lookback: recorded in the header, shown by info, kept by --resume,
# and the generator plays it (here in 3/4, bars of 12 steps).
expect_rc 2 "$REEL" train --encoding roll13 --lookback "$data" -o "$tmp/x.reel"
has "$tmp/err" "lookback works with --encoding melody only" "lookback needs melody"
expect_rc 0 "$REEL" train --help
has "$tmp/out" "--lookback" "train --help describes --lookback"
expect_rc 0 "$REEL" train --encoding melody --lookback --hidden 16 --layers 1 --window 32 \
    --batch 4 --epochs 1 --seed 3 "$data" -o "$tmp/lb.reel"
has "$tmp/err" "training melody --lookback" "training says lookback"
expect_rc 0 "$REEL" info "$tmp/lb.reel"
has "$tmp/out" "encoding *melody --lookback" "info: lookback encoding"
has "$tmp/out" "network *397 -> 1 x LSTM 16 -> 130" "info: lookback rows in, classes out"
expect_rc 0 "$REEL" train --resume --epochs 2 -q "$data" -o "$tmp/lb.reel"
expect_rc 0 "$REEL" info "$tmp/lb.reel"
has "$tmp/out" "epoch 2 of 2" "lookback resumed"
has "$tmp/out" "encoding *melody --lookback" "lookback kept by --resume"
expect_rc 0 "$REEL" generate --model "$tmp/lb.reel" --meter 3/4 --bars 4 --seed 5 --print
has "$tmp/err" "(48 steps, 4 bars)" "lookback generates 4 bars of 3/4"
expect_rc 2 "$REEL" train --encoding melody --repeat-labels "$data" -o "$tmp/x.reel"
has "$tmp/err" "repeat-labels goes with --lookback" "repeat labels need lookback"
expect_rc 0 "$REEL" train --encoding melody --lookback --repeat-labels --hidden 16 --layers 1 \
    --window 32 --batch 4 --epochs 1 -q "$data" -o "$tmp/lbr.reel"
expect_rc 0 "$REEL" info "$tmp/lbr.reel"
has "$tmp/out" "encoding *melody --lookback --repeat-labels" "info: repeat labels"
has "$tmp/out" "network *397 -> 1 x LSTM 16 -> 132" "info: 2 more outputs"
expect_rc 0 "$REEL" generate --model "$tmp/lbr.reel" --bars 2 --seed 5 --print
has "$tmp/err" "(32 steps, 2 bars)" "repeat-label model generates"

# Bad model files.
printf 'hello' > "$tmp/not.reel"
expect_rc 1 "$REEL" info "$tmp/not.reel"
has "$tmp/err" "not.reel: not a reel model" "foreign file"
head -c 300 "$m" > "$tmp/cut.reel"
expect_rc 1 "$REEL" info "$tmp/cut.reel"
has "$tmp/err" "cut.reel: truncated" "truncated model"
expect_rc 1 "$REEL" train --resume "$data" -o "$tmp/cut.reel"
has "$tmp/err" "truncated" "resume of a truncated model"

# Outputs that cannot be written fail before any training, naming the path
# (issue 14 item 6: they trained to the end, or failed on the log's name).
mkfifo "$tmp/fifo.reel"
mkdir -p "$tmp/adir"
for o in "" . "$tmp/adir" "$tmp/adir/" "$tmp/no/such/m.reel" "$tmp/fifo.reel"; do
    t0=$(date +%s)
    expect_rc 1 "$REEL" train "$data" --encoding melody --hidden 8 --layers 1 --epochs 50 -o "$o"
    [ $(( $(date +%s) - t0 )) -le 5 ] && ok || fail "-o '$o' was refused only after training"
    grep -q -e "an empty file name" -e "a folder, not a file" -e "does not exist" \
        -e "not a regular file" "$tmp/err" && ok || fail "-o '$o': $(cat "$tmp/err")"
done
has "$tmp/err" "fifo.reel: not a regular file" "the FIFO is named"
[ -p "$tmp/fifo.reel" ] && ok || fail "the FIFO was replaced"
expect_rc 1 "$REEL" train "$data" --encoding melody --hidden 8 --layers 1 --epochs 50 \
    -o "$tmp/ok.reel" --log "$tmp/no/such/log.csv"
has "$tmp/err" "log.csv: the folder" "an unwritable log fails before training too"
[ ! -e "$tmp/ok.reel" ] && ok || fail "the model was trained although its log cannot be written"

# Time spent stopped (SIGSTOP, Ctrl-Z) is not training time (issue 14 item 6):
# stopped for 3 s, the model records at most the run's wall time less 2 s.
t0=$(date +%s%N)
"$REEL" train --encoding melody --hidden 16 --layers 1 --window 32 --batch 4 --epochs 1000 \
    "$data" -o "$tmp/stop.reel" > /dev/null 2> "$tmp/err" &
pid=$!
i=0
while [ $i -lt 100 ] && ! grep -q "batch" "$tmp/err" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
kill -STOP $pid; sleep 3; kill -CONT $pid; sleep 0.5
kill -INT $pid; wait $pid
wall=$(( ($(date +%s%N) - t0) / 1000000 ))
secs=$(sed -n '/^weights$/q; s/^seconds //p' "$tmp/stop.reel")
ms=$(awk -v s="$secs" 'BEGIN { printf "%d", s * 1000 }')
[ -n "$secs" ] && [ "$ms" -le $((wall - 2000)) ] && ok ||
    fail "stopped 3 s: the model says $secs s of training in $wall ms of wall time"

finish
