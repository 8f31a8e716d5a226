/* fuzz_settings.c — the studio's settings file (ui/settings.c), as the
 * studio reads it at start: settings_load, then the values read back with
 * settings_get and settings_num.
 *
 * Checked: a failure has a message naming the file; keys are non-empty,
 * shorter than the key field and distinct, values single lines; what was
 * read, saved with settings_save and read again is the same list (the
 * studio writes the file back when it closes, unknown keys included).
 */
#include "fuzz.h"

#include <math.h>
#include <string.h>

#include "settings.h"

static void check(const Settings *s)
{
    for (int i = 0; i < s->n; i++) {
        const SettingsItem *it = &s->items[i];
        size_t k = strnlen(it->key, sizeof it->key);
        double x;
        if (k == 0 || k >= sizeof it->key || !it->val)
            fuzz_fail("settings: item %d: key of %zu bytes, value %p", i, k, (void *)it->val);
        if (strchr(it->val, '\n') || strchr(it->val, '\r'))
            fuzz_fail("settings: item %d: a value with a line break", i);
        for (int j = 0; j < i; j++)
            if (!strcmp(s->items[j].key, it->key))
                fuzz_fail("settings: key '%s' twice", it->key);
        if (settings_get(s, it->key) != it->val)
            fuzz_fail("settings: settings_get('%s') is not its value", it->key);
        x = settings_num(s, it->key, -1e6, 1e6, 12345.0);
        if (!isfinite(x) || (x != 12345.0 && (x < -1e6 || x > 1e6)))
            fuzz_fail("settings: settings_num('%s') = %g", it->key, x);
    }
}

static int same(const Settings *a, const Settings *b)
{
    if (a->n != b->n)
        return 0;
    for (int i = 0; i < a->n; i++)
        if (strcmp(a->items[i].key, b->items[i].key) || strcmp(a->items[i].val, b->items[i].val))
            return 0;
    return 1;
}

int fuzz_settings(const uint8_t *data, size_t size)
{
    const char *path = fuzz_tmp_path(1, "studio.conf");
    const char *saved = fuzz_tmp_path(2, "saved.conf");
    Settings s, back;
    ReelError err;
    settings_init(&s);
    settings_init(&back);
    fuzz_write_file(path, data, size);
    if (settings_load(&s, path, &err) != REEL_OK) {
        if (!fuzz_has(err.msg, path))
            fuzz_fail("settings: the message does not name the file: '%s'", err.msg);
        settings_free(&s);
        return 0;
    }
    check(&s);
    if (settings_save(&s, saved, &err) != REEL_OK)
        fuzz_fail("settings: cannot save: %s", err.msg);
    if (settings_load(&back, saved, &err) != REEL_OK)
        fuzz_fail("settings: what was saved does not load: %s", err.msg);
    if (!same(&s, &back))
        fuzz_fail("settings: %d items read, %d after a save and a load", s.n, back.n);
    settings_free(&back);
    settings_free(&s);
    return 0;
}
