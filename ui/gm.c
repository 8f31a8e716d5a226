/* gm.c — General MIDI program names, for the instrument prompt and the
 * header when no soundfont is loaded to ask. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gm.h"

static const char *const gm_names[128] = {
    "Acoustic Grand Piano", "Bright Acoustic Piano", "Electric Grand Piano", "Honky-tonk Piano",
    "Electric Piano 1", "Electric Piano 2", "Harpsichord", "Clavinet", "Celesta", "Glockenspiel",
    "Music Box", "Vibraphone", "Marimba", "Xylophone", "Tubular Bells", "Dulcimer",
    "Drawbar Organ", "Percussive Organ", "Rock Organ", "Church Organ", "Reed Organ", "Accordion",
    "Harmonica", "Tango Accordion", "Nylon Guitar", "Steel Guitar", "Jazz Guitar",
    "Clean Guitar", "Muted Guitar", "Overdriven Guitar", "Distortion Guitar", "Guitar Harmonics",
    "Acoustic Bass", "Fingered Bass", "Picked Bass", "Fretless Bass", "Slap Bass 1",
    "Slap Bass 2", "Synth Bass 1", "Synth Bass 2", "Violin", "Viola", "Cello", "Contrabass",
    "Tremolo Strings", "Pizzicato Strings", "Orchestral Harp", "Timpani", "String Ensemble 1",
    "String Ensemble 2", "Synth Strings 1", "Synth Strings 2", "Choir Aahs", "Voice Oohs",
    "Synth Voice", "Orchestra Hit", "Trumpet", "Trombone", "Tuba", "Muted Trumpet",
    "French Horn", "Brass Section", "Synth Brass 1", "Synth Brass 2", "Soprano Sax", "Alto Sax",
    "Tenor Sax", "Baritone Sax", "Oboe", "English Horn", "Bassoon", "Clarinet", "Piccolo",
    "Flute", "Recorder", "Pan Flute", "Blown Bottle", "Shakuhachi", "Whistle", "Ocarina",
    "Square Lead", "Sawtooth Lead", "Calliope Lead", "Chiff Lead", "Charang Lead", "Voice Lead",
    "Fifths Lead", "Bass Lead", "New Age Pad", "Warm Pad", "Polysynth Pad", "Choir Pad",
    "Bowed Pad", "Metallic Pad", "Halo Pad", "Sweep Pad", "Rain", "Soundtrack", "Crystal",
    "Atmosphere", "Brightness", "Goblins", "Echoes", "Sci-fi", "Sitar", "Banjo", "Shamisen",
    "Koto", "Kalimba", "Bagpipe", "Fiddle", "Shanai", "Tinkle Bell", "Agogo", "Steel Drums",
    "Woodblock", "Taiko Drum", "Melodic Tom", "Synth Drum", "Reverse Cymbal",
    "Guitar Fret Noise", "Breath Noise", "Seashore", "Bird Tweet", "Telephone Ring",
    "Helicopter", "Applause", "Gunshot",
};

/* Short names people type. */
static const struct {
    const char *name;
    int program;
} aliases[] = {
    {"piano", 0},      {"epiano", 4},      {"harpsichord", 6}, {"vibraphone", 11},
    {"marimba", 12},   {"organ", 19},      {"accordion", 21},  {"harmonica", 22},
    {"guitar", 24},    {"steel-guitar", 25}, {"bass", 32},     {"violin", 40},
    {"fiddle", 40},    {"viola", 41},      {"cello", 42},      {"harp", 46},
    {"strings", 48},   {"choir", 52},      {"trumpet", 56},    {"trombone", 57},
    {"horn", 60},      {"sax", 65},        {"oboe", 68},       {"clarinet", 71},
    {"piccolo", 72},   {"flute", 73},      {"recorder", 74},   {"whistle", 78},
    {"ocarina", 79},   {"banjo", 105},     {"bagpipe", 109},
};

const char *studio_program_name(int program, char *buf, size_t size)
{
    snprintf(buf, size, "%s", program >= 0 && program < 128 ? gm_names[program] : "?");
    return buf;
}

/* name's letters and digits, lower case, into out (size bytes); their count. */
static size_t squash(const char *name, char *out, size_t size)
{
    size_t k = 0;
    for (const char *p = name; *p && k + 1 < size; p++)
        if (isalnum((unsigned char)*p))
            out[k++] = (char)tolower((unsigned char)*p);
    out[k] = '\0';
    return k;
}

/* GM program 0..127 from "41" (1-based, as musicians count), a short name
 * or a full GM name (any case, spaces or dashes); -1 when none. */
int studio_program_parse(const char *s)
{
    char want[64], have[64];
    char *end;
    long v;
    size_t k;
    int found = -1;
    while (isspace((unsigned char)*s))
        s++;
    v = strtol(s, &end, 10);
    if (end != s && !*end)
        return v >= 1 && v <= 128 ? (int)v - 1 : -1;
    if (!(k = squash(s, want, sizeof want)))
        return -1;
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
        squash(aliases[i].name, have, sizeof have);
        if (!strcmp(have, want))
            return aliases[i].program;
    }
    for (int i = 0; i < 128; i++) {
        squash(gm_names[i], have, sizeof have);
        if (!strcmp(have, want))
            return i;
    }
    /* a unique prefix of a GM name */
    for (int i = 0; i < 128; i++) {
        squash(gm_names[i], have, sizeof have);
        if (!strncmp(have, want, k)) {
            if (found >= 0)
                return -1;
            found = i;
        }
    }
    return found;
}
