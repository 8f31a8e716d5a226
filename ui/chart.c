/* chart.c — line charts and bars in character cells (see chart.h). */
#include "chart.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

bool chart_init(ChartCanvas *c, int w, int h, ChartGlyphs g)
{
    memset(c, 0, sizeof *c);
    if (w < 1)
        w = 1;
    if (h < 1)
        h = 1;
    c->w = w;
    c->h = h;
    c->glyphs = g;
    c->dx = g == CHART_ASCII ? 1 : 2;
    c->dy = g == CHART_BRAILLE ? 4 : g == CHART_BLOCK ? 2 : 2;
    c->bits = calloc((size_t)w * (size_t)h, 1);
    c->owner = calloc((size_t)w * (size_t)h, 1);
    if (!c->bits || !c->owner) {
        chart_free(c);
        return false;
    }
    return true;
}

void chart_free(ChartCanvas *c)
{
    free(c->bits);
    free(c->owner);
    memset(c, 0, sizeof *c);
}

void chart_clear(ChartCanvas *c)
{
    memset(c->bits, 0, (size_t)c->w * (size_t)c->h);
    memset(c->owner, 0, (size_t)c->w * (size_t)c->h);
}

int chart_dots_w(const ChartCanvas *c)
{
    return c->w * c->dx;
}

int chart_dots_h(const ChartCanvas *c)
{
    return c->h * c->dy;
}

void chart_dot(ChartCanvas *c, int x, int y, int series)
{
    int cx, cy, bit;
    if (x < 0 || y < 0 || x >= chart_dots_w(c) || y >= chart_dots_h(c))
        return;
    cx = x / c->dx;
    cy = y / c->dy;
    bit = (y % c->dy) * c->dx + (x % c->dx); /* row-major inside the cell */
    c->bits[cy * c->w + cx] |= (uint8_t)(1u << bit);
    c->owner[cy * c->w + cx] = (uint8_t)(series + 1);
}

void chart_line(ChartCanvas *c, int x0, int y0, int x1, int y1, int series)
{
    int dx = abs(x1 - x0), sx = x0 < x1 ? 1 : -1;
    int dy = -abs(y1 - y0), sy = y0 < y1 ? 1 : -1;
    int e = dx + dy;
    for (;;) {
        chart_dot(c, x0, y0, series);
        if (x0 == x1 && y0 == y1)
            break;
        if (2 * e >= dy) {
            e += dy;
            x0 += sx;
        }
        if (2 * e <= dx) {
            e += dx;
            y0 += sy;
        }
    }
}

static double nice_step(double span)
{
    double p = pow(10, floor(log10(span))), f = span / p;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p / 10;
}

void chart_nice_range(double lo, double hi, double *out_lo, double *out_hi)
{
    double span, step;
    if (!isfinite(lo) || !isfinite(hi) || lo > hi) {
        *out_lo = 0;
        *out_hi = 1;
        return;
    }
    if (hi - lo < 1e-9 * (fabs(lo) + fabs(hi)) || hi == lo) {
        double pad = fabs(lo) > 1e-12 ? fabs(lo) * 0.1 : 1;
        lo -= pad;
        hi += pad;
    }
    span = hi - lo;
    lo -= span * 0.05;
    hi += span * 0.05;
    step = nice_step(hi - lo);
    *out_lo = floor(lo / step) * step;
    *out_hi = ceil(hi / step) * step;
}

bool chart_minmax(const float *y, int n, double *lo, double *hi)
{
    bool any = false;
    for (int i = 0; i < n; i++) {
        if (!isfinite(y[i]))
            continue;
        if (!any || y[i] < *lo)
            *lo = y[i];
        if (!any || y[i] > *hi)
            *hi = y[i];
        any = true;
    }
    return any;
}

int chart_row_of(double v, double lo, double hi, int H)
{
    double t;
    int r;
    if (H <= 1 || !(hi > lo))
        return H - 1 > 0 ? H - 1 : 0;
    t = (v - lo) / (hi - lo);
    if (!(t >= 0))
        t = 0;
    if (t > 1)
        t = 1;
    r = (H - 1) - (int)floor(t * (H - 1) + 0.5);
    return r;
}

void chart_plot(ChartCanvas *c, const float *y, int n, double x_max, double lo, double hi,
                int series)
{
    int W = chart_dots_w(c), H = chart_dots_h(c);
    int px = -1, py = -1;
    double xm;
    if (n <= 0)
        return;
    xm = x_max > 0 ? x_max : (n > 1 ? n - 1 : 1);
    if (xm < 1)
        xm = 1;
    if (n > W) {
        /* Mean per dot column. */
        double *sum = calloc((size_t)W, sizeof *sum);
        int *cnt = calloc((size_t)W, sizeof *cnt);
        if (!sum || !cnt) {
            free(sum);
            free(cnt);
            return;
        }
        for (int i = 0; i < n; i++) {
            int x = (int)floor(i / xm * (W - 1) + 0.5);
            if (x < 0 || x >= W || !isfinite(y[i]))
                continue;
            sum[x] += y[i];
            cnt[x]++;
        }
        for (int x = 0; x < W; x++) {
            int r;
            if (!cnt[x])
                continue;
            r = chart_row_of(sum[x] / cnt[x], lo, hi, H);
            if (px >= 0 && x - px <= 2)
                chart_line(c, px, py, x, r, series);
            else
                chart_dot(c, x, r, series);
            px = x;
            py = r;
        }
        free(sum);
        free(cnt);
        return;
    }
    for (int i = 0; i < n; i++) {
        int x, r;
        if (!isfinite(y[i])) {
            px = -1;
            continue;
        }
        x = (int)floor(i / xm * (W - 1) + 0.5);
        r = chart_row_of(y[i], lo, hi, H);
        if (px >= 0)
            chart_line(c, px, py, x, r, series);
        else
            chart_dot(c, x, r, series);
        px = x;
        py = r;
    }
}

/* UTF-8 of a code point into out (NUL-terminated). */
static void utf8(unsigned cp, char out[8])
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        out[1] = '\0';
    } else if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        out[2] = '\0';
    } else {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        out[3] = '\0';
    }
}

int chart_cell(const ChartCanvas *c, int x, int y, char out[8])
{
    uint8_t b;
    if (x < 0 || y < 0 || x >= c->w || y >= c->h) {
        out[0] = ' ';
        out[1] = '\0';
        return 0;
    }
    b = c->bits[y * c->w + x];
    if (!b) {
        out[0] = ' ';
        out[1] = '\0';
        return 0;
    }
    switch (c->glyphs) {
    case CHART_BRAILLE: {
        /* Our bit (row r, col k) = r * 2 + k; braille dots: col 0 rows 0-2 are
         * 1,2,3 (bits 0,1,2), col 1 rows 0-2 are 4,5,6 (bits 3,4,5), row 3 is
         * 7 (bit 6) and 8 (bit 7). */
        static const uint8_t map[8] = {0x01, 0x08, 0x02, 0x10, 0x04, 0x20, 0x40, 0x80};
        unsigned v = 0;
        for (int i = 0; i < 8; i++)
            if (b & (1u << i))
                v |= map[i];
        utf8(0x2800 + v, out);
        break;
    }
    case CHART_BLOCK: {
        /* bits: 0 upper left, 1 upper right, 2 lower left, 3 lower right. */
        static const unsigned quad[16] = {
            ' ',    0x2598, 0x259D, 0x2580, 0x2596, 0x258C, 0x259E, 0x259B,
            0x2597, 0x259A, 0x2590, 0x259C, 0x2584, 0x2599, 0x259F, 0x2588,
        };
        utf8(quad[b & 15], out);
        break;
    }
    case CHART_ASCII:
    default:
        /* bit 0 upper half, bit 1 lower half. */
        out[0] = (b & 3) == 3 ? ':' : (b & 1) ? '\'' : '.';
        out[1] = '\0';
        break;
    }
    return c->owner[y * c->w + x];
}

char *chart_hbar(double frac, int width, bool utf8_ok, char *out, int size)
{
    int eighths, full, o = 0;
    if (size <= 0)
        return out;
    if (!(frac >= 0))
        frac = 0;
    if (frac > 1)
        frac = 1;
    if (width < 0)
        width = 0;
    eighths = (int)floor(frac * width * 8 + 0.5);
    full = eighths / 8;
    for (int i = 0; i < width; i++) {
        const char *g;
        char buf[8];
        int len;
        if (i < full) {
            g = utf8_ok ? "\u2588" : "#";
        } else if (i == full && eighths % 8) {
            if (utf8_ok) {
                utf8(0x2590 - (eighths % 8), buf); /* U+258F one eighth .. U+2589 seven */
                g = buf;
            } else {
                g = eighths % 8 >= 4 ? "#" : " ";
            }
        } else {
            g = " ";
        }
        len = (int)strlen(g);
        if (o + len + 1 > size)
            break;
        memcpy(out + o, g, (size_t)len);
        o += len;
    }
    out[o] = '\0';
    return out;
}
