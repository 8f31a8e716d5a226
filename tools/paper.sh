#!/bin/sh
# paper.sh — `make paper`: reproduce the LSTM melody papers with reel.
#
#  1. The roll13 paper: 13-pitch C4..C5 roll at 16th steps, Ryan's Mammoth
#     Collection, windows of 64, 128 and 256 steps, 10 epochs, batch 32, Adam
#     with Keras' defaults.  The paper reports accuracy 45 / 47.5 / 43 %.
#  2. The token papers: note/chord tokens on POP909's MELODY tracks, 3 x 512
#     LSTM, dropout 0.3, batch norm, dense 256 ReLU, softmax, RMSprop, windows
#     of 100 (fewer epochs than the papers: PAPER_TOKEN_EPOCHS, default 3).
#
# Models go to build/paper/ (not committed); the table goes to docs/PAPER.md.
set -eu
REEL=${REEL:-./reel}
CORPUS=${REEL_CORPUS:-../shared/corpus}
OUT=${PAPER_OUT:-build/paper}
EPOCHS=${PAPER_EPOCHS:-10}
TOKEN_EPOCHS=${PAPER_TOKEN_EPOCHS:-3}
THREADS=${PAPER_THREADS:-1}
DOC=${PAPER_DOC:-docs/PAPER.md}
mkdir -p "$OUT"

# The figure of the last validation line of a CSV log: column n.
last_val() { grep '^val,' "$1" | tail -1 | cut -d, -f"$2"; }
pct() { awk -v x="$1" 'BEGIN { if (x == "") print "-"; else printf "%.1f", 100 * x }'; }
secs() { sed -n 's/.*, \([0-9]*\) s of training.*/\1/p'; }

for w in 64 128 256; do
    m="$OUT/roll13-w$w.reel"
    if [ ! -f "$m" ] || ! "$REEL" info "$m" | grep -q "epoch $EPOCHS of $EPOCHS"; then
        "$REEL" train --encoding roll13 --window "$w" --batch 32 --epochs "$EPOCHS" \
            --hidden 256 --layers 2 --optimizer adam --seed 1 --threads "$THREADS" \
            "$CORPUS/ryans-mammoth/midi" -o "$m"
    fi
done
tok="$OUT/pop909-tokens.reel"
if [ ! -f "$tok" ] || ! "$REEL" info "$tok" | grep -q "epoch $TOKEN_EPOCHS of $TOKEN_EPOCHS"; then
    "$REEL" train --encoding tokens --hidden 512 --layers 3 --dropout 0.3 --batchnorm \
        --dense 256 --optimizer rmsprop --window 100 --batch 64 --epochs "$TOKEN_EPOCHS" \
        --seed 1 --threads "$THREADS" "$CORPUS/pop909/midi" -o "$tok"
fi

{
    echo "# Reproducing the LSTM melody papers"
    echo
    echo "Made by \`make paper\` (tools/paper.sh) on $(date -u +%Y-%m-%d); $(nproc) CPUs, $THREADS BLAS thread(s)."
    echo
    echo "## roll13 on Ryan's Mammoth Collection"
    echo
    echo "13-pitch C4..C5 piano roll at 16th steps (tunes moved by whole octaves, the rest"
    echo "folded in), 2 x 256 LSTM, sigmoid + binary cross-entropy, $EPOCHS epochs, batch 32,"
    echo "Adam (lr 0.001, Keras defaults), 5% of the tunes held out. Figures on the held-out tunes."
    echo "*frame* = the whole 13-bit frame right; *Keras bits* = Keras' binary_accuracy;"
    echo "*Keras argmax* = Keras' categorical_accuracy (silence counts as index 0)."
    echo
    echo "| window | val loss | frame acc % | Keras bits % | Keras argmax % | paper acc % | s/epoch |"
    echo "|---|---|---|---|---|---|---|"
    for w in 64 128 256; do
        m="$OUT/roll13-w$w.reel"; csv="$OUT/roll13-w$w.csv"
        case $w in 64) paper=45;; 128) paper=47.5;; 256) paper=43;; esac
        s=$("$REEL" info "$m" | secs)
        printf '| %s | %.4f | %s | %s | %s | %s | %s |\n' "$w" "$(last_val "$csv" 5)" \
            "$(pct "$(last_val "$csv" 6)")" "$(pct "$(last_val "$csv" 7)")" \
            "$(pct "$(last_val "$csv" 8)")" "$paper" "$((s / EPOCHS))"
    done
    echo
    echo "## Tokens on POP909 (MELODY tracks)"
    echo
    echo "One token per onset (\"C4\", chords \"C4.E4.G4\"), no durations, as the token papers;"
    echo "3 x 512 LSTM, dropout 0.3, batch norm, dense 256 ReLU, batch norm, softmax,"
    echo "RMSprop (lr 0.001), window 100, batch 64, $TOKEN_EPOCHS epochs (the papers ran 100-200)."
    echo
    csv="$OUT/pop909-tokens.csv"
    s=$("$REEL" info "$tok" | secs)
    vl=$(last_val "$csv" 5)
    echo "| epochs | vocabulary | val loss | val perplexity | val top-1 acc % | training time |"
    echo "|---|---|---|---|---|---|"
    printf '| %s | %s | %.4f | %.2f | %s | %s s |\n' "$TOKEN_EPOCHS" \
        "$("$REEL" info "$tok" | sed -n 's/.*vocabulary *\([0-9]*\) tokens.*/\1/p')" "$vl" \
        "$(awk -v x="$vl" 'BEGIN { printf "%.2f", exp(x) }')" "$(pct "$(last_val "$csv" 6)")" "$s"
    echo
    echo "Full settings of each model: \`reel info $OUT/<model>.reel\`."
} > "$DOC.tmp" && mv "$DOC.tmp" "$DOC"
cat "$DOC"
