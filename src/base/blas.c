/* blas.c — see blas.h.  The one file that includes cblas.h. */
#include "blas.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

static enum CBLAS_TRANSPOSE cb_trans(BlasTrans t)
{
    return t == BLAS_T ? CblasTrans : CblasNoTrans;
}

void blas_sgemm(BlasTrans ta, BlasTrans tb, int m, int n, int k, float alpha,
                const float *A, int lda, const float *B, int ldb, float beta,
                float *C, int ldc)
{
    if (m <= 0 || n <= 0)
        return;
    if (k <= 0) {
        /* BLAS leaves this to the library; make it explicit. */
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                C[(size_t)i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[(size_t)i * ldc + j];
        return;
    }
    cblas_sgemm(CblasRowMajor, cb_trans(ta), cb_trans(tb), m, n, k, alpha, A, lda, B, ldb,
                beta, C, ldc);
}

void blas_sgemm_ref(BlasTrans ta, BlasTrans tb, int m, int n, int k, float alpha,
                    const float *A, int lda, const float *B, int ldb, float beta,
                    float *C, int ldc)
{
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double s = 0.0;
            for (int p = 0; p < k; p++) {
                float a = ta == BLAS_N ? A[(size_t)i * lda + p] : A[(size_t)p * lda + i];
                float b = tb == BLAS_N ? B[(size_t)p * ldb + j] : B[(size_t)j * ldb + p];
                s += (double)a * b;
            }
            float *c = &C[(size_t)i * ldc + j];
            *c = (float)(alpha * s + (beta == 0.0f ? 0.0 : (double)beta * *c));
        }
}

void blas_sgemv(BlasTrans ta, int m, int n, float alpha, const float *A, int lda,
                const float *x, float beta, float *y)
{
    int ylen = ta == BLAS_N ? m : n;
    if (ylen <= 0)
        return;
    if ((ta == BLAS_N ? n : m) <= 0) {
        for (int i = 0; i < ylen; i++)
            y[i] = beta == 0.0f ? 0.0f : beta * y[i];
        return;
    }
    cblas_sgemv(CblasRowMajor, cb_trans(ta), m, n, alpha, A, lda, x, 1, beta, y, 1);
}

void blas_sgemv_ref(BlasTrans ta, int m, int n, float alpha, const float *A, int lda,
                    const float *x, float beta, float *y)
{
    int ylen = ta == BLAS_N ? m : n, xlen = ta == BLAS_N ? n : m;
    for (int i = 0; i < ylen; i++) {
        double s = 0.0;
        for (int p = 0; p < xlen; p++)
            s += (double)(ta == BLAS_N ? A[(size_t)i * lda + p] : A[(size_t)p * lda + i]) * x[p];
        y[i] = (float)(alpha * s + (beta == 0.0f ? 0.0 : (double)beta * y[i]));
    }
}

/* ---- packed products ---------------------------------------------------- */

#define PANEL 32 /* columns per panel: two 16-float vectors */

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define HAVE_NATIVE 1
#include <immintrin.h>

/* The kernel: AVX-512 fused multiply-adds, whatever the build flags (the
 * caller checks the CPU), written as intrinsics so that every optimisation
 * level computes the same bits.  C tile of mr <= 8 rows x 32 columns in 16
 * registers; per k, two panel loads and mr broadcasts of A. */
#pragma GCC push_options
#pragma GCC target("avx512f")

typedef float v16 __attribute__((vector_size(64)));

static inline __attribute__((always_inline)) void packed_tile(int mr, int K, const float *A,
                                                              int lda, const float *pp, float beta,
                                                              float *C, int ldc, int nc)
{
    v16 c0[8], c1[8];
    for (int r = 0; r < mr; r++) {
        float tmp[PANEL] = {0};
        if (beta == 0.0f) {
            c0[r] = (v16){0};
            c1[r] = (v16){0};
            continue;
        }
        if (nc == PANEL)
            memcpy(tmp, C + (size_t)r * ldc, sizeof tmp);
        else
            memcpy(tmp, C + (size_t)r * ldc, (size_t)nc * sizeof(float));
        memcpy(&c0[r], tmp, sizeof c0[r]);
        memcpy(&c1[r], tmp + 16, sizeof c1[r]);
    }
    for (int k = 0; k < K; k++) {
        v16 b0, b1;
        memcpy(&b0, pp + (size_t)k * PANEL, sizeof b0);
        memcpy(&b1, pp + (size_t)k * PANEL + 16, sizeof b1);
#pragma GCC unroll 16
        for (int r = 0; r < mr; r++) {
            __m512 a = _mm512_set1_ps(A[(size_t)r * lda + k]);
            c0[r] = (v16)_mm512_fmadd_ps(a, (__m512)b0, (__m512)c0[r]);
            c1[r] = (v16)_mm512_fmadd_ps(a, (__m512)b1, (__m512)c1[r]);
        }
    }
    for (int r = 0; r < mr; r++) {
        float tmp[PANEL];
        memcpy(tmp, &c0[r], sizeof c0[r]);
        memcpy(tmp + 16, &c1[r], sizeof c1[r]);
        memcpy(C + (size_t)r * ldc, tmp, (size_t)nc * sizeof(float));
    }
}

static void packed_kernel(int M, int N, int K, const float *A, int lda, const float *P, float beta,
                          float *C, int ldc)
{
    for (int j0 = 0; j0 < N; j0 += PANEL) {
        const float *pp = P + (size_t)j0 * K;
        int nc = N - j0 < PANEL ? N - j0 : PANEL, i0 = 0;
        float *cj = C + j0;
        for (; i0 + 8 <= M; i0 += 8)
            packed_tile(8, K, A + (size_t)i0 * lda, lda, pp, beta, cj + (size_t)i0 * ldc, ldc, nc);
        switch (M - i0) { /* constant row counts, so every tile is unrolled */
        case 7: packed_tile(7, K, A + (size_t)i0 * lda, lda, pp, beta, cj + (size_t)i0 * ldc, ldc, nc); break;
        case 6: packed_tile(6, K, A + (size_t)i0 * lda, lda, pp, beta, cj + (size_t)i0 * ldc, ldc, nc); break;
        case 5: packed_tile(5, K, A + (size_t)i0 * lda, lda, pp, beta, cj + (size_t)i0 * ldc, ldc, nc); break;
        case 4: packed_tile(4, K, A + (size_t)i0 * lda, lda, pp, beta, cj + (size_t)i0 * ldc, ldc, nc); break;
        case 3: packed_tile(3, K, A + (size_t)i0 * lda, lda, pp, beta, cj + (size_t)i0 * ldc, ldc, nc); break;
        case 2: packed_tile(2, K, A + (size_t)i0 * lda, lda, pp, beta, cj + (size_t)i0 * ldc, ldc, nc); break;
        case 1: packed_tile(1, K, A + (size_t)i0 * lda, lda, pp, beta, cj + (size_t)i0 * ldc, ldc, nc); break;
        default: break;
        }
    }
}

#pragma GCC pop_options
#endif

static int native = -1; /* -1: not decided yet */

int blas_packed_native(void)
{
#ifdef HAVE_NATIVE
    if (native < 0) {
        const char *off = getenv("REEL_BLAS_NO_KERNEL");
        native = __builtin_cpu_supports("avx512f") && !(off && *off && *off != '0');
    }
    return native;
#else
    return 0;
#endif
}

void blas_set_packed_native(int on)
{
#ifdef HAVE_NATIVE
    native = on && __builtin_cpu_supports("avx512f");
#else
    (void)on;
    native = 0;
#endif
}

size_t blas_packed_len(int K, int N)
{
    /* the panel layout's padded size, enough for either layout */
    return (size_t)K * (((size_t)N + PANEL - 1) / PANEL * PANEL);
}

void blas_pack(BlasTrans tw, int K, int N, const float *W, int ldw, float *P)
{
    if (blas_packed_native()) {
        /* panel p: rows k = 0..K-1 of columns 32p..32p+31, zero-padded */
        for (int j0 = 0; j0 < N; j0 += PANEL) {
            float *panel = P + (size_t)j0 * K;
            int nc = N - j0 < PANEL ? N - j0 : PANEL;
            if (nc < PANEL)
                memset(panel, 0, (size_t)K * PANEL * sizeof(float));
            if (tw == BLAS_N)
                for (int k = 0; k < K; k++)
                    memcpy(panel + (size_t)k * PANEL, W + (size_t)k * ldw + j0, (size_t)nc * sizeof(float));
            else
                for (int j = 0; j < nc; j++) {
                    const float *src = W + (size_t)(j0 + j) * ldw;
                    for (int k = 0; k < K; k++)
                        panel[(size_t)k * PANEL + j] = src[k];
                }
        }
        return;
    }
    for (int k = 0; k < K; k++)
        for (int j = 0; j < N; j++)
            P[(size_t)k * N + j] = tw == BLAS_N ? W[(size_t)k * ldw + j] : W[(size_t)j * ldw + k];
}

void blas_sgemm_packed(int M, int N, int K, const float *A, int lda, const float *P, float beta,
                       float *C, int ldc)
{
    if (M <= 0 || N <= 0)
        return;
#ifdef HAVE_NATIVE
    if (blas_packed_native()) {
        packed_kernel(M, N, K, A, lda, P, beta, C, ldc);
        return;
    }
#endif
    blas_sgemm(BLAS_N, BLAS_N, M, N, K, 1.0f, A, lda, P, N, beta, C, ldc);
}

/* ---- half-precision weights ---------------------------------------------- */

static float half_to_float1(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu, bits;
    float f;
    if (e == 0) {
        f = ldexpf((float)m, -24); /* zero or subnormal: exact */
        return sign ? -f : f;
    }
    if (e == 31)
        bits = sign | 0x7f800000u | (m << 13);
    else
        bits = sign | ((e + 112u) << 23) | (m << 13);
    memcpy(&f, &bits, sizeof f);
    return f;
}

static uint16_t float_to_half1(float f)
{
    uint32_t x, ax;
    uint16_t sign;
    memcpy(&x, &f, sizeof x);
    sign = (uint16_t)((x >> 16) & 0x8000u);
    ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u) /* NaN: quiet, keeping the top payload bits */
        return (uint16_t)(sign | 0x7e00u | (ax >> 13 & 0x3ffu));
    if (ax >= 0x477ff000u) /* 65520 and up (infinity too) */
        return (uint16_t)(sign | 0x7c00u);
    if (ax < 0x38800000u) { /* below 2^-14: a subnormal half, round(|f| * 2^24) */
        float a;
        memcpy(&a, &ax, sizeof a);
        return (uint16_t)(sign | (uint16_t)lrintf(a * 16777216.0f)); /* 1024 is 2^-14, right */
    }
    ax -= 112u << 23; /* rebias; then round 23 mantissa bits to 10, to nearest even */
    return (uint16_t)(sign | ((ax + 0xfffu + ((ax >> 13) & 1u)) >> 13));
}

void blas_hgemv_t_ref(int m, int n, const uint16_t *A, int lda, const float *x, float *y)
{
    for (int j = 0; j < n; j++) {
        double s = 0.0;
        for (int i = 0; i < m; i++)
            s += (double)x[i] * half_to_float1(A[(size_t)i * lda + j]);
        y[j] = (float)((double)y[j] + s);
    }
}

static void hgemv_t_c(int m, int n, const uint16_t *A, int lda, const float *x, float *y)
{
    enum { NB = 64 };
    float acc[NB];
    for (int j0 = 0; j0 < n; j0 += NB) {
        int nc = n - j0 < NB ? n - j0 : NB;
        memcpy(acc, y + j0, (size_t)nc * sizeof(float));
        for (int i = 0; i < m; i++) {
            const uint16_t *r = A + (size_t)i * lda + j0;
            float xi = x[i];
            if (xi == 0.0f)
                continue;
            for (int j = 0; j < nc; j++)
                acc[j] += xi * half_to_float1(r[j]);
        }
        memcpy(y + j0, acc, (size_t)nc * sizeof(float));
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
#define HAVE_HALF_SIMD 1
#include <cpuid.h>
#include <immintrin.h>

#define TARGET_AVX2 __attribute__((target("avx2,f16c,fma")))
#define TARGET_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,f16c,fma")))

/* The SIMD kernels take the rows whose x is not 0 in groups of up to
 * HROWS, and sweep each group's rows from left to right, adding the group
 * to y one vector of columns at a time: the rows stream through in order,
 * which the hardware prefetchers follow (a column-blocked sweep strides
 * through the matrix and runs at a third of the speed). */
#ifndef HROWS
#define HROWS 8
#endif
#ifndef HPF
#define HPF 512 /* bytes ahead each row is prefetched */
#endif

/* Collect the next rows with x[i] != 0 from *i on: up to HROWS into idx. */
static inline int next_rows(int m, const float *x, int *i, int *idx)
{
    int g = 0;
    for (; *i < m && g < HROWS; ++*i)
        if (x[*i] != 0.0f)
            idx[g++] = *i;
    return g;
}

TARGET_AVX2 static void hgemv_t_avx2(int m, int n, const uint16_t *A, int lda, const float *x,
                                     float *y)
{
    int idx[HROWS], i = 0, g;
    while ((g = next_rows(m, x, &i, idx)) > 0) {
        const uint16_t *r[HROWS];
        __m256 a[HROWS];
        int j = 0;
        for (int k = 0; k < g; k++) {
            r[k] = A + (size_t)idx[k] * lda;
            a[k] = _mm256_set1_ps(x[idx[k]]);
        }
        for (; j + 8 <= n; j += 8) {
            __m256 c = _mm256_loadu_ps(y + j);
            for (int k = 0; k < g; k++)
                c = _mm256_fmadd_ps(a[k], _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(r[k] + j))), c);
            _mm256_storeu_ps(y + j, c);
        }
        for (; j < n; j++) {
            float c = y[j];
            for (int k = 0; k < g; k++)
                c = fmaf(x[idx[k]], half_to_float1(r[k][j]), c);
            y[j] = c;
        }
    }
}

TARGET_AVX512 static void hgemv_t_avx512(int m, int n, const uint16_t *A, int lda,
                                         const float *x, float *y)
{
    int idx[HROWS], i = 0, g;
    __mmask16 tail = (__mmask16)((1u << (n % 16)) - 1u);
    while ((g = next_rows(m, x, &i, idx)) > 0) {
        const uint16_t *r[HROWS];
        __m512 a[HROWS];
        int j = 0;
        for (int k = 0; k < g; k++) {
            r[k] = A + (size_t)idx[k] * lda;
            a[k] = _mm512_set1_ps(x[idx[k]]);
        }
        if (g == HROWS) { /* the common case, unrolled; a cache line per row per pass */
            for (; j + 32 <= n; j += 32) {
                __m512 c0 = _mm512_loadu_ps(y + j), c1 = _mm512_loadu_ps(y + j + 16);
#pragma GCC unroll 16
                for (int k = 0; k < HROWS; k++) {
                    _mm_prefetch((const char *)(r[k] + j) + HPF, _MM_HINT_T0);
                    c0 = _mm512_fmadd_ps(a[k], _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)(r[k] + j))), c0);
                    c1 = _mm512_fmadd_ps(a[k], _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)(r[k] + j + 16))), c1);
                }
                _mm512_storeu_ps(y + j, c0);
                _mm512_storeu_ps(y + j + 16, c1);
            }
        }
        {
            for (; j + 16 <= n; j += 16) {
                __m512 c = _mm512_loadu_ps(y + j);
                for (int k = 0; k < g; k++)
                    c = _mm512_fmadd_ps(a[k], _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)(r[k] + j))), c);
                _mm512_storeu_ps(y + j, c);
            }
        }
        if (j < n) {
            __m512 c = _mm512_maskz_loadu_ps(tail, y + j);
            for (int k = 0; k < g; k++)
                c = _mm512_fmadd_ps(a[k], _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(tail, r[k] + j)), c);
            _mm512_mask_storeu_ps(y + j, tail, c);
        }
    }
}

TARGET_AVX2 static void half_convert_avx2(const float *x, uint16_t *h, const uint16_t *hin,
                                          float *xout, size_t n)
{
    size_t i = 0;
    if (x)
        for (; i + 8 <= n; i += 8)
            _mm_storeu_si128((__m128i *)(void *)(h + i),
                             _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    else
        for (; i + 8 <= n; i += 8)
            _mm256_storeu_ps(xout + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(hin + i))));
    for (; i < n; i++)
        if (x)
            h[i] = float_to_half1(x[i]);
        else
            xout[i] = half_to_float1(hin[i]);
}
#endif

static int half_level = -1; /* -1: not decided yet */

#ifdef HAVE_HALF_SIMD
/* F16C from cpuid: clang 14's __builtin_cpu_supports does not know "f16c". */
static int cpu_has_f16c(void)
{
    unsigned a, b, c, d;
    return __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C);
}
#endif

static int half_cpu_level(void)
{
#ifdef HAVE_HALF_SIMD
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && cpu_has_f16c() &&
        __builtin_cpu_supports("fma"))
        return 2;
    if (__builtin_cpu_supports("avx2") && cpu_has_f16c() && __builtin_cpu_supports("fma"))
        return 1;
#endif
    return 0;
}

int blas_half_level(void)
{
    if (half_level < 0) {
        const char *e = getenv("REEL_BLAS_HALF_LEVEL");
        int cpu = half_cpu_level();
        half_level = e && *e >= '0' && *e <= '2' && *e - '0' < cpu ? *e - '0' : cpu;
    }
    return half_level;
}

void blas_set_half_level(int level)
{
    int cpu = half_cpu_level();
    half_level = level < 0 ? -1 : level < cpu ? level : cpu;
}

void blas_float_to_half(const float *x, uint16_t *h, size_t n)
{
#ifdef HAVE_HALF_SIMD
    if (blas_half_level() >= 1) {
        half_convert_avx2(x, h, NULL, NULL, n);
        return;
    }
#endif
    for (size_t i = 0; i < n; i++)
        h[i] = float_to_half1(x[i]);
}

void blas_half_to_float(const uint16_t *h, float *x, size_t n)
{
#ifdef HAVE_HALF_SIMD
    if (blas_half_level() >= 1) {
        half_convert_avx2(NULL, NULL, h, x, n);
        return;
    }
#endif
    for (size_t i = 0; i < n; i++)
        x[i] = half_to_float1(h[i]);
}

void blas_hgemv_t(int m, int n, const uint16_t *A, int lda, const float *x, float *y)
{
    if (m <= 0 || n <= 0)
        return;
#ifdef HAVE_HALF_SIMD
    switch (blas_half_level()) {
    case 2: hgemv_t_avx512(m, n, A, lda, x, y); return;
    case 1: hgemv_t_avx2(m, n, A, lda, x, y); return;
    default: break;
    }
#endif
    hgemv_t_c(m, n, A, lda, x, y);
}

/* ---- int8 weights -------------------------------------------------------- */

#define Q8_GROUP 8 /* column blocks side by side in the packed stream */

static size_t align64(size_t b) { return (b + 63) & ~(size_t)63; }

size_t blas_q8_bytes(int m, int n)
{
    size_t m4 = ((size_t)m + 3) & ~(size_t)3, n16 = ((size_t)n + 15) & ~(size_t)15;
    return align64(m4 * n16) + align64(n16 * sizeof(float)) + align64(n16 * sizeof(int32_t));
}

/* Where element (i, j) lives in the packed bytes. */
static size_t q8_index(const BlasQ8 *q, int i, int j)
{
    size_t groups = (size_t)q->m4 / 4, jb = (size_t)j / 16, c = (size_t)j % 16;
    size_t g = (size_t)i / 4, r = (size_t)i % 4;
    size_t nb = (size_t)q->n16 / 16, full = nb / Q8_GROUP * Q8_GROUP;
    if (jb < full)
        return (jb / Q8_GROUP) * groups * 64 * Q8_GROUP + g * 64 * Q8_GROUP + (jb % Q8_GROUP) * 64 +
               c * 4 + r;
    return full * groups * 64 + (jb - full) * groups * 64 + g * 64 + c * 4 + r;
}

int blas_q8_pack(BlasQ8 *q, int m, int n, const float *A, int lda, void *mem)
{
    unsigned char *p = mem;
    q->m = m;
    q->n = n;
    q->m4 = (m + 3) & ~3;
    q->n16 = (n + 15) & ~15;
    q->q = (int8_t *)p;
    q->scale = (float *)(void *)(p + align64((size_t)q->m4 * (size_t)q->n16));
    q->off = (int32_t *)(void *)((unsigned char *)q->scale + align64((size_t)q->n16 * sizeof(float)));
    memset(q->q, 0, (size_t)q->m4 * (size_t)q->n16);
    for (int j = 0; j < q->n16; j++) {
        float mx = 0.0f;
        int32_t sum = 0;
        if (j < n)
            for (int i = 0; i < m; i++) {
                float a = fabsf(A[(size_t)i * (size_t)lda + (size_t)j]);
                if (!(a <= FLT_MAX))
                    return -1;
                mx = a > mx ? a : mx;
            }
        q->scale[j] = mx / 127.0f;
        if (mx > 0.0f) {
            float inv = 127.0f / mx;
            for (int i = 0; i < m; i++) {
                float v = nearbyintf(A[(size_t)i * (size_t)lda + (size_t)j] * inv);
                int k = v > 127.0f ? 127 : v < -127.0f ? -127 : (int)v;
                q->q[q8_index(q, i, j)] = (int8_t)k;
                sum += k;
            }
        }
        q->off[j] = 128 * sum;
    }
    return 0;
}

size_t blas_q8_work(const BlasQ8 *q)
{
    return align64((size_t)q->m4);
}

/* One value in steps of 1/inv as an unsigned byte + 128; a NaN (which
 * the max passed over) as 128, what the AVX-512 conversion makes of it. */
static uint8_t q8_byte(float x, float inv)
{
    float v = x * inv;
    return v == v ? (uint8_t)(128 + (int)nearbyintf(v)) : 128;
}

/* x into unsigned bytes xq + 128 (the padding rows 128: their weights are 0);
 * returns sx, 0 when x is all zeros. */
static float q8_quantize_x(const BlasQ8 *q, const float *x, uint8_t *xq)
{
    float mx = 0.0f, inv;
    for (int i = 0; i < q->m; i++) {
        float a = fabsf(x[i]);
        mx = a > mx ? a : mx;
    }
    if (!(mx > 0.0f) || !(mx <= FLT_MAX))
        return mx > 0.0f ? NAN : 0.0f;
    inv = 127.0f / mx;
    for (int i = 0; i < q->m; i++)
        xq[i] = q8_byte(x[i], inv);
    for (int i = q->m; i < q->m4; i++)
        xq[i] = 128;
    return mx / 127.0f;
}

static void q8_finish(const BlasQ8 *q, const int32_t *acc, float sx, int j0, int nc, float *y)
{
    for (int c = 0; c < nc; c++)
        y[j0 + c] += q->scale[j0 + c] * sx * (float)(acc[c] - q->off[j0 + c]);
}

void blas_q8gemv_t_ref(const BlasQ8 *q, const float *x, float *y, void *work)
{
    uint8_t *xq = work;
    float sx = q8_quantize_x(q, x, xq);
    if (sx == 0.0f)
        return;
    if (isnan(sx)) {
        for (int j = 0; j < q->n; j++)
            y[j] = NAN;
        return;
    }
    for (int j = 0; j < q->n; j++) {
        int32_t acc = 0;
        for (int i = 0; i < q->m4; i++)
            acc += (int32_t)xq[i] * (int32_t)q->q[q8_index(q, i, j)];
        q8_finish(q, &acc, sx, j, 1, y);
    }
}

#ifdef HAVE_HALF_SIMD
#define TARGET_VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))

/* q8_quantize_x with AVX-512: the same bytes (the same max, with a NaN
 * passed over as the scalar loop passes it; the same products, rounded to
 * nearest even as nearbyintf does in the default rounding mode). */
TARGET_VNNI static float q8_quantize_x_vnni(const BlasQ8 *q, const float *x, uint8_t *xq)
{
    const __m512i bias = _mm512_set1_epi32(128);
    __m512 vmx = _mm512_setzero_ps(), vinv;
    float mx, inv;
    int i = 0, m = q->m;
    for (; i + 16 <= m; i += 16)
        vmx = _mm512_max_ps(_mm512_abs_ps(_mm512_loadu_ps(x + i)), vmx);
    mx = _mm512_reduce_max_ps(vmx);
    for (; i < m; i++) {
        float a = fabsf(x[i]);
        mx = a > mx ? a : mx;
    }
    if (!(mx > 0.0f) || !(mx <= FLT_MAX))
        return mx > 0.0f ? NAN : 0.0f;
    inv = 127.0f / mx;
    vinv = _mm512_set1_ps(inv);
    for (i = 0; i + 16 <= m; i += 16) {
        __m512i r = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(x + i), vinv));
        _mm_storeu_si128((__m128i *)(void *)(xq + i), _mm512_cvtepi32_epi8(_mm512_add_epi32(r, bias)));
    }
    for (; i < m; i++)
        xq[i] = q8_byte(x[i], inv);
    for (i = m; i < q->m4; i++)
        xq[i] = 128;
    return mx / 127.0f;
}

TARGET_VNNI static void q8gemv_t_vnni(const BlasQ8 *q, const uint8_t *xq, float sx, float *y,
                                       bool reverse)
{
    const int groups = q->m4 / 4, nb = q->n16 / 16, full = nb / Q8_GROUP * Q8_GROUP;
    const int32_t *x32 = (const int32_t *)(const void *)xq;
    const int8_t *p;
    int32_t acc[16 * Q8_GROUP];
    int jb;
    for (int u = 0; u < full / Q8_GROUP; u++) {
        int G = reverse ? full / Q8_GROUP - 1 - u : u;
        jb = G * Q8_GROUP;
        p = q->q + (size_t)G * (size_t)groups * 64 * Q8_GROUP;
        __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0,
                a7 = a0;
        for (int g = 0; g < groups; g++, p += 64 * Q8_GROUP) {
            __m512i xb = _mm512_set1_epi32(x32[g]);
            a0 = _mm512_dpbusd_epi32(a0, xb, _mm512_load_si512((const void *)(p + 0)));
            a1 = _mm512_dpbusd_epi32(a1, xb, _mm512_load_si512((const void *)(p + 64)));
            a2 = _mm512_dpbusd_epi32(a2, xb, _mm512_load_si512((const void *)(p + 128)));
            a3 = _mm512_dpbusd_epi32(a3, xb, _mm512_load_si512((const void *)(p + 192)));
            a4 = _mm512_dpbusd_epi32(a4, xb, _mm512_load_si512((const void *)(p + 256)));
            a5 = _mm512_dpbusd_epi32(a5, xb, _mm512_load_si512((const void *)(p + 320)));
            a6 = _mm512_dpbusd_epi32(a6, xb, _mm512_load_si512((const void *)(p + 384)));
            a7 = _mm512_dpbusd_epi32(a7, xb, _mm512_load_si512((const void *)(p + 448)));
        }
        _mm512_storeu_si512((void *)(acc + 0), a0);
        _mm512_storeu_si512((void *)(acc + 16), a1);
        _mm512_storeu_si512((void *)(acc + 32), a2);
        _mm512_storeu_si512((void *)(acc + 48), a3);
        _mm512_storeu_si512((void *)(acc + 64), a4);
        _mm512_storeu_si512((void *)(acc + 80), a5);
        _mm512_storeu_si512((void *)(acc + 96), a6);
        _mm512_storeu_si512((void *)(acc + 112), a7);
        q8_finish(q, acc, sx, jb * 16, q->n - jb * 16 < 16 * Q8_GROUP ? q->n - jb * 16 : 16 * Q8_GROUP, y);
    }
    p = q->q + (size_t)full * (size_t)groups * 64;
    for (jb = full; jb < nb; jb++) {
        /* a block alone: two accumulators over alternate groups */
        __m512i a0 = _mm512_setzero_si512(), a1 = a0;
        int g = 0;
        for (; g + 2 <= groups; g += 2, p += 128) {
            a0 = _mm512_dpbusd_epi32(a0, _mm512_set1_epi32(x32[g]), _mm512_load_si512((const void *)p));
            a1 = _mm512_dpbusd_epi32(a1, _mm512_set1_epi32(x32[g + 1]),
                                     _mm512_load_si512((const void *)(p + 64)));
        }
        if (g < groups) {
            a0 = _mm512_dpbusd_epi32(a0, _mm512_set1_epi32(x32[g]), _mm512_load_si512((const void *)p));
            p += 64;
        }
        _mm512_storeu_si512((void *)acc, _mm512_add_epi32(a0, a1));
        q8_finish(q, acc, sx, jb * 16, jb * 16 + 16 <= q->n ? 16 : q->n - jb * 16, y);
    }
}
#endif

static int q8_level = -1;

static int q8_cpu_level(void)
{
#ifdef HAVE_HALF_SIMD
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni"))
        return 1;
#endif
    return 0;
}

int blas_q8_level(void)
{
    if (q8_level < 0) {
        const char *e = getenv("REEL_BLAS_Q8_LEVEL");
        int cpu = q8_cpu_level();
        q8_level = e && *e == '0' ? 0 : cpu;
    }
    return q8_level;
}

void blas_set_q8_level(int level)
{
    int cpu = q8_cpu_level();
    q8_level = level < 0 ? -1 : level < cpu ? level : cpu;
}

void blas_q8gemv_t_dir(const BlasQ8 *q, const float *x, float *y, void *work, bool reverse)
{
#ifdef HAVE_HALF_SIMD
    if (blas_q8_level() >= 1) {
        float sx = q8_quantize_x_vnni(q, x, work);
        if (sx == 0.0f)
            return;
        if (!isnan(sx)) {
            q8gemv_t_vnni(q, work, sx, y, reverse);
            return;
        }
    }
#else
    (void)reverse;
#endif
    blas_q8gemv_t_ref(q, x, y, work);
}

void blas_q8gemv_t(const BlasQ8 *q, const float *x, float *y, void *work)
{
    blas_q8gemv_t_dir(q, x, y, work, false);
}

void blas_set_threads(int n)
{
    openblas_set_num_threads(n < 1 ? 1 : n);
}

int blas_get_threads(void)
{
    return openblas_get_num_threads();
}

const char *blas_info(void)
{
    static char buf[256];
    snprintf(buf, sizeof buf, "%s / %s", openblas_get_config(), openblas_get_corename());
    return buf;
}
