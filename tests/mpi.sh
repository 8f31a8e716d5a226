#!/bin/sh
# mpi.sh — data-parallel training, `mpirun -np N reel train`, on this
# machine (loopback): the same losses as one process, the same weights on
# every rank, a rank killed mid-run (a clear message, the checkpoint intact,
# --resume on another number of ranks), Ctrl-C, the --progress stream.
# Skipped only when mpirun is absent (make deps installs it).
set -u
REEL=${REEL_BIN:-build/reel}
CORPUS=${REEL_CORPUS:-../shared/corpus}
if ! command -v mpirun > /dev/null 2>&1; then
    echo "mpi.sh: skipped: mpirun not found (make deps installs openmpi-bin)"
    exit 0
fi
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
tmp_dir mpi
SHOW_END=tail SHOW_HAS=20

# Loopback only: shared memory between the ranks, no single-copy (CMA needs
# ptrace rights that containers often lack), more ranks than cores.  As root
# Open MPI wants to be told.  REEL_MPIRUN_FLAGS replaces these.
MPIRUN_FLAGS=${REEL_MPIRUN_FLAGS:---oversubscribe --mca btl self,vader --mca btl_vader_single_copy_mechanism none}
[ "$(id -u)" = 0 ] && MPIRUN_FLAGS="$MPIRUN_FLAGS --allow-run-as-root"
# Sanitizer builds: Open MPI keeps allocations until exit, many in plugins it
# has unloaded by then, so their stacks cannot be told apart by library.
# The sanitizers write to files here instead (every rank's, also the ranks
# whose stderr is /dev/null), leaks do not change the exit status, and the
# end of this script fails on any sanitizer error, and on any leak whose
# stack passes through reel's own code (src/, ui/).
mkdir -p "$tmp/san"
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$tmp/san/asan"
LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}exitcode=0"
UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$tmp/san/ubsan"
export ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS
mpi() {
    np=$1; shift
    # shellcheck disable=SC2086
    timeout -k 10 120 mpirun $MPIRUN_FLAGS -x ASAN_OPTIONS -x LSAN_OPTIONS -x UBSAN_OPTIONS -np "$np" "$@"
}

# The binary must have MPI in when mpirun is here.
"$REEL" --version > "$tmp/version" 2>&1
if grep -q '^mpi: Open MPI' "$tmp/version"; then ok; else
    fail "mpirun is installed but $REEL was built without MPI (make deps; rebuild)"
    sed 's/^/    /' "$tmp/version"
    finish
    exit 1
fi

data="$tmp/tunes"; mkdir -p "$data"
ls "$CORPUS/ryans-mammoth/midi" | head -20 | while read -r f; do
    cp "$CORPUS/ryans-mammoth/midi/$f" "$data/"
done
[ "$(ls "$data" | wc -l)" -eq 20 ] && ok || fail "20 corpus files copied"

# max relative difference of column $3 between two CSV logs ($1, $2), over
# the lines of kind $4; "lines" when the line counts differ.
csv_diff() {
    awk -F, -v col="$3" -v kind="$4" '
        NR == FNR { if ($1 == kind) a[++n] = $col; next }
        $1 == kind { b[++m] = $col }
        END {
            if (n != m || n == 0) { print "lines " n " " m; exit }
            worst = 0
            for (i = 1; i <= n; i++) {
                d = a[i] - b[i]; if (d < 0) d = -d
                s = a[i] < 0 ? -a[i] : a[i]; if (s < 1e-6) s = 1e-6
                if (d / s > worst) worst = d / s
            }
            printf "%.3g\n", worst
        }' "$1" "$2"
}
within() { awk -v x="$1" -v t="$2" 'BEGIN { exit !(x ~ /^[0-9.e+-]+$/ && x + 0 <= t + 0) }'; }

# 1. One process against 2 ranks: the same global batch and seed, no dropout.
A="--encoding melody --hidden 32 --layers 2 --window 32 --batch 8 --epochs 2 --seed 5"
"$REEL" train $A -q "$data" -o "$tmp/one.reel" > "$tmp/out" 2> "$tmp/err1" && ok || fail "one process"
mpi 2 "$REEL" train $A "$data" -o "$tmp/two.reel" > "$tmp/out" 2> "$tmp/err2" && ok || {
    fail "mpirun -np 2 reel train"; tail -20 "$tmp/err2"; }
has "$tmp/err2" "per rank; 2 ranks (MPI)" "the summary names the ranks"
has "$tmp/err2" "mpi: 2 ranks, the same weights on every rank (checksum [0-9a-f]*)" "weights checked"
has "$tmp/err2" "ms in the gradient allreduce" "allreduce time"
d=$(csv_diff "$tmp/one.csv" "$tmp/two.csv" 5 train)
within "$d" 1e-4 && ok || fail "2 ranks: per-batch losses differ from one process by $d (relative)"
d=$(csv_diff "$tmp/one.csv" "$tmp/two.csv" 9 train)
within "$d" 1e-3 && ok || fail "2 ranks: gradient norms differ by $d"
d=$(csv_diff "$tmp/one.csv" "$tmp/two.csv" 5 val)
within "$d" 1e-4 && ok || fail "2 ranks: validation losses differ by $d"
echo "2 ranks vs 1 process: per-batch losses within $(csv_diff "$tmp/one.csv" "$tmp/two.csv" 5 train) (relative)"
[ "$(grep -c '^train,' "$tmp/two.csv")" -eq "$(grep -c '^train,' "$tmp/one.csv")" ] && ok ||
    fail "one log line per batch (rank 0 alone writes the log)"
"$REEL" info "$tmp/two.reel" > "$tmp/info" 2>&1 && ok || fail "reel info of the 2-rank model"
has "$tmp/info" "epoch 2 of 2" "2-rank model: progress"

# 2. Tokens on 3 ranks: the vocabulary is merged from every rank's counts.
T="--encoding tokens --durations --vocab-min 2 --hidden 16 --layers 1 --window 20 --batch 8 --epochs 1 --seed 7"
"$REEL" train $T "$data" -o "$tmp/t1.reel" > "$tmp/out" 2> "$tmp/errt1" && ok || fail "tokens, one process"
mpi 3 "$REEL" train $T "$data" -o "$tmp/t3.reel" > "$tmp/out" 2> "$tmp/errt3" && ok || {
    fail "tokens on 3 ranks"; tail -20 "$tmp/errt3"; }
v1=$(grep '^vocabulary:' "$tmp/errt1"); v3=$(grep '^vocabulary:' "$tmp/errt3")
[ -n "$v1" ] && [ "$v1" = "$v3" ] && ok || fail "the same vocabulary: '$v1' vs '$v3'"
d=$(csv_diff "$tmp/t1.csv" "$tmp/t3.csv" 5 train)
within "$d" 1e-4 && ok || fail "3 ranks, tokens: losses differ by $d"

# Rolls (rows of bits) and regress (rows of floats) travel to the rank that
# computes them as well as class ids do.
for enc in roll13 regress; do
    E="--encoding $enc --hidden 16 --layers 1 --window 32 --batch 8 --epochs 1 --seed 2"
    "$REEL" train $E -q "$data" -o "$tmp/$enc-1.reel" > "$tmp/out" 2>&1 || fail "$enc, one process"
    mpi 2 "$REEL" train $E -q "$data" -o "$tmp/$enc-2.reel" > "$tmp/out" 2>&1 || fail "$enc, 2 ranks"
    d=$(csv_diff "$tmp/$enc-1.csv" "$tmp/$enc-2.csv" 5 train)
    within "$d" 1e-4 && ok || fail "$enc on 2 ranks: losses differ by $d"
done

# 3. More ranks than files: a rank with nothing to read still takes part.
mkdir -p "$tmp/two-files"
cp "$(ls -d "$data"/* | sed -n 1p)" "$(ls -d "$data"/* | sed -n 2p)" "$tmp/two-files/"
mpi 3 "$REEL" train --encoding melody --hidden 8 --layers 1 --window 32 --batch 4 --epochs 1 \
    "$tmp/two-files" -o "$tmp/few.reel" > "$tmp/out" 2> "$tmp/err" && ok || {
    fail "3 ranks, 2 files"; tail -20 "$tmp/err"; }
mpi 2 "$REEL" train "$tmp/nothing-here" -o "$tmp/x.reel" > "$tmp/out" 2> "$tmp/err" &&
    fail "no data on 2 ranks: exit 0" || ok
has "$tmp/err" "nothing-here" "no data: the message names the path"

# srun without a PMI Open MPI can use would start N copies as rank 0 of 1.
SLURM_STEP_NUM_TASKS=4 SLURM_PROCID=2 "$REEL" train "$data" -o "$tmp/x.reel" > "$tmp/out" 2> "$tmp/err" &&
    fail "srun singletons: exit 0" || ok
has "$tmp/err" "task 2 of 4, but MPI sees one process" "srun singletons are refused"

# 4. Dropout and batch norm: each rank its own masks and statistics; the
# weights still agree (checked at every checkpoint).
mpi 2 "$REEL" train --encoding roll13 --hidden 16 --layers 1 --dense 8 --batchnorm --dropout 0.2 \
    --rec-dropout 0.2 --window 32 --batch 8 --epochs 1 "$data" -o "$tmp/bn.reel" \
    > "$tmp/out" 2> "$tmp/err" && ok || { fail "dropout + batch norm on 2 ranks"; tail "$tmp/err"; }
has "$tmp/err" "the same weights on every rank" "dropout + batch norm: weights agree"

# 5. Stopped on 2 ranks, resumed on 1: the run of one process, batch for batch.
mpi 2 "$REEL" train $A --max-batches 7 "$data" -o "$tmp/res.reel" > "$tmp/out" 2> "$tmp/err" && ok ||
    fail "2 ranks, --max-batches"
has "$tmp/err" "stopped in epoch 1 after batch 7" "stop message"
"$REEL" train --resume -q "$data" -o "$tmp/res.reel" > "$tmp/out" 2> "$tmp/err" && ok ||
    { fail "resume on 1 process"; tail "$tmp/err"; }
d=$(csv_diff "$tmp/one.csv" "$tmp/res.csv" 5 train)
within "$d" 1e-4 && ok || fail "2 ranks then 1: losses differ from one process by $d"

# 6. --progress: the machine-readable stream the studio reads.
mpi 2 "$REEL" train --encoding melody --hidden 8 --layers 1 --window 32 --batch 8 --epochs 1 \
    --progress "$tmp/progress" "$data" -o "$tmp/p.reel" > "$tmp/out" 2> "$tmp/err" && ok ||
    fail "--progress on 2 ranks"
has "$tmp/progress" "^reel-progress 1 info [0-9]* [0-9]* 0 [0-9]* [0-9]* -1 2	" "progress: info line"
has "$tmp/progress" "^reel-progress 1 batch 0 1 1 " "progress: batch lines"
has "$tmp/progress" "^reel-progress 1 done .* 2	" "progress: done, 2 ranks"

# 7. A rank killed mid-run: the job stops with a message saying so, the last
# checkpoint stays valid, and resumes on 1 and on 3 ranks.
K="--encoding melody --hidden 48 --layers 1 --window 32 --batch 8 --epochs 1000 --seed 3"
# (timeout, not the mpi function, so that $! is a process that passes signals on)
# shellcheck disable=SC2086
REEL_MPI_TEST=$tmp timeout -k 10 120 mpirun $MPIRUN_FLAGS -x ASAN_OPTIONS -x LSAN_OPTIONS -x UBSAN_OPTIONS -np 2 \
    "$REEL" train $K "$data" -o "$tmp/k.reel" > "$tmp/out" 2> "$tmp/errk" &
mp=$!
i=0
while [ $i -lt 300 ] && ! grep -q "^epoch 2/1000:" "$tmp/errk" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
victim=""
for d in /proc/[0-9]*; do
    [ "$(cat "$d/comm" 2> /dev/null)" = reel ] || continue
    { tr '\0' '\n' < "$d/environ"; } > "$tmp/env" 2> /dev/null || continue
    grep -qx "REEL_MPI_TEST=$tmp" "$tmp/env" && grep -qx 'OMPI_COMM_WORLD_RANK=1' "$tmp/env" &&
        victim=${d#/proc/}
done
if [ -n "$victim" ]; then ok; kill -KILL "$victim"; else fail "rank 1 of the running job not found"; fi
start=$(date +%s)
wait $mp
rc=$?
[ $rc -ne 0 ] && ok || fail "a killed rank: mpirun exit $rc"
[ $(( $(date +%s) - start )) -lt 30 ] && ok || fail "a killed rank: the job took over 30 s to end"
has "$tmp/errk" "rank 1 (pid [0-9]*, on this machine) has died" "a killed rank: rank 0 says what happened"
has "$tmp/errk" "checkpoint, .*k.reel, is intact" "a killed rank: where the checkpoint is"
has "$tmp/errk" "process rank 1 .* exited on signal 9" "a killed rank: mpirun names it"
"$REEL" info "$tmp/k.reel" > "$tmp/info" 2>&1 && ok || { fail "the checkpoint after a kill"; cat "$tmp/info"; }
e=$(sed -n 's/.*progress *epoch \([0-9]*\) of.*/\1/p' "$tmp/info")
"$REEL" train --resume --epochs $((e + 1)) -q "$data" -o "$tmp/k.reel" > "$tmp/out" 2> "$tmp/err" &&
    ok || { fail "resume after a kill, 1 process"; tail "$tmp/err"; }
mpi 3 "$REEL" train --resume --epochs $((e + 2)) "$data" -o "$tmp/k.reel" > "$tmp/out" 2> "$tmp/err" &&
    ok || { fail "resume after a kill, 3 ranks"; tail "$tmp/err"; }
"$REEL" info "$tmp/k.reel" > "$tmp/info" 2>&1
has "$tmp/info" "epoch $((e + 2)) of $((e + 2))" "resumed twice"

# 7b. The pitch range the model records (issue 13) is the whole corpus's
# when each rank reads only half the files (62..88 and 57..86 here).
rdata="$tmp/range"; mkdir -p "$rdata"
for t in 42dHighlandRegimentStrathspey 7thRegimentReel AcaciaReel KissMeJoeReel; do
    cp "$CORPUS/ryans-mammoth/midi/$t.mid" "$rdata/"
done
"$REEL" corpus "$rdata" > "$tmp/corpus" 2>&1
corpus_range=$(sed -n 's/.*pitch range *MIDI \([0-9]*\.\.[0-9]*\).*/\1/p' "$tmp/corpus")
[ -n "$corpus_range" ] && ok || fail "reel corpus names the pitch range"
if mpi 2 "$REEL" train "$rdata" --encoding melody --hidden 16 --layers 1 --epochs 1 --window 32 \
    --batch 8 -q -o "$tmp/range.reel" > "$tmp/out" 2> "$tmp/err"; then ok
else fail "2 ranks: reel train failed"; tail -5 "$tmp/err"; fi
"$REEL" info "$tmp/range.reel" > "$tmp/info" 2>&1
has "$tmp/info" "pitch range .*($corpus_range)" "2 ranks, each with half the files: the whole range"

# 8. Stopping a job.  SIGUSR1 to mpirun, which passes it on: every rank
# stops at the same batch and rank 0 saves.  Ctrl-C (SIGINT): mpirun sends
# SIGTERM and a second later SIGKILL; the job ends and the file on disk is a
# valid checkpoint (the new one, or the one before).
for sig in USR1 INT; do
    # shellcheck disable=SC2086
    timeout -k 10 120 mpirun $MPIRUN_FLAGS -x ASAN_OPTIONS -x LSAN_OPTIONS -x UBSAN_OPTIONS -np 2 \
        "$REEL" train $K "$data" -o "$tmp/c$sig.reel" > "$tmp/out" 2> "$tmp/errc" &
    mp=$!
    i=0
    while [ $i -lt 300 ] && ! grep -q "^epoch 1/1000:" "$tmp/errc" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
    # mpirun itself: timeout passes SIGINT on, not SIGUSR1
    mpirun_pid=$mp
    for st in /proc/[0-9]*/status; do
        grep -q "^PPid:[[:space:]]*$mp\$" "$st" 2> /dev/null || continue
        p=${st#/proc/}; mpirun_pid=${p%/status}
    done
    kill -$sig "$mpirun_pid"
    start=$(date +%s)
    wait $mp
    rc=$?
    [ $(( $(date +%s) - start )) -lt 30 ] && ok || fail "SIG$sig: the job took over 30 s to end"
    if [ $sig = USR1 ]; then
        [ $rc -eq 0 ] && ok || fail "SIGUSR1: exit $rc"
        has "$tmp/errc" "stopped in epoch .* checkpoint saved" "SIGUSR1: a checkpoint"
    fi
    "$REEL" info "$tmp/c$sig.reel" > "$tmp/info" 2>&1 && ok || fail "the checkpoint after SIG$sig"
done

# 9. The studio's training view with 2 processes: it runs mpirun, shows the
# ranks and the progress, stops with a checkpoint (x), and goes on (s).
if command -v tmux > /dev/null 2>&1 && [ -f models/fiddle-melody.reel ]; then
    tmux_server
    mkdir -p "$tmp/st/cfg/reel" "$tmp/st/home"
    printf '%s\n' "train_hidden = 16" "train_layers = 1" "train_epochs = 500" "train_window = 32" \
        "train_batch = 8" "train_ranks = 2" "train_out = $tmp/st/studio.reel" \
        > "$tmp/st/cfg/reel/studio.conf"
    # lib.sh's, with its own message and 20 s unless told
    expect_screen() { # PATTERN DESCRIPTION [SECONDS]
        if wait_for "$1" "${3:-20}"; then ok; else fail "studio: $2: no '$1' on screen"; pane; sed 's/^/    | /' "$tmp/pane"; fi
    }
    T -f /dev/null new-session -d -s t -x 110 -y 34 \
        "env TERM=tmux-256color LANG=C.UTF-8 XDG_CONFIG_HOME='$tmp/st/cfg' HOME='$tmp/st/home' \
REEL_MPIRUN_FLAGS='$MPIRUN_FLAGS' ASAN_OPTIONS='$ASAN_OPTIONS' LSAN_OPTIONS='$LSAN_OPTIONS' \
UBSAN_OPTIONS='$UBSAN_OPTIONS' \
'$REEL' studio --model models/fiddle-melody.reel --corpus '$data' 2> '$tmp/st/err.log'; sleep 30"
    expect_screen " reel " "the studio starts" 15
    keys t
    expect_screen "processes      2 ranks: mpirun -np 2" "the form has the processes"
    keys s
    expect_screen "Training  running  ranks: 2 (mpirun)" "a 2-rank job shows its ranks" 30
    expect_screen "steps/s" "progress from the job" 30
    keys p
    expect_screen "an MPI job cannot pause" "p says why it cannot pause" 5
    keys x
    expect_screen "Training  stopped  ranks: 2" "x stops the job" 20
    pane
    has "$tmp/pane" "checkpoint in .*studio.reel (2 ranks)" "studio: where the checkpoint is"
    "$REEL" info "$tmp/st/studio.reel" > "$tmp/info" 2>&1 && ok || fail "studio: the job's checkpoint"
    keys s
    expect_screen "Training  running  ranks: 2" "s goes on from the checkpoint" 30
    expect_screen "(resumed)" "the job resumed the model" 30
    keys x
    expect_screen "Training  stopped" "x stops it again" 20
    keys q
    sleep 1
    T kill-server 2> /dev/null
    grep -q "the same weights on every rank" "$tmp/st/studio.mpi.log" && ok ||
        { fail "studio: the job's log"; tail "$tmp/st/studio.mpi.log"; }
else
    echo "mpi.sh: the studio part skipped (no tmux or no models/fiddle-melody.reel)"
fi

# What the sanitizers wrote (sanitizer builds only).
if ls "$tmp/san/"* > /dev/null 2>&1; then
    if grep -l -e "ERROR: AddressSanitizer" -e "runtime error" "$tmp/san/"* > "$tmp/san-errors"; then
        fail "sanitizer errors:"; xargs cat < "$tmp/san-errors" | head -60
    else
        ok
    fi
    awk '/^(Direct|Indirect) leak/ { block = $0; keep = 0; inb = 1; next }
         inb && /^$/ { if (keep) print block "\n"; inb = 0; next }
         inb { block = block "\n" $0; if ($0 ~ /[ (](src|ui)\/[a-z_\/]*\.c:/) keep = 1 }
         END { if (inb && keep) print block }' "$tmp/san/"* > "$tmp/our-leaks"
    if [ -s "$tmp/our-leaks" ]; then fail "leaks in reel's code:"; head -60 "$tmp/our-leaks"; else ok; fi
fi

finish
