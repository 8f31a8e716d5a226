#!/bin/sh
# bench_mpi.sh — data-parallel training on this machine: time-steps a
# second with 1 process and with 2 ranks (mpirun -np 2, loopback), and
# where a 2-rank batch's time goes (the gradient allreduce, waiting for the
# slower rank).  The model is the PyTorch reference's (bench_nn): melody,
# 2 x 256 LSTM, window 64, batch 32 on Ryan's tunes.  Each run trains
# BATCHES batches; the first WARM are left out of the rate.  The runs take
# turns, twice, and the faster of each pair counts (another session may
# share the machine).
# Figures are printed (docs/CLUSTER.md explains them); exit 1 only when a
# run fails.  Skipped when mpirun is absent.
set -u
REEL=${REEL_BIN:-./reel}
CORPUS=${REEL_CORPUS:-../shared/corpus}
BATCHES=${BATCHES:-16}
WARM=${WARM:-3}
if ! command -v mpirun > /dev/null 2>&1; then
    echo "bench_mpi: skipped: mpirun not found (make deps installs openmpi-bin)"
    exit 0
fi
if ! "$REEL" --version 2> /dev/null | grep -q '^mpi: Open MPI'; then
    echo "bench_mpi: $REEL was built without MPI (make deps; rebuild)"
    exit 1
fi
# shellcheck source=SCRIPTDIR/../tests/lib.sh
. "$(dirname "$0")/../tests/lib.sh"
tmp_dir bench-mpi
FLAGS=${REEL_MPIRUN_FLAGS:---oversubscribe --mca btl self,vader}
[ "$(id -u)" = 0 ] && FLAGS="$FLAGS --allow-run-as-root"
A="--encoding melody --hidden 256 --layers 2 --window 64 --batch 32 --epochs 1 --seed 1
   --max-tunes 300 --max-batches $BATCHES"

# rate CSV: time-steps a second over the batches after the first WARM.
rate() {
    awk -F, -v warm="$WARM" '
        $1 == "train" { n++; if (n == warm) t0 = $12; if (n > warm) { pos += $11; t1 = $12 } }
        END { if (t1 > t0) printf "%.0f", pos / (t1 - t0); else print "?" }' "$1"
}
# run NAME NP THREADS: one training run; prints its rate
run() {
    name=$1; np=$2; thr=$3
    if [ "$np" -gt 1 ]; then
        # shellcheck disable=SC2086
        mpirun $FLAGS -np "$np" "$REEL" train $A --threads "$thr" "$CORPUS/ryans-mammoth/midi" \
            -o "$tmp/$name.reel" > "$tmp/$name.out" 2> "$tmp/$name.err"
    else
        # shellcheck disable=SC2086
        "$REEL" train $A --threads "$thr" "$CORPUS/ryans-mammoth/midi" -o "$tmp/$name.reel" \
            > "$tmp/$name.out" 2> "$tmp/$name.err"
    fi || { echo "bench_mpi: the $name run failed:"; tail -5 "$tmp/$name.err"; exit 1; }
    rate "$tmp/$name.csv"
}

best() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 >= b + 0) ? a : b }'; }
r1=$(run one 1 1); r1t=$(run one-2threads 1 2); r2=$(run two 2 1)
cp "$tmp/two.err" "$tmp/two-best.err"
a=$(run one 1 1); r1=$(best "$r1" "$a")
a=$(run one-2threads 1 2); r1t=$(best "$r1t" "$a")
a=$(run two 2 1)
[ "$(best "$r2" "$a")" = "$a" ] && cp "$tmp/two.err" "$tmp/two-best.err"
r2=$(best "$r2" "$a")
weights=$(sed -n 's/.* \([0-9]*\) weights.*/\1/p' "$tmp/one.err" | head -1)
mpi=$(grep '^mpi:' "$tmp/two-best.err")
ar=$(echo "$mpi" | sed -n 's/.*spent \([0-9.]*\) ms in the gradient allreduce (\([0-9.]*\)%.*/\1 \2/p')
wt=$(echo "$mpi" | sed -n 's/.* and \([0-9.]*\) ms waiting for the slowest rank (\([0-9.]*\)%).*/\1 \2/p')
echo "bench_mpi: load average $(cut -d' ' -f1 /proc/loadavg) at the end (2 vCPUs)"
echo "bench_mpi: melody 2 x 256 LSTM ($weights weights, a $(awk -v w="$weights" 'BEGIN { printf "%.1f", w * 4 / 1048576 }') MiB gradient block), window 64, batch 32, $BATCHES batches"
echo "bench_mpi:   1 process, 1 thread    $r1 time-steps/s"
echo "bench_mpi:   1 process, 2 threads   $r1t time-steps/s"
echo "bench_mpi:   2 ranks, 1 thread each $r2 time-steps/s ($(awk -v a="$r2" -v b="$r1" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "?" }')x one process)"
echo "bench_mpi:   a 2-rank batch: ${ar% *} ms in the gradient allreduce (${ar#* }% of the time), ${wt% *} ms waiting for the slower rank (${wt#* }%)"
awk -v r1="$r1" -v ar="${ar% *}" -v w="$weights" 'BEGIN {
    if (r1 <= 0 || ar == "") exit
    tc = 64 * 32 / r1 * 1000
    bytes = w * 4
    printf "bench_mpi:   one batch computes in %.0f ms on one rank; its allreduce on loopback takes %.1f%% of that\n", tc, 100 * ar / tc
    # Expected efficiency (one process time / N / the time of a step) from
    # two costs: a ring allreduce sends 2 (N-1)/N of the block over each
    # link in 2 (N-1) steps of a latency each; and a batch of B windows is
    # split into N shares of B/N, rounded up for the largest (train.c;
    # the windows of one batch also differ in length, which is left out).
    printf "bench_mpi:   expected efficiency, from the measured compute and a ring allreduce:\n"
    printf "bench_mpi:     %-6s %-26s %-26s\n", "ranks", "batch 32 a rank (32 N)", "batch 256 in all"
    printf "bench_mpi:     %-6s %-12s %-13s %-12s %-13s\n", "", "10 GbE", "100 Gb/s", "10 GbE", "100 Gb/s"
    split("2 8 32 128", ns, " ")
    for (i = 1; i <= 4; i++) {
        n = ns[i]
        a10 = 2 * (n - 1) / n * bytes / 1.1e9 * 1000 + 2 * (n - 1) * 0.03
        a100 = 2 * (n - 1) / n * bytes / 11e9 * 1000 + 2 * (n - 1) * 0.003
        line = sprintf("bench_mpi:     %-6d", n)
        for (k = 0; k < 2; k++) {
            B = k == 0 ? 32 * n : 256
            b = B / n
            slow = int(b) < b ? int(b) + 1 : b
            tw = tc / 32            # one window
            ideal = tw * b
            line = line sprintf(" %-12s %-13s", sprintf("%.0f%%", 100 * ideal / (tw * slow + a10)),
                                sprintf("%.0f%%", 100 * ideal / (tw * slow + a100)))
        }
        print line
    }
}'
