#!/bin/sh
# audio.sh — `reel play` and `reel render` as a person runs them: help texts,
# rendering a fiddle tune to WAV (measured with sox), playing it through the
# real-time path into ALSA's file plugin (PLATFORM.md), a machine with no
# audio device, bad soundfonts, and Ctrl-C on a terminal (tmux).  Run by
# tests/run.sh from the top of the tree with REEL_BIN and REEL_CORPUS set.
set -u
REEL=${REEL_BIN:-build/reel}
CORPUS=${REEL_CORPUS:-../shared/corpus}
TUNE="$CORPUS/ryans-mammoth/midi/AWillieWeHaveMissdYouStrathspey.mid"
ABC="$CORPUS/ryans-mammoth/abc/7thRegimentReel.abc"
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
tmp_dir audio
tmux_server
SHOW_SCREENS=${AUDIO_SH_SHOW:-}   # AUDIO_SH_SHOW=1 prints the screen
# TimGM6mb (6 MB) loads in a few ms; FluidR3 is tested by the C tests.
export REEL_SOUNDFONT=/usr/share/sounds/sf2/TimGM6mb.sf2

# wav_stat FILE: sets len (seconds) and amp (max amplitude) from sox
wav_stat() {
    sox "$1" -n stat > "$tmp/stat" 2>&1
    len=$(sed -n 's/^Length (seconds): *//p' "$tmp/stat")
    amp=$(sed -n 's/^Maximum amplitude: *//p' "$tmp/stat")
}
# The libraries' own voices: none of this may reach the terminal.
LIBS='ALSA lib\|^ALSA\|JACK\|Cannot connect\|jack server\|fluidsynth:\|GLib\|snd_pcm'

[ -f "$TUNE" ] || { echo "corpus not found at $CORPUS: set REEL_CORPUS"; exit 1; }

# ---- help ----------------------------------------------------------------
expect_rc 0 "$REEL" --help
has "$tmp/out" "^  play " "--help lists play"
has "$tmp/out" "^  render " "--help lists render"
expect_rc 0 "$REEL" play --help
for opt in --soundfont --program --velocity --bpm --tempo --gain --from --bar --metronome \
           --part --tune --verbose --loop --loop-bars --device --list-devices --latency \
           REEL_SOUNDFONT violin "Exit status"; do
    has "$tmp/out" -- "$opt" "play --help describes $opt"
done
expect_rc 0 "$REEL" render --help
for opt in --output --rate --tail --float --soundfont --program --velocity --bpm --gain --from \
           --bar --metronome --part --tune --verbose; do
    has "$tmp/out" -- "$opt" "render --help describes $opt"
done
expect_rc 0 "$REEL" help play
has "$tmp/out" "usage: reel play" "reel help play"
expect_rc 2 "$REEL" play
expect_rc 2 "$REEL" render "$TUNE"
has "$tmp/err" "-o OUT.wav" "render without -o says so"
expect_rc 2 "$REEL" render --program banjolele "$TUNE" -o "$tmp/x.wav"
has "$tmp/err" "banjolele" "a bad program is named"
expect_rc 2 "$REEL" play --bpm 0 "$TUNE"
expect_rc 2 "$REEL" render --rate 7 "$TUNE" -o "$tmp/x.wav"
expect_rc 2 "$REEL" play --loop-bars 3:1 "$TUNE"

# ---- render ----------------------------------------------------------------
# The strathspey: 136 notes, 32 s at 120 bpm; violin (the file has no program).
expect_rc 0 "$REEL" render "$TUNE" -o "$tmp/a.wav"
has "$tmp/err" "136 notes" "render reports the notes"
has "$tmp/err" "Violin (GM 41)" "the fiddle tune plays on the violin"
has "$tmp/err" "real time" "render reports its speed"
hasnt "$tmp/err" "$LIBS" "no library output while rendering"
wav_stat "$tmp/a.wav"
in_range "$len" 32.1 34 "rendered length (32 s and the release)"
in_range "$amp" 0.05 1 "rendered level"
[ "$(soxi -r "$tmp/a.wav" 2>/dev/null)" = 44100 ] && ok || fail "render rate: $(soxi -r "$tmp/a.wav")"
[ "$(soxi -c "$tmp/a.wav" 2>/dev/null)" = 2 ] && ok || fail "render channels"
[ "$(ls "$tmp" | grep -c 'a.wav')" = 1 ] && ok || fail "a temporary file left beside a.wav: $(ls "$tmp")"
# Options shape the result.
expect_rc 0 "$REEL" render --bpm 240 --rate 48000 --float "$TUNE" -o "$tmp/b.wav"
wav_stat "$tmp/b.wav"
in_range "$len" 16.0 18 "twice the tempo, half the length"
[ "$(soxi -r "$tmp/b.wav" 2>/dev/null)" = 48000 ] && ok || fail "--rate 48000"
soxi "$tmp/b.wav" 2>/dev/null | grep -q "32-bit Floating Point" && ok || fail "--float: $(soxi "$tmp/b.wav" | grep -i encoding)"
expect_rc 0 "$REEL" render --bar 9 --metronome --program flute "$TUNE" -o "$tmp/c.wav"
has "$tmp/err" "GM 74" "--program flute is GM 74"
wav_stat "$tmp/c.wav"
in_range "$len" 16.0 18.5 "from bar 9 of 16 bars: half the tune"
expect_rc 0 "$REEL" render "$ABC" -o "$tmp/abc.wav"
has "$tmp/err" "Violin" "an ABC tune renders on the violin"
wav_stat "$tmp/abc.wav"
in_range "$amp" 0.05 1 "the ABC render sounds"
# Failures: nothing written, the reason given.
expect_rc 1 "$REEL" render "$TUNE" -o /nonexistent-dir/x.wav
has "$tmp/err" "/nonexistent-dir/x.wav" "an unwritable output is named"
expect_rc 1 "$REEL" render "$tmp/missing.mid" -o "$tmp/x.wav"
[ ! -e "$tmp/x.wav" ] && ok || fail "nothing written for a missing input"
expect_rc 1 "$REEL" render --soundfont "$TUNE" "$TUNE" -o "$tmp/x.wav"
has "$tmp/err" "not a SoundFont" "a MIDI file given as --soundfont"
expect_rc 1 env REEL_SOUNDFONT=/nonexistent/font.sf2 "$REEL" render "$TUNE" -o "$tmp/x.wav"
has "$tmp/err" "REEL_SOUNDFONT" "a bad \$REEL_SOUNDFONT is named"
has "$tmp/err" "/nonexistent/font.sf2" "and its path"
expect_rc 1 "$REEL" render --bar 99 "$TUNE" -o "$tmp/x.wav"
has "$tmp/err" "nothing to play" "starting after the end"

# ---- play through the real-time path, captured ---------------------------------
alsa_capture "$tmp/cap" 48000 2 wav
expect_rc 0 env XDG_CONFIG_HOME="$tmp/cap" AUDIO_CAPTURE_FILE="$tmp/cap.wav" "$REEL" play "$TUNE"
has "$tmp/err" "^playing AWillieWeHaveMissdYouStrathspey: 136 notes" "play says what it plays"
has "$tmp/err" "^played 0:32" "play says when it is done"
hasnt "$tmp/err" "$LIBS" "no library output while playing"
hasnt "$tmp/err" "no audio output" "the capture device is an output"
wav_stat "$tmp/cap.wav"
in_range "$len" 32.1 100000 "the capture holds the tune"
in_range "$amp" 0.05 1 "the capture sounds"
expect_rc 0 env XDG_CONFIG_HOME="$tmp/cap" AUDIO_CAPTURE_FILE="$tmp/cap2.wav" "$REEL" play -v --bpm 300 "$TUNE"
has "$tmp/err" "underruns" "-v gives the callback figures"
has "$tmp/err" "messages from ALSA/JACK" "-v counts the probing messages"
has "$tmp/err" "at 300 bpm" "--bpm"

# ---- no audio device -------------------------------------------------------------
alsa_none "$tmp/none"
expect_rc 0 env XDG_CONFIG_HOME="$tmp/none" "$REEL" play "$TUNE"
[ "$(grep -c 'no audio output' "$tmp/err")" = 1 ] && ok || fail "'no audio output' said once"
[ "$(wc -l < "$tmp/err")" = 1 ] && ok || { fail "nothing else on stderr:"; sed 's/^/    /' "$tmp/err"; }
hasnt "$tmp/err" "$LIBS" "no library output without a device"
[ ! -s "$tmp/out" ] && ok || fail "nothing on stdout"
expect_rc 1 env XDG_CONFIG_HOME="$tmp/none" "$REEL" play "$tmp/missing.mid"
has "$tmp/err" "missing.mid" "a bad file is still an error without a device"
expect_rc 1 env XDG_CONFIG_HOME="$tmp/cap" AUDIO_CAPTURE_FILE="$tmp/x.wav" "$REEL" play --device nosuchcard "$TUNE"
has "$tmp/err" "nosuchcard" "a device asked for by name that is not there is an error"
expect_rc 0 env XDG_CONFIG_HOME="$tmp/cap" "$REEL" play --list-devices
has "$tmp/out" "ALSA: default" "--list-devices lists the default device"
expect_rc 0 env XDG_CONFIG_HOME="$tmp/none" "$REEL" play --list-devices
hasnt "$tmp/err" "$LIBS" "--list-devices is quiet too"

# ---- Ctrl-C on a terminal ----------------------------------------------------------
# Looping on the capture device (faster than real time): the progress line
# shows bar and beat; Ctrl-C stops, releases the notes, closes the file.
if command -v tmux >/dev/null; then
    T -f /dev/null new-session -d -s t -x 100 -y 10 \
        "env TERM=tmux-256color XDG_CONFIG_HOME='$tmp/cap' AUDIO_CAPTURE_FILE='$tmp/loop.wav' REEL_SOUNDFONT='$REEL_SOUNDFONT' '$REEL' play --loop '$TUNE'; echo EXIT=\$?; sleep 30"
    seen=0
    for i in $(seq 1 100); do
        if T capture-pane -p -t t | grep -q "bar [0-9]* beat [0-9]"; then seen=1; break; fi
        sleep 0.05
    done
    [ $seen = 1 ] && ok || { fail "no progress line on the terminal"; T capture-pane -p -t t; }
    keys C-c
    done_=0
    for i in $(seq 1 100); do
        if T capture-pane -p -t t | grep -q "EXIT="; then done_=1; break; fi
        sleep 0.05
    done
    pane
    [ $done_ = 1 ] && ok || fail "Ctrl-C did not stop reel play"
    has "$tmp/pane" "stopped at bar" "Ctrl-C says where it stopped"
    has "$tmp/pane" "EXIT=130" "exit status 130 after Ctrl-C"
    hasnt "$tmp/pane" "$LIBS" "no library output on the terminal"
    wav_stat "$tmp/loop.wav"
    in_range "$len" 32 100000 "the capture was closed properly (a readable WAV)"
    T kill-server 2>/dev/null
    rm -f "$tmp/loop.wav"
else
    fail "tmux is missing (make deps installs it)"
fi

finish
