/* fuzz_abc.c — the parts of abc.c that read outside text, without running
 * abc2midi (a fork per input would measure the kernel, not our code):
 *
 *   - the ABC file as abc_convert_file splits it: binary data refused, tunes
 *     found at X: lines, each tune's text (file header + tune) cleaned by
 *     abc_clean, its title read with header_field;
 *   - abc_clean on the raw bytes, NULs included (it takes a length);
 *   - the same bytes read as abc2midi's console output: pick_warnings and
 *     first_line_with, which build the warnings and error messages.
 *
 * The MIDI bytes abc2midi writes go through midi_load_memory: fuzz_midi
 * covers them (its seeds include abc2midi output).
 *
 * abc.c is included, not linked, to reach its static functions; nothing in
 * it is changed.  Checked: no allocation failure is reported for small
 * inputs, cleaning never adds lines, the tunes found tile the text after
 * the file header, and the picked warnings are lines of the output.
 */
#include "fuzz.h"

#include "abc.c"

/* Lines (line ends) in s[0..n). */
static size_t count_lines(const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += s[i] == '\n';
    return k;
}

static void clean_and_check(const char *text, size_t len)
{
    char *clean = abc_clean(text, len);
    int oom = 0;
    char *title;
    if (!clean)
        fuzz_fail("abc: abc_clean returned NULL (out of memory) for %zu bytes", len);
    if (count_lines(clean, strlen(clean)) > count_lines(text, len))
        fuzz_fail("abc: cleaning added lines (%zu -> %zu)", count_lines(text, len),
                  count_lines(clean, strlen(clean)));
    title = header_field(clean, strlen(clean), 'T', &oom);
    if (oom)
        fuzz_fail("abc: header_field ran out of memory");
    if (title && strlen(title) > strlen(clean))
        fuzz_fail("abc: a title longer than the tune");
    free(title);
    free(clean);
}

/* The file as abc_convert_file reads it, up to running abc2midi. */
static void split_file(const char *data, size_t len)
{
    size_t first, pos, end, covered = 0;
    int n, i;
    if (len == 0 || memchr(data, '\0', len))
        return;
    n = count_tunes(data, len, &first);
    if (n == 0)
        return;
    if (first >= len)
        fuzz_fail("abc: %d tunes, the first at %zu of %zu bytes", n, first, len);
    for (i = 0, pos = first; pos < len && i < n; i++, pos = end) {
        char *text;
        end = tune_end(data, len, pos);
        if (end <= pos || end > len)
            fuzz_fail("abc: tune %d runs from %zu to %zu of %zu bytes", i, pos, end, len);
        (void)strtol(data + pos + 2, NULL, 10);
        text = malloc(first + (end - pos) + 1);
        if (!text)
            return;
        memcpy(text, data, first);
        memcpy(text + first, data + pos, end - pos);
        text[first + (end - pos)] = '\0';
        clean_and_check(text, first + (end - pos));
        free(text);
        covered += end - pos;
    }
    if (i != n || covered != len - first)
        fuzz_fail("abc: %d of %d tunes found, covering %zu of %zu bytes", i, n, covered,
                  len - first);
}

/* The bytes as abc2midi's captured output (a C string there). */
static void tool_output(const char *out)
{
    int oom = 0;
    char why[256];
    char *w = pick_warnings(out, &oom);
    if (oom)
        fuzz_fail("abc: pick_warnings ran out of memory");
    if (w && (strlen(w) > strlen(out) || (!strstr(w, "Error") && !strstr(w, "Warning"))))
        fuzz_fail("abc: picked warnings that are not in the output: '%.100s'", w);
    free(w);
    first_line_with(out, "Error", why, sizeof why);
    if (why[0] && !strstr(out, why))
        fuzz_fail("abc: first_line_with gave '%s', which is not in the output", why);
    first_line_with(out, "rror", why, sizeof why);
    if (strlen(why) >= sizeof why)
        fuzz_fail("abc: first_line_with overran");
}

int fuzz_abc(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    clean_and_check(text, size);
    split_file(text, size);
    tool_output(text);
    free(text);
    return 0;
}
