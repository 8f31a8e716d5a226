#!/usr/bin/env python3
"""form_figures.py — a measurement aid for issue 13 (not part of reel).

Counts, over 16-bar melodies as `reel generate --bars 16 --seed N` prints
them (N = 1..n), the bars equal to the bar 4 back and 8 back, and the
melodies whose last note is the tonic of their key (Krumhansl-Schmuckler on
duration-weighted pitch classes, the profiles of src/music/keyprofile.c).
With --corpus DIR it measures the first 16 bars of each tune in DIR instead,
read through the same model's prime (`--prime FILE --prime-bars 16
--events 1`, the one generated step dropped), so both sides are the note
text reel writes.

Two bars are equal when their notes and rests (onsets in the bar, pitches,
lengths) are; a note held over a bar line counts in the bar it starts in.  reel eval gets these figures in another branch;
this script only helps until then.

--bars B measures B bars instead of 16 (with a model that ends its tunes
itself, a large B gives the endings it chose).

usage: tools/form_figures.py REEL MODEL N [--bars B] [--corpus DIR] [-- GENERATE-ARGS...]
"""
import os
import subprocess
import sys

MAJOR = [6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88]
MINOR = [6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17]
NAMES = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


def pitch(name):
    """MIDI pitch of "C#4", or None."""
    pc = NAMES.get(name[0].upper())
    if pc is None:
        return None
    i = 1
    while i < len(name) and name[i] in "#b":
        pc += 1 if name[i] == "#" else -1
        i += 1
    try:
        return (int(name[i:]) + 1) * 12 + pc
    except ValueError:
        return None


def steps(value):
    """Sixteenths of "4.", "16", "4+16"."""
    total = 0.0
    for part in value.split("+"):
        dots = part.count(".")
        base = 16.0 / float(part.rstrip("."))
        total += base * (1.5 if dots else 1.0)
    return total


def drop_generated(text):
    """The corpus side: the one step `--events 1` adds after the prime.  A
    note-on is a 1-step note at the very end (a hold only lengthens the
    prime's last note, an off adds a rest): take it off."""
    toks = text.split()
    if toks and "/" in toks[-1] and not toks[-1].lower().startswith("r/") and \
            steps(toks[-1].split("/", 1)[1]) == 1:
        toks.pop()
    return " ".join(toks)


def parse(text, max_bars=16):
    """Bars and notes (pitch, steps) of the first max_bars bars of reel's
    note text.  Each token goes to the bar its onset falls in (a note held
    over a bar line hides that line in the text); the bar length is the
    shortest distance between the bar lines written.  A bar is the tuple of
    its (onset in the bar, pitch or rest, steps)."""
    events, lines, at = [], [], 0.0
    for t in text.replace("\n", " ").split():
        if t == "|":
            lines.append(at)
            continue
        if "/" not in t:
            continue
        head, value = t.split("/", 1)
        d = steps(value)
        ps = [] if head.lower() == "r" else [pitch(p) for p in head.split(".")]
        ps = [p for p in ps if p is not None]
        events.append((at, max(ps) if ps else None, d))
        at += d
    gaps = [b - a for a, b in zip([0.0] + lines, lines) if b - a > 0]
    bar = min(gaps) if gaps else 16.0
    bars = [[] for _ in range(max_bars)]
    notes = []
    for on, p, d in events:
        k = int(on // bar)
        if k >= max_bars:
            break
        bars[k].append((on - k * bar, p, d))
        if p is not None:
            notes.append((p, d))
    used = int(events[-1][0] // bar) + 1 if events else 0
    return [tuple(b) for b in bars[:min(used, max_bars)]], notes


def corr(h, prof, tonic):
    x = [h[(tonic + i) % 12] for i in range(12)]
    mx, my = sum(x) / 12, sum(prof) / 12
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, prof))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in prof)
    return sxy / (sxx * syy) ** 0.5 if sxx > 0 else float("nan")


def key_of(notes):
    """0..11 major, 12..23 minor (keyprofile.h's numbering), or None."""
    h = [0.0] * 12
    for p, d in notes:
        h[p % 12] += d
    best, top = None, -2
    for k in range(24):
        r = corr(h, MAJOR if k < 12 else MINOR, k % 12)
        if r == r and r > top:
            best, top = k, r
    return best


def tonic(notes):
    k = key_of(notes)
    return None if k is None else k % 12


KEYS = ["C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]


def figures(texts, max_bars=16):
    eq = {4: [0, 0], 8: [0, 0]}
    tonic_end = melodies = 0
    lengths = []
    keys = {}
    for text in texts:
        bars, notes = parse(text, max_bars)
        lengths.append(len(bars))
        if not notes:
            continue
        melodies += 1
        for k in (4, 8):
            for i in range(k, len(bars)):
                eq[k][1] += 1
                eq[k][0] += bars[i] == bars[i - k]
        k = key_of(notes)
        if k is not None:
            name = KEYS[k % 12] + ("m" if k >= 12 else "")
            keys[name] = keys.get(name, 0) + 1
        t = tonic(notes)
        tonic_end += t is not None and notes[-1][0] % 12 == t
    pct = lambda a, b: 100.0 * a / b if b else 0.0
    return {"melodies": melodies,
            "bar = 4 back %": pct(*eq[4]), "bar = 8 back %": pct(*eq[8]),
            "last note on the tonic %": pct(tonic_end, melodies),
            "mean bars": sum(lengths) / len(lengths) if lengths else 0,
            "commonest keys": ", ".join("%s %.0f%%" % (k, 100.0 * v / melodies) for k, v in
                                        sorted(keys.items(), key=lambda kv: -kv[1])[:3])}


def run(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return r.stdout if r.returncode == 0 else ""


def main(argv):
    if len(argv) < 4:
        sys.exit(__doc__)
    reel, model, n = argv[1], argv[2], int(argv[3])
    rest = argv[4:]
    corpus, bars = None, 16
    if rest[:1] == ["--bars"]:
        bars, rest = int(rest[1]), rest[2:]
    if rest[:1] == ["--corpus"]:
        corpus, rest = rest[1], rest[2:]
    if rest[:1] == ["--"]:
        rest = rest[1:]
    texts = []
    if corpus:
        files = sorted(f for f in os.listdir(corpus) if f.lower().endswith((".mid", ".abc")))
        for f in files[:n]:
            out = run([reel, "generate", "-m", model, "--prime", os.path.join(corpus, f),
                       "--prime-bars", str(bars), "--events", "1", "-q", "--seed", "1"] + rest)
            texts.append(drop_generated(out))
    else:
        for s in range(1, n + 1):
            texts.append(run([reel, "generate", "-m", model, "--bars", str(bars), "--seed", str(s),
                              "-q"] + rest))
    for k, v in figures(texts, bars).items():
        print("%-26s %s" % (k, "%.1f" % v if isinstance(v, float) else v))


if __name__ == "__main__":
    main(sys.argv)
