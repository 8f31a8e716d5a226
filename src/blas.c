/* blas.c — see blas.h.  The one file that includes cblas.h. */
#include "blas.h"

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
#pragma GCC unroll 8
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
