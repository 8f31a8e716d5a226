#!/bin/sh
# bench_studio.sh — the studio's costs, measured on the real binary in tmux:
#   idle CPU with nothing playing (target: at most 2% of a core),
#   CPU while it plays (silent clock: no sound card here),
#   key to screen while nothing runs and while training runs (through tmux:
#   send-keys, then capture-pane polled; and the studio's own figure from a
#   key read to the screen drawn, REEL_STUDIO_STATS),
#   a key storm (tests/lib.sh storm_keys: 10,000 random keys at once, with a
#   256-bar seed and models/fiddle-form.reel): the time from q until the quit
#   question shows, and from SIGTERM until the process is gone (target: each
#   within 100 ms).
# Figures are printed; the exit status is 1 when idle CPU is over 2%.
set -u
REEL=${REEL_BIN:-./reel}
CORPUS=${REEL_CORPUS:-../shared/corpus}
MODEL=${MODEL:-models/fiddle-melody.reel}
IDLE_SEC=${IDLE_SEC:-10}
# tests/lib.sh: the temporary folder, the tmux server (gone at exit and on
# a signal or a closed pipe: `| head`), now_ms and wait_for
# shellcheck source=SCRIPTDIR/../tests/lib.sh
. "$(dirname "$0")/../tests/lib.sh"
tmp_dir bench-studio
tmux_server 0.5
hz=$(getconf CLK_TCK)
mkdir -p "$tmp/cfg/reel" "$tmp/small" "$tmp/home"
alsa_none "$tmp/cfg"
command -v tmux >/dev/null || { echo "bench_studio: tmux is missing"; exit 1; }
[ -f "$MODEL" ] || { echo "bench_studio: no model at $MODEL"; exit 1; }

start() {
    T kill-server 2>/dev/null
    rm -f "$sock"
    T -f /dev/null new-session -d -s t -x 100 -y 30 \
        "exec env TERM=tmux-256color LANG=C.UTF-8 XDG_CONFIG_HOME='$tmp/cfg' HOME='$tmp/home' \
REEL_STUDIO_STATS='$tmp/stats' '$REEL' studio --model '$MODEL' $* 2>'$tmp/err'"
    wait_for "Next note at" 10
    pid=$(T display -p -t t '#{pane_pid}')
}
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# cpu PID SECONDS: percent of a core over that long
cpu() {
    a=$(ticks "$1"); t0=$(now_ms)
    sleep "$2"
    b=$(ticks "$1"); t1=$(now_ms)
    awk -v a="$a" -v b="$b" -v t="$((t1 - t0))" -v hz="$hz" 'BEGIN { printf "%.2f", (b - a) / hz / (t / 1000) * 100 }'
}
# latency N: N temperature keys, ms from send-keys until the header shows it
latency() {
    n=$1; sum=0; max=0; all=""
    for i in $(seq 1 "$n"); do
        if [ $((i % 2)) = 1 ]; then key="]"; else key="["; fi
        before=$(T capture-pane -p -t t | head -1 | sed -n 's/.*T \([0-9.]*\).*/\1/p')
        t0=$(now_ms)
        T send-keys -t t "$key"
        while :; do
            cur=$(T capture-pane -p -t t | head -1 | sed -n 's/.*T \([0-9.]*\).*/\1/p')
            [ "$cur" != "$before" ] && break
            [ $(( $(now_ms) - t0 )) -gt 3000 ] && break
        done
        dt=$(( $(now_ms) - t0 ))
        sum=$((sum + dt)); [ $dt -gt $max ] && max=$dt
        all="$all $dt"
        sleep 0.05
    done
    p95=$(echo $all | tr ' ' '\n' | sort -n | awk -v n="$n" 'NR == int(0.95 * (n - 1)) + 1')
    echo "mean $((sum / n)) ms, p95 $p95 ms, max $max ms"
}

rc=0
# ---- idle ----------------------------------------------------------------------
start
sleep 2   # the corpus index for originality is built in the background at start
idle=$(cpu "$pid" "$IDLE_SEC")
threads=$(ls "/proc/$pid/task" | wc -l)
echo "bench_studio: idle CPU $idle% of a core over ${IDLE_SEC} s, nothing playing ($threads threads; target <= 2%)"
awk -v c="$idle" 'BEGIN { exit !(c <= 2) }' || rc=1
echo "bench_studio: key to screen through tmux, idle: $(latency 20)"

# ---- playing -------------------------------------------------------------------
T send-keys -t t : ; T send-keys -t t -l "notes D4/8 F#4/8 A4/8 D5/8 E5/8 F#5/8 E5/8 D5/8"; T send-keys -t t Enter
T send-keys -t t : ; T send-keys -t t -l "bars 32"; T send-keys -t t Enter
T send-keys -t t g
wait_for "▶" 10
sleep 1
echo "bench_studio: CPU while playing (32 bars, silent clock, the roll drawn at each step): $(cpu "$pid" 5)% of a core"
echo "bench_studio: key to screen through tmux, playing: $(latency 20)"
T send-keys -t t Space
T send-keys -t t c g
wait_for "▶" 10
sleep 1
echo "bench_studio: CPU while playing in continuous mode (generating a bar ahead): $(cpu "$pid" 5)% of a core"
T send-keys -t t Space c
T send-keys -t t C-c
sleep 1
[ -s "$tmp/stats" ] && echo "bench_studio: inside the studio (key read to screen drawn, idle and playing): p95 $(sed -n 's/^key_ms_p95 //p' "$tmp/stats") ms, max $(sed -n 's/^key_ms_max //p' "$tmp/stats") ms over $(sed -n 's/^keys //p' "$tmp/stats") keys"

# ---- training ------------------------------------------------------------------
if [ -d "$CORPUS/ryans-mammoth/midi" ]; then
    ls "$CORPUS/ryans-mammoth/midi/"*.mid | head -60 | while read -r f; do cp "$f" "$tmp/small/"; done
    cat > "$tmp/cfg/reel/studio.conf" <<EOF
train_hidden = 128
train_epochs = 1000
train_out = $tmp/trained.reel
EOF
    start --corpus "$tmp/small"
    T send-keys -t t t s
    wait_for "steps/s" 30
    sleep 2
    sps=$(T capture-pane -p -t t | sed -n 's/.* \([0-9,]*\) steps\/s.*/\1/p' | head -1)
    echo "bench_studio: training 2x128 melody in the studio: $sps steps/s; studio process CPU $(cpu "$pid" 3)% of a core"
    echo "bench_studio: key to screen through tmux, while training: $(latency 30)"
    T send-keys -t t l
    sleep 1
    T send-keys -t t x
    wait_for "Training  stopped" 20
    T send-keys -t t C-c
    sleep 1
    if [ -s "$tmp/stats" ]; then
        echo "bench_studio: inside the studio (key read to screen drawn, training session): p95 $(sed -n 's/^key_ms_p95 //p' "$tmp/stats") ms, max $(sed -n 's/^key_ms_max //p' "$tmp/stats") ms over $(sed -n 's/^keys //p' "$tmp/stats") keys"
    fi
else
    echo "bench_studio: no corpus at $CORPUS: training figures skipped"
fi

# ---- a key storm ----------------------------------------------------------------
POP="$CORPUS/pop909/midi/203.mid"
if [ -f "$POP" ] && [ -f models/fiddle-form.reel ]; then
    MODEL=models/fiddle-form.reel
    for how in q TERM; do
        start
        T send-keys -t t : ; T send-keys -t t -l "seedbars 256"; T send-keys -t t Enter
        T send-keys -t t o ; T send-keys -t t -l "$POP"; T send-keys -t t Enter
        wait_for "seed: the first" 20
        storm_keys 10000 "${#how}"
        t0=$(now_ms); send_storm; sent=$(( $(now_ms) - t0 ))
        t0=$(now_ms)
        if [ $how = q ]; then
            T send-keys -t t q
            wait_for "quit and lose it" 30
        else
            kill -TERM "$pid"
            while kill -0 "$pid" 2>/dev/null && [ $(( $(now_ms) - t0 )) -lt 30000 ]; do sleep 0.005; done
        fi
        ms=$(( $(now_ms) - t0 ))
        echo "bench_studio: key storm (10,000 keys in $sent ms, 256-bar seed, fiddle-form), then $how: answered in $ms ms (target <= 100 ms: $(awk -v m="$ms" 'BEGIN { print m <= 100 ? "met" : "NOT met" }'))"
        [ "$ms" -le 100 ] || rc=1
    done
else
    echo "bench_studio: no $POP or models/fiddle-form.reel: the key storm skipped"
fi
exit $rc
