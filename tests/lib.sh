# lib.sh — what the shell tests share: the checks and their count, a
# temporary folder that goes at exit and on a signal, and the tmux helpers
# that drive the studio.  Not a test itself (tests/run.sh skips it), and no
# script of its own: each test sources it and keeps its own set-up.
#
#   . "$(dirname "$0")/lib.sh"
#   tmp_dir cli          # $tmp: a fresh ${TMPDIR:-/tmp}/reel-cli-XXXXXX
#   expect_rc 0 "$REEL" --help
#   has "$tmp/out" "corpus" "--help lists corpus"
#   finish               # "cli.sh: 12 checks, 0 failed"; the script's status
#
# How much a failed check shows of the file it read: a script sets these
# after sourcing this file (they are read at each check).
#   SHOW_END=tail   the last lines of a file rather than the first (logs,
#                   whose end says what went wrong)
#   SHOW_HAS=N      lines that has shows (30), SHOW_HASNT=N for hasnt (10);
#                   0 shows nothing.  expect_rc shows 20 lines of stderr.
#   SCREEN=1        the files are mostly screens (studio.sh, stress.sh): the
#                   message does not name the file, the lines are shown
#                   behind a bar "    | ".
# Variables it sets: checks, fails, tmp, sock, want, rc, limit.
checks=0
fails=0
SHOW_END='head'
SHOW_HAS=30
SHOW_HASNT=10
SCREEN=
sock=

# ---- checks ------------------------------------------------------------------
ok() { checks=$((checks + 1)); }
fail() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL: $*"; }

# show FILE LINES: the file a failed check read, indented (see SHOW_END)
show() {
    [ "$2" -gt 0 ] || return 0
    if [ -n "$SCREEN" ]; then sed 's/^/    | /' "$1"; else sed 's/^/    /' "$1"; fi | "$SHOW_END" -"$2"
}

# expect_rc WANT CMD...: run CMD; its stdout in $tmp/out, stderr in $tmp/err,
# its exit status in $rc
expect_rc() {
    want=$1; shift
    "$@" > "$tmp/out" 2> "$tmp/err"
    rc=$?
    if [ "$rc" -eq "$want" ]; then ok; else fail "exit $rc, wanted $want: $*"; show "$tmp/err" 20; fi
}

# has FILE PATTERN DESCRIPTION: a line of FILE matches PATTERN (grep)
has() {
    if grep -q -e "$2" "$1"; then ok; return 0; fi
    if [ -n "$SCREEN" ]; then fail "$3: no '$2'"; else fail "$3: no '$2' in $1"; fi
    show "$1" "$SHOW_HAS"
}

# hasnt FILE PATTERN DESCRIPTION: no line of FILE matches PATTERN
hasnt() {
    if ! grep -q -e "$2" "$1"; then ok; return 0; fi
    if [ -n "$SCREEN" ]; then fail "$3: '$2' is there"; else fail "$3: '$2' in $1"; fi
    show "$1" "$SHOW_HASNT"
}

# same FILE1 FILE2 DESCRIPTION: the files are equal, byte for byte
same() {
    if cmp -s "$1" "$2"; then ok; else fail "$3: $1 and $2 differ"; diff "$1" "$2" | head -10 | sed 's/^/    /'; fi
}

# differ FILE1 FILE2 DESCRIPTION: the files are not equal
differ() {
    if cmp -s "$1" "$2"; then fail "$3: $1 and $2 are the same"; else ok; fi
}

# in_range VALUE LO HI DESCRIPTION: LO <= VALUE <= HI (decimals allowed; an
# empty VALUE fails); the status is non-zero when it fails
in_range() {
    if awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v != "" && v >= lo && v <= hi) }'; then ok
    else fail "$4: $1 not in $2..$3"; return 1; fi
}

# finish: the closing line, "NAME.sh: N checks, N failed"; its status (the
# script's last command) is 0 when no check failed
finish() {
    echo "${0##*/}: $checks checks, $fails failed"
    [ "$fails" -eq 0 ]
}

# ---- the temporary folder ------------------------------------------------------
# on_cleanup: what a script has to undo before its folder goes (a process,
# a mount); the script defines its own after sourcing this file.
on_cleanup() { :; }

tmp_cleanup() {
    on_cleanup
    if [ -n "${sock:-}" ]; then
        T kill-server 2>/dev/null
        # the studio ends when its terminal goes: let it write its files first
        [ "$tmux_linger" = 0 ] || sleep "$tmux_linger"
    fi
    rm -rf "$tmp"
}

# tmp_dir NAME: $tmp, a fresh folder removed at exit, and on INT, TERM, HUP
# or PIPE (a closed pipe: `| head`), which end the script with status 1
tmp_dir() {
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/reel-$1-XXXXXX")
    trap tmp_cleanup EXIT
    trap 'tmp_cleanup; trap - EXIT; exit 1' INT TERM HUP PIPE
}

# ---- ALSA: the sound device a program sees with XDG_CONFIG_HOME=DIR ----------
# alsa_none DIR: none, whatever the machine has (the default PCM is on a card
# that does not exist)
alsa_none() {
    mkdir -p "$1/alsa"
    printf '%s\n' 'pcm.!default { type hw card 7 device 0 }' 'ctl.!default { type hw card 7 }' \
        > "$1/alsa/asoundrc"
}

# alsa_capture DIR RATE CHANNELS FORMAT: ALSA's file plugin on the null
# device (PLATFORM.md), unpaced: the default device writes the stream, 16-bit
# at RATE, as FORMAT (wav or raw) to $AUDIO_CAPTURE_FILE (a name that starts
# with | is a command the data is piped to; unset, /dev/null)
alsa_capture() {
    mkdir -p "$1/alsa"
    cat > "$1/alsa/asoundrc" <<EOF
pcm.!default {
    type plug
    slave { pcm "capture" format S16_LE rate $2 channels $3 }
}
pcm.capture {
    type file
    slave.pcm "null"
    file { @func getenv vars [ AUDIO_CAPTURE_FILE ] default "/dev/null" }
    format "$4"
}
EOF
}

# ---- tmux: a private server whose one session "t" runs the studio --------------
# tmux_server [SECONDS]: the server's socket is $tmp/tmux.sock (after
# tmp_dir); clean-up kills the server, then waits SECONDS (default 0).
tmux_linger=0
tmux_server() {
    sock="$tmp/tmux.sock"
    tmux_linger=${1:-0}
}
T() { tmux -S "$sock" "$@"; }
keys() { T send-keys -t t "$@"; }
lit() { T send-keys -t t -l "$1"; }
now_ms() { date +%s%3N; }

# pane: the screen into $tmp/pane (printed too when SHOW_SCREENS is set)
SHOW_SCREENS=
pane() { T capture-pane -p -t t > "$tmp/pane" 2>/dev/null; [ -n "$SHOW_SCREENS" ] && cat "$tmp/pane"; true; }

# wait_for PATTERN [SECONDS]: poll the screen until it shows PATTERN (10 s)
wait_for() {
    limit=$(( $(now_ms) + ${2:-10} * 1000 ))
    while [ "$(now_ms)" -lt "$limit" ]; do
        if T capture-pane -p -t t 2>/dev/null | grep -q -e "$1"; then return 0; fi
        sleep 0.02
    done
    return 1
}

# expect_screen PATTERN DESCRIPTION [SECONDS]: a check that the screen shows it
expect_screen() {
    if wait_for "$1" "${3:-10}"; then ok; else fail "$2: the screen never showed '$1'"; pane; sed 's/^/    | /' "$tmp/pane"; fi
}

# resize W H: the window, then wait (up to 5 s) until the pane's terminal
# itself has that size: tmux resizes its pane at once but may hand the
# program the new size (TIOCSWINSZ and SIGWINCH) only later, rate-limited.
resize() {
    T resize-window -t t -x "$1" -y "$2"
    rtty=$(T display -p -t t '#{pane_tty}')
    rlimit=$(( $(now_ms) + 5000 ))
    while [ "$(stty -F "$rtty" size 2>/dev/null)" != "$2 $1" ] && [ "$(now_ms)" -lt "$rlimit" ]; do
        sleep 0.02
    done
}
# storm_keys N SEED: N random studio keys into $tmp/storm, one per line (tmux
# key names): g, n, temperature, cursor, play, undo, ...; none that opens a
# prompt or quits
storm_keys() {
    awk -v n="$1" -v seed="$2" 'BEGIN {
        split("g g g g n n n ] [ } { ) ( # < > Left Right S-Left S-Right Home End PPage NPage " \
              "Up Down BSpace DC Space Enter l m c u x k a z C-r C-l 1 2 4 8 6 .", k, " ")
        srand(seed); m = length(k)
        for (i = 0; i < n; i++) print k[int(rand() * m) + 1] }' > "$tmp/storm"
}
# send_storm: $tmp/storm in a few send-keys calls, the window resized between
# them (100 and 90 columns by 30 lines, 100 at the end)
send_storm() {
    split -l 2000 "$tmp/storm" "$tmp/storm."
    w=100
    for f in "$tmp"/storm.a?; do
        xargs -d '\n' tmux -S "$sock" send-keys -t t < "$f"
        w=$((w == 100 ? 90 : 100))
        T resize-window -t t -x $w -y 30
    done
    T resize-window -t t -x 100 -y 30
    rm -f "$tmp"/storm.a?
}
# studio_pid: the PID of the studio, the child of the pane's shell
studio_pid() { pgrep -P "$(T display -p -t t '#{pane_pid}')" -x reel | head -1; }
