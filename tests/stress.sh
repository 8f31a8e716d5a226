#!/bin/sh
# stress.sh — the studio under stress, driven through tmux as tests/studio.sh
# drives it, but inside an interactive shell: after the studio is gone the
# pane must be a working shell prompt again.
#
#   1. SIGINT, SIGTERM, SIGHUP and SIGSEGV while notes play (a looped seed):
#      the studio ends with 128 + the signal, the pane's shell runs a typed
#      `echo` and `stty -a` shows canonical input and echo, the studio's
#      screen is gone, and the sound captured from the real-time path (ALSA's
#      file plugin) was loud and ends in silence; after INT/TERM/HUP the
#      audio layer has no voice left and the unsaved melody is in a file
#   2. the audio device goes away while playing (the process that reads the
#      ALSA pipe output is killed): a message, the studio plays on silently,
#      :audio brings the sound back
#   3. the soundfont file deleted mid-session: playing goes on; choosing it
#      again, or a WAV that needs it, gives a message naming it
#   4. the model file replaced while open: by a new checkpoint (reloaded),
#      by a damaged file (named, the loaded model stays), removed
#   5. a key storm: with a long seed (256 bars of a pop song) and the default
#      model, 10,000 random keys (g, n, temperature, cursor, play, undo, ...;
#      none that opens a prompt) sent at once, the window resized as they
#      come; then q, or SIGTERM: the milliseconds until the studio answers
#      are printed and checked (STORM_MS, 1000: a bound with room for a busy
#      machine; bench/bench_studio.sh measures it against its 100 ms target),
#      the screen is drawn at the new size, the shell is sane after
# Run by tests/run.sh from the top of the tree with REEL_BIN, BUILD and
# REEL_CORPUS set.  STRESS_SH_SHOW=1 prints the screens.
set -u
REEL=${REEL_BIN:-build/reel}
BUILD=${BUILD:-build}
CORPUS=${REEL_CORPUS:-../shared/corpus}
MODEL=models/fiddle-melody.reel
SF=/usr/share/sounds/sf2/TimGM6mb.sf2
RATE=8000     # the capture: mono 16-bit at 8 kHz keeps the unpaced file small
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
tmp_dir stress
tmux_server 0.3
SCREEN=1 SHOW_HAS=40 SHOW_HASNT=40
SHOW_SCREENS=${STRESS_SH_SHOW:-}

cmd() { keys :; lit "$1"; keys Enter; }
# peak amplitude (0..1) of the raw capture, whole or its last SECONDS
peak() {
    sox -t raw -r $RATE -e signed -b 16 -c 1 "$1" -n ${2:+trim -$2} stat 2>&1 |
        awk '/^(Maximum|Minimum) amplitude:/ { v = $3 < 0 ? -$3 : $3; if (v > m) m = v } END { printf "%.6f", m }'
}

# start W H CONFIG_DIR ENV...: a fresh tmux server whose pane is an
# interactive sh (no line editing of its own, so a terminal left raw shows);
# the studio is typed into it and runs as its child.
session=0
start() {
    w=$1; h=$2; base=$3; shift 3
    session=$((session + 1))
    cfg="$tmp/cfg$session"     # fresh settings: a toggle saved by one session is not the next one's
    mkdir -p "$cfg"; cp -R "$base/." "$cfg/"
    T kill-server 2>/dev/null
    rm -f "$sock" "$tmp/err.log" "$tmp/stats"
    mkdir -p "$tmp/state" "$tmp/home"
    T -f /dev/null new-session -d -s t -x "$w" -y "$h" \
        "env -i PATH=\"$PATH\" TERM=tmux-256color LANG=C.UTF-8 XDG_CONFIG_HOME='$cfg' \
XDG_STATE_HOME='$tmp/state' HOME='$tmp/home' REEL_SOUNDFONT='${SF_FOR:-$SF}' \
REEL_STUDIO_STATS='$tmp/stats' PS1='stress\$ ' $* sh -i"
    wait_for 'stress\$' 10 || { fail "the pane's shell did not start"; return 1; }
    lit "'$REEL' studio --model '${MODEL_FOR:-$MODEL}' 2>'$tmp/err.log'; echo EXIT=\$?"
    keys Enter
    wait_for " reel " 15 || { fail "the studio did not start"; pane; sed 's/^/    | /' "$tmp/pane"; return 1; }
}
# the studio ended: its exit status, and the pane is a shell that works
expect_shell() { # EXIT_STATUS DESCRIPTION
    if wait_for "^EXIT=" 15; then ok; else fail "$2: the studio did not end"; fi
    pane
    has "$tmp/pane" "^EXIT=$1\$" "$2: exit status"
    hasnt "$tmp/pane" "Next note at\|KEYS " "$2: the studio's screen is gone"
    tok="ok-$$-$(now_ms)"
    lit "echo $tok"; keys Enter
    if wait_for "^$tok\$" 5; then ok; else fail "$2: the shell did not run a typed echo (terminal not restored?)"; pane; sed 's/^/    | /' "$tmp/pane"; fi
    lit "echo \"MODES \$(stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e -icanon -e echo -e -echo -e icrnl -e -icrnl | tr '\\n' ' ')END\""
    keys Enter
    wait_for "^MODES .*END\$" 5
    pane
    mode=$(grep "^MODES .*END$" "$tmp/pane" | tail -1)
    case "$mode" in
        *-icanon*|*-echo\ *|*-icrnl*) fail "$2: the terminal is not sane: $mode" ;;
        *icanon*echo*icrnl*|*icrnl*icanon*echo*) ok ;;
        *) fail "$2: stty -a said '$mode'" ;;
    esac
}
LIBS='ALSA lib\|^ALSA\|JACK\|Cannot connect\|jack server\|fluidsynth:\|GLib\|snd_pcm\|Expression'

[ -f "$MODEL" ] || { echo "no model at $MODEL"; exit 1; }
[ -f "$SF" ] || { echo "no soundfont at $SF (make deps installs timgm6mb-soundfont)"; exit 1; }
for t in tmux sox; do command -v $t >/dev/null || { echo "$t is missing (make deps installs it)"; exit 1; }; done
[ -d "$CORPUS/ryans-mammoth/midi" ] || { echo "corpus not found at $CORPUS: set REEL_CORPUS"; exit 1; }

# ALSA's default device writes the stream to $AUDIO_CAPTURE_FILE, unpaced:
# the studio's sequencer runs on rendered frames.
alsa_capture "$tmp/cap" $RATE 1 raw
alsa_none "$tmp/none"

# a seed that loops: notes sound all the time
play_loop() {
    cmd "notes C5/4 E5/4 G5/4 C6/4 G5/4 E5/4"
    expect_screen "Melody 6 seed notes" "$1: a seed"
    keys l
    expect_screen "loop ON" "$1: loop on"
    keys Home Space   # from the first note (Space plays from the cursor)
    expect_screen "▶" "$1: playing"
}

# ---- 1. signals while notes play --------------------------------------------------------
for sig in INT TERM HUP SEGV; do
    case $sig in INT) code=130 ;; TERM) code=143 ;; HUP) code=129 ;; SEGV) code=139 ;; esac
    rm -f "$tmp/cap.raw"
    start 100 30 "$tmp/cap" "AUDIO_CAPTURE_FILE='$tmp/cap.raw'" || continue
    expect_screen "  TimGM6mb" "SIG$sig: the soundfont is loaded" 20   # not "loading TimGM6mb"
    play_loop "SIG$sig"
    sleep 0.4
    size0=$(stat -c %s "$tmp/cap.raw" 2>/dev/null || echo 0)
    pid=$(studio_pid)
    if [ -z "$pid" ]; then fail "SIG$sig: no PID for the studio"; continue; fi
    kill -$sig "$pid"
    expect_shell $code "SIG$sig"
    secs=$(awk -v b="$(stat -c %s "$tmp/cap.raw" 2>/dev/null || echo 0)" -v r=$RATE 'BEGIN { printf "%.1f", b / 2 / r }')
    all=$(peak "$tmp/cap.raw"); tail=$(peak "$tmp/cap.raw" 0.01)
    echo "stress.sh: SIG$sig: $secs s of sound captured, peak $all, last 10 ms peak $tail"
    in_range "$size0" 8000 1000000000 "SIG$sig: sound was being captured before the signal (bytes)"
    in_range "$all" 0.02 1 "SIG$sig: notes were heard (peak)" || { grep -s . "$tmp/stats"; tail -5 "$tmp/err.log"; }
    in_range "$tail" 0 0.002 "SIG$sig: the sound ends in silence, no hanging note (peak of the last 10 ms)"
    if [ $sig != SEGV ]; then
        v=$(sed -n 's/^audio_voices_at_exit //p' "$tmp/stats" 2>/dev/null)
        [ "$v" = 0 ] && ok || { fail "SIG$sig: voices left in the synth at exit: '$v'"; grep audio_ "$tmp/stats"; }
        has "$tmp/err.log" "stopped by .*SIG$sig" "SIG$sig: the studio says what stopped it"
        has "$tmp/err.log" "the melody was not saved: it is in .*unsaved-.*\.mid" "SIG$sig: the unsaved melody is kept"
        f=$(ls "$tmp/state/reel/"unsaved-*.mid 2>/dev/null | head -1)
        [ -s "$f" ] && ok || fail "SIG$sig: no unsaved-*.mid in the state folder"
        rm -f "$tmp/state/reel/"unsaved-*.mid
        hasnt "$tmp/err.log" "$LIBS" "SIG$sig: no library noise on stderr"
    fi
done

# ---- 2. the audio device goes away --------------------------------------------------------
start 100 30 "$tmp/cap" "AUDIO_CAPTURE_FILE='|exec cat > $tmp/pipe.raw'" &&
{
    expect_screen "  TimGM6mb" "device lost: the soundfont is loaded" 20
    play_loop "device lost"
    reader=$(pgrep -P "$(studio_pid)" -x cat | head -1)
    if [ -n "$reader" ]; then ok; else fail "no process reads the ALSA pipe"; fi
    [ -n "$reader" ] && kill "$reader"
    expect_screen "audio output lost" "the lost device is on the status line"
    expect_screen "silent" "the header says there is no output"
    pane
    hasnt "$tmp/pane" "$LIBS" "no library noise on the screen"
    # the studio goes on: the playhead moves on the silent clock
    p1=$(sed -n 's/.*▶ \([0-9.]*\).*/\1/p' "$tmp/pane" | head -1)
    sleep 0.6
    pane
    p2=$(sed -n 's/.*▶ \([0-9.]*\).*/\1/p' "$tmp/pane" | head -1)
    [ -n "$p1" ] && [ "$p1" != "$p2" ] && ok || fail "the playhead moves without a device ($p1, $p2)"
    cmd "audio"
    expect_screen "audio output back" ":audio brings the device back"
    r2=$(pgrep -P "$(studio_pid)" -x cat | head -1)
    [ -n "$r2" ] && [ "$r2" != "$reader" ] && ok || fail "a new reader for the pipe after :audio"
    s1=$(stat -c %s "$tmp/pipe.raw" 2>/dev/null || echo 0); sleep 0.3
    s2=$(stat -c %s "$tmp/pipe.raw" 2>/dev/null || echo 0)
    [ "$s2" -gt "$s1" ] && ok || fail "sound flows again after :audio ($s1 -> $s2 bytes)"
    cmd "quit"
    expect_shell 0 "after the device came back"
}

# a device that hangs (the pipe's reader is stopped: writes block): after
# AUDIO_STALL_SEC without a rendered frame while playing, the same.  Closing
# the pipe waits for its reader, so the reader goes on after a while.
start 100 30 "$tmp/cap" "AUDIO_CAPTURE_FILE='|exec cat > /dev/null'" &&
{
    expect_screen "  TimGM6mb" "stalled device: the soundfont is loaded" 20
    play_loop "stalled device"
    reader=$(pgrep -P "$(studio_pid)" -x cat | head -1)
    [ -n "$reader" ] && kill -STOP "$reader"
    sleep 4
    [ -n "$reader" ] && kill -CONT "$reader"
    expect_screen "audio output lost.*no sound rendered" "a stalled device is given up" 8
    pane
    p1=$(sed -n 's/.*▶ \([0-9.]*\).*/\1/p' "$tmp/pane" | head -1)
    sleep 0.6
    pane
    p2=$(sed -n 's/.*▶ \([0-9.]*\).*/\1/p' "$tmp/pane" | head -1)
    [ -n "$p1" ] && [ "$p1" != "$p2" ] && ok || fail "the playhead moves after a stall ($p1, $p2)"
    keys C-c
    expect_shell 130 "after a stalled device"
}

# ---- 3. the soundfont deleted mid-session ------------------------------------------------------
mkdir -p "$tmp/sf"
cp "$SF" "$tmp/sf/gone.sf2"
rm -f "$tmp/cap.raw"
SF_FOR="$tmp/sf/gone.sf2"
start 100 30 "$tmp/cap" "AUDIO_CAPTURE_FILE='$tmp/cap.raw'" &&
{
    expect_screen "gone " "the copied soundfont is loaded"
    rm -f "$tmp/sf/gone.sf2"
    play_loop "soundfont deleted"
    sleep 0.3
    s1=$(stat -c %s "$tmp/cap.raw"); sleep 0.3; s2=$(stat -c %s "$tmp/cap.raw")
    [ "$s2" -gt "$s1" ] && ok || fail "playing goes on after the soundfont is deleted"
    # what was rendered between the two looks, all of it after the deletion
    tail -c +"$((s1 + 1))" "$tmp/cap.raw" | head -c "$((s2 - s1))" > "$tmp/late.raw"
    in_range "$(peak "$tmp/late.raw")" 0.02 1 "notes are heard after the soundfont file is gone (peak)"
    keys Space
    cmd "soundfont $tmp/sf/gone.sf2"
    expect_screen "gone.sf2" "choosing the deleted soundfont again names it"
    pane
    grep -qi "gone.sf2.*\(not found\|no such\|cannot\|does not exist\)" "$tmp/pane" && ok || fail "choosing the deleted soundfont: says what is wrong"
    keys s C-u; lit "$tmp/x.wav"; keys Enter
    expect_screen "gone.sf2\|soundfont" "a WAV that needs the deleted soundfont: a message" 10
    pane
    has "$tmp/pane" "gone.sf2" "the message names the soundfont"
    [ -e "$tmp/x.wav" ] && fail "a WAV was written without its soundfont" || ok
    cmd "quit"
    expect_shell 0 "soundfont deleted"
}
unset SF_FOR

# ---- 4. the model file replaced while open -----------------------------------------------------
"$REEL" train "$CORPUS/ryans-mammoth/midi" --max-tunes 4 --encoding melody --hidden 16 \
    --layers 1 --epochs 1 --log none -q -o "$tmp/small.reel" > /dev/null 2>&1 || fail "train a tiny model"
cp "$MODEL" "$tmp/m.reel"
MODEL_FOR="$tmp/m.reel"
start 100 30 "$tmp/none" &&
{
    expect_screen "m (melody 2x256)" "the model in use"
    # a checkpoint finished over it: a new file renamed into place
    cp "$tmp/small.reel" "$tmp/m.reel.part" && mv "$tmp/m.reel.part" "$tmp/m.reel"
    expect_screen "reloaded" "a replaced model file is reloaded" 5
    expect_screen "m (melody 1x16)" "the header shows the new model"
    # a damaged file written over it in place
    head -c 2000 "$tmp/small.reel" > "$tmp/m.reel"
    expect_screen "cannot be used" "a damaged model file is named" 5
    pane
    has "$tmp/pane" "m.reel" "the message names the file"
    has "$tmp/pane" "m (melody 1x16)" "the loaded model stays in use"
    cmd "notes D4/8 F#4/8 A4/8 D5/8"
    keys g
    expect_screen "generated [0-9]* bars" "the loaded model still generates"
    rm -f "$tmp/m.reel"
    expect_screen "is gone" "a removed model file is named" 5
    keys C-c
    expect_shell 130 "model replaced"
}
unset MODEL_FOR

# ---- 5. a key storm -------------------------------------------------------------------------------
STORM_MS=${STORM_MS:-1000}
POP="$CORPUS/pop909/midi/203.mid"
# a long seed, then the storm
storm_setup() { # DESCRIPTION RANDOM_SEED
    MODEL_FOR=models/fiddle-form.reel
    start 100 30 "$tmp/none" || return 1
    cmd "seedbars 256"
    keys o; lit "$POP"; keys Enter
    expect_screen "seed: the first [0-9]* bars of 203" "$1: a long seed (pop909 203.mid)" 20
    storm_keys 10000 "$2"
    ts=$(now_ms); send_storm; echo "stress.sh: $1: the storm took $(( $(now_ms) - ts )) ms to send"
}
for how in q TERM; do
    storm_setup "storm, then $how" ${#how} || continue
    pid=$(studio_pid)
    t0=$(now_ms)
    if [ $how = q ]; then
        keys q
        wait_for "quit and lose it\|^EXIT=" 30
    else
        kill -TERM "$pid"
        while kill -0 "$pid" 2>/dev/null && [ $(( $(now_ms) - t0 )) -lt 30000 ]; do sleep 0.005; done
    fi
    ms=$(( $(now_ms) - t0 ))
    echo "stress.sh: key storm (10,000 keys), then $how: answered in $ms ms"
    in_range "$ms" 0 "$STORM_MS" "storm, then $how: answered within $STORM_MS ms (milliseconds)"
    if [ $how = q ]; then
        pane
        # the last resize was to 100 columns: the screen is drawn that wide
        has "$tmp/pane" "quit and lose it" "storm, then q: the quit question"
        awk 'length($0) > 95 { n++ } END { exit !(n > 5) }' "$tmp/pane" && ok ||
            { fail "storm: the screen is not drawn at the window's width"; sed 's/^/    | /' "$tmp/pane"; }
        keys y
        expect_shell 0 "storm, then q"
    else
        expect_shell 143 "storm, then SIGTERM"
    fi
done
unset MODEL_FOR

finish
