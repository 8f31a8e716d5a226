#!/bin/sh
# models.sh — `make models`: retrain the models shipped in models/ (not in CI:
# about 1.5 hours on one core).  Each is trained into build/models/ with
# its optimizer state, then copied without it (reel info --strip) into models/.
set -eu
REEL=${REEL:-./reel}
CORPUS=${REEL_CORPUS:-../shared/corpus}
OUT=build/models
mkdir -p "$OUT"

# Fiddle tunes, full range, note-on/off/hold classes (the default before
# fiddle-lookback).
"$REEL" train "$CORPUS/ryans-mammoth/midi" --encoding melody --hidden 256 --layers 2 \
    --dropout 0.2 --window 64 --batch 32 --epochs 12 --seed 7 --threads 1 \
    -o "$OUT/fiddle-melody.reel"
"$REEL" info --strip models/fiddle-melody.reel "$OUT/fiddle-melody.reel"

# The studio's default since issue #6: melody with Magenta's lookback inputs
# (the steps 1 and 2 bars back, the place in the bar) and repeat labels.
"$REEL" train "$CORPUS/ryans-mammoth/midi" --encoding melody --lookback --repeat-labels \
    --hidden 256 --layers 2 --dropout 0.2 --window 64 --batch 32 --epochs 12 --seed 7 \
    --threads 1 -o "$OUT/fiddle-lookback.reel"
"$REEL" info --strip models/fiddle-lookback.reel "$OUT/fiddle-lookback.reel"

# The studio's default since issue #13: lookback 1, 2, 4 and 8 bars with
# repeat labels, the place in the phrase, start and end of tune, metre and key
# inputs, every tune in every key that fits; 5% of the tunes kept aside for
# testing (tools/heldout, reel eval --test).  4 epochs: the validation loss
# rises after the 4th (models/MODELS.md).
"$REEL" train "$CORPUS/ryans-mammoth/midi" --encoding melody --lookback-bars 1,2,4,8 \
    --repeat-labels --phrase-position --tune-events --condition --transpose all \
    --hidden 256 --layers 2 --dropout 0.2 --window 64 --batch 32 --epochs 4 --seed 7 \
    --test-split 0.05 --threads 1 -o "$OUT/fiddle-form.reel"
"$REEL" info --strip models/fiddle-form.reel "$OUT/fiddle-form.reel"

# Pop melodies with the same form inputs (no transposition), from the bar of
# each song's first melody note (tune events trim the intro).
"$REEL" train "$CORPUS/pop909/midi" --encoding melody --lookback-bars 1,2,4,8 \
    --repeat-labels --phrase-position --tune-events --condition --hidden 256 --layers 2 \
    --dropout 0.2 --window 64 --batch 32 --epochs 11 --seed 7 --test-split 0.05 --threads 1 \
    -o "$OUT/pop909-form.reel"
"$REEL" info --strip models/pop909-form.reel "$OUT/pop909-form.reel"

# Pop melodies: POP909's MELODY tracks.
"$REEL" train "$CORPUS/pop909/midi" --encoding melody --hidden 256 --layers 2 \
    --dropout 0.2 --window 64 --batch 32 --epochs 4 --seed 7 --threads 1 \
    -o "$OUT/pop909-melody.reel"
"$REEL" info --strip models/pop909-melody.reel "$OUT/pop909-melody.reel"

# The paper's model: roll13, the best window of tools/paper.sh (64 steps).
"$REEL" train "$CORPUS/ryans-mammoth/midi" --encoding roll13 --window 64 --batch 32 \
    --epochs 10 --hidden 256 --layers 2 --optimizer adam --seed 1 --threads 1 \
    -o "$OUT/paper-roll13.reel"
"$REEL" info --strip models/paper-roll13.reel "$OUT/paper-roll13.reel"
