#!/bin/sh
# crash.sh — reel train killed with SIGKILL at random moments, a dozen times:
# the model file is always a complete checkpoint (reel info reads it, its
# progress never goes back), --resume goes on from it, and the temporary
# files of a save cut short are cleaned up.  Then a full disk (a 1 MiB tmpfs,
# when this machine lets us mount one): a clear error, the old checkpoint
# intact.  Crash-safe training is issue #7.
set -u
REEL=${REEL_BIN:-build/reel}
CORPUS=${REEL_CORPUS:-../shared/corpus}
KILLS=${CRASH_KILLS:-12}
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
tmp_dir crash
SHOW_END=tail SHOW_HAS=20
mnt="$tmp/full"
on_cleanup() {
    [ -n "${pid:-}" ] && kill -9 "$pid" 2>/dev/null
    mountpoint -q "$mnt" 2>/dev/null && umount "$mnt"
}

data="$tmp/tunes"; mkdir -p "$data"
for t in AcaciaReel AcrobatsHornpipe AdmiralsHornpipe AfterTheHareReel AlbemarleHornpipe \
         AldridgesHornpipe BelleOfClaremontHornpipe BoysOfBockhillJig; do
    cp "$CORPUS/ryans-mammoth/midi/$t.mid" "$data/" || fail "corpus file $t"
done

m="$tmp/m.reel"
# A checkpoint every 2 batches (a 2 x 192 model: about 3 MB with the
# optimizer state, each save written aside, fsynced and renamed).
args="--encoding melody --hidden 192 --layers 2 --window 48 --batch 8 --epochs 40 --seed 5 \
      --checkpoint-every 2 --log none -q"

# progress of the model file: "EPOCH BATCHES", or "none"
progress() {
    [ -f "$m" ] || { echo none; return; }
    "$REEL" info "$m" > "$tmp/info" 2> "$tmp/info.err" || { echo bad; return; }
    sed -n 's/.*progress *epoch \([0-9]*\) of [0-9]*.*, \([0-9]*\) batches,.*/\1 \2/p' "$tmp/info"
}

# A deterministic spread of kill delays, 0.15 s to 2.4 s (run-to-run the
# moments differ anyway: the machine's timing decides where each kill lands).
delays="0.3 1.1 0.15 2.4 0.7 1.6 0.45 0.9 2.0 0.25 1.3 0.6 1.9 0.35 0.8 1.45"
i=0 survived=0 mid_save=0 last_b=-1 cleaned=0
for d in $delays; do
    [ "$i" -ge "$KILLS" ] && break
    i=$((i + 1))
    if [ -f "$m" ]; then
        "$REEL" train $args --resume "$data" -o "$m" > "$tmp/out.$i" 2> "$tmp/err.$i" &
    else
        "$REEL" train $args "$data" -o "$m" > "$tmp/out.$i" 2> "$tmp/err.$i" &
    fi
    pid=$!
    sleep "$d"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    pid=
    grep -q "removed [0-9]* unfinished checkpoint" "$tmp/err.$i" && cleaned=$((cleaned + 1))
    ls "$m".tmp-* > /dev/null 2>&1 && mid_save=$((mid_save + 1))
    p=$(progress)
    case "$p" in
        none) ok ;;  # killed before the first checkpoint
        bad) fail "kill $i (after ${d}s): the model file is not a complete model:"; sed 's/^/    /' "$tmp/info.err" ;;
        *)
            b=${p#* }
            if [ "$b" -ge "$last_b" ]; then ok; else fail "kill $i: progress went back from $last_b to $b batches"; fi
            last_b=$b
            survived=$((survived + 1)) ;;
    esac
done
echo "crash.sh: $i kills with SIGKILL, the model file complete after $survived of them (before the first checkpoint: $((i - survived))), $mid_save during a save; temporaries cleaned by the next run $cleaned times"
[ "$survived" -ge $((i / 2)) ] && ok || fail "most kills should land after a checkpoint ($survived of $i)"
[ "$last_b" -gt 0 ] && ok || fail "no progress at all was saved"

# --resume from what the kills left goes on to the end.
"$REEL" train $args --epochs 2 --resume "$data" -o "$m" > "$tmp/out" 2> "$tmp/err"
rc=$?
if [ "$(progress | cut -d' ' -f1)" -ge 2 ] 2>/dev/null; then
    # the kills got past epoch 2 already: ask for one epoch more
    e=$(( $(progress | cut -d' ' -f1) + 1 ))
    "$REEL" train $args --epochs "$e" --resume "$data" -o "$m" > "$tmp/out" 2> "$tmp/err"
    rc=$?
fi
[ "$rc" -eq 0 ] && ok || { fail "--resume after the kills: exit $rc"; sed 's/^/    /' "$tmp/err" | tail; }
p=$(progress)
b=${p#* }
[ "$p" != bad ] && [ "$b" -gt "$last_b" ] && ok || fail "--resume went on: $last_b -> $p"
ls "$m".tmp-* > /dev/null 2>&1 && fail "temporary files left: $(ls "$m".tmp-*)" || ok

# A full disk while saving: the old checkpoint stays, the error says so.
mkdir -p "$mnt"
# room for the checkpoint and 1 MiB more: not for a second copy of it
kib=$(( $(stat -c %s "$m") / 1024 + 1024 ))
if mount -t tmpfs -o size=${kib}k tmpfs "$mnt" 2> /dev/null; then
    cp "$m" "$mnt/m.reel"
    sum=$("$REEL" info "$mnt/m.reel" | sed -n 's/.*checksum \([0-9a-f]*\).*/\1/p')
    e=$(( $(progress | cut -d' ' -f1) + 1 ))
    "$REEL" train $args --epochs "$e" --resume "$data" -o "$mnt/m.reel" > "$tmp/out" 2> "$tmp/err"
    rc=$?
    [ "$rc" -eq 1 ] && ok || fail "a full disk: exit $rc, wanted 1"
    has "$tmp/err" "m.reel: writing the model failed: No space left on device" "full disk: named"
    has "$tmp/err" "unchanged" "full disk: the old file is unchanged"
    sum2=$("$REEL" info "$mnt/m.reel" | sed -n 's/.*checksum \([0-9a-f]*\).*/\1/p')
    [ -n "$sum" ] && [ "$sum" = "$sum2" ] && ok || fail "full disk: the checkpoint changed ($sum -> $sum2)"
    ls "$mnt"/m.reel.tmp-* > /dev/null 2>&1 && fail "full disk: a temporary file was left" || ok
    umount "$mnt"
else
    echo "crash.sh: cannot mount a tmpfs here (not root?): the full-disk case is covered by test_train's file-size limit only"
fi

finish
