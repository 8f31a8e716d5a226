/* test_blas.c — the fast products (OpenBLAS) against the naive references,
 * and the references against products worked out by hand.
 *
 * Tolerance: the classic bound for a float dot product of length k in any
 * summation order, (k + 2) * 2^-24 * sum |alpha a b| + |beta c|, per element.
 * A wrong transpose, stride or beta gives errors of the size of the values
 * themselves, far above it.  The half-precision products are checked the
 * same way against their reference on the same halves (so the bound is
 * that of float summation), at each kernel level the CPU has (AVX-512,
 * AVX2 + F16C, plain C); the conversions exhaustively (every half).
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "blas.h"
#include "rng.h"
#include "testlib.h"

static float *randv(Rng *r, size_t n)
{
    float *p = malloc((n ? n : 1) * sizeof *p);
    REQUIRE(p, "out of memory");
    for (size_t i = 0; i < n; i++)
        p[i] = 2.0f * rng_float(r) - 1.0f;
    return p;
}

/* The error bound of element (i, j). */
static double bound(BlasTrans ta, BlasTrans tb, int k, float alpha, const float *A, int lda,
                    const float *B, int ldb, float beta, float c0, int i, int j)
{
    double s = 0.0;
    for (int p = 0; p < k; p++) {
        float a = ta == BLAS_N ? A[(size_t)i * lda + p] : A[(size_t)p * lda + i];
        float b = tb == BLAS_N ? B[(size_t)p * ldb + j] : B[(size_t)j * ldb + p];
        s += fabs((double)alpha * a * b);
    }
    return (k + 2) * 5.96e-8 * (s + fabs((double)beta * c0)) + 1e-30;
}

static int gemm_case(Rng *r, BlasTrans ta, BlasTrans tb, int m, int n, int k, float alpha,
                     float beta, int pad)
{
    int lda = (ta == BLAS_N ? k : m) + pad, ldb = (tb == BLAS_N ? n : k) + pad, ldc = n + pad;
    int arows = ta == BLAS_N ? m : k, brows = tb == BLAS_N ? k : n;
    float *A = randv(r, (size_t)arows * lda), *B = randv(r, (size_t)brows * ldb);
    float *C0 = randv(r, (size_t)m * ldc), *C1 = malloc(((size_t)m * ldc + 1) * sizeof(float));
    float *C2 = malloc(((size_t)m * ldc + 1) * sizeof(float));
    int bad = 0;
    double worst = 0.0;
    REQUIRE(C1 && C2, "out of memory");
    if (beta == 0.0f)
        for (size_t i = 0; i < (size_t)m * ldc; i++)
            C0[i] = NAN; /* beta 0 must ignore what C held */
    memcpy(C1, C0, (size_t)m * ldc * sizeof(float));
    memcpy(C2, C0, (size_t)m * ldc * sizeof(float));
    blas_sgemm(ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C1, ldc);
    blas_sgemm_ref(ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C2, ldc);
    for (int i = 0; i < m; i++)
        for (int j = 0; j < ldc; j++) {
            size_t q = (size_t)i * ldc + j;
            if (j >= n) { /* padding columns untouched */
                bad += memcmp(&C1[q], &C0[q], sizeof(float)) != 0;
                continue;
            }
            double e = fabs((double)C1[q] - C2[q]);
            double bd = bound(ta, tb, k, alpha, A, lda, B, ldb, beta, beta == 0.0f ? 0.0f : C0[q], i, j);
            if (!(e <= bd))
                bad++;
            if (e / bd > worst)
                worst = e / bd;
        }
    CHECK(bad == 0, "sgemm %c%c m=%d n=%d k=%d alpha=%g beta=%g pad=%d: %d elements off (worst %.3g of the bound)",
          ta == BLAS_N ? 'N' : 'T', tb == BLAS_N ? 'N' : 'T', m, n, k, (double)alpha,
          (double)beta, pad, bad, worst);
    free(A);
    free(B);
    free(C0);
    free(C1);
    free(C2);
    return bad;
}

static int gemv_case(Rng *r, BlasTrans ta, int m, int n, float alpha, float beta, int pad)
{
    int lda = n + pad, xl = ta == BLAS_N ? n : m, yl = ta == BLAS_N ? m : n, bad = 0;
    float *A = randv(r, (size_t)m * lda), *x = randv(r, (size_t)xl), *y0 = randv(r, (size_t)yl);
    float *y1 = malloc(((size_t)yl + 1) * sizeof(float)), *y2 = malloc(((size_t)yl + 1) * sizeof(float));
    REQUIRE(y1 && y2, "out of memory");
    if (beta == 0.0f)
        for (int i = 0; i < yl; i++)
            y0[i] = NAN;
    memcpy(y1, y0, (size_t)yl * sizeof(float));
    memcpy(y2, y0, (size_t)yl * sizeof(float));
    blas_sgemv(ta, m, n, alpha, A, lda, x, beta, y1);
    blas_sgemv_ref(ta, m, n, alpha, A, lda, x, beta, y2);
    for (int i = 0; i < yl; i++) {
        /* as a product: op(A) (yl, xl) times x (xl, 1) */
        double bd = bound(ta, BLAS_N, xl, alpha, A, lda, x, 1, beta, beta == 0.0f ? 0.0f : y0[i], i, 0);
        if (!(fabs((double)y1[i] - y2[i]) <= bd))
            bad++;
    }
    CHECK(bad == 0, "sgemv %c m=%d n=%d alpha=%g beta=%g pad=%d: %d elements off",
          ta == BLAS_N ? 'N' : 'T', m, n, (double)alpha, (double)beta, pad, bad);
    free(A);
    free(x);
    free(y0);
    free(y1);
    free(y2);
    return bad;
}

/* The packed product against the reference on op(W). */
static int packed_case(Rng *r, BlasTrans tw, int M, int N, int K, float beta, int pad)
{
    int lda = K + pad, ldc = N + pad, ldw = (tw == BLAS_N ? N : K) + pad, bad = 0;
    int wrows = tw == BLAS_N ? K : N;
    float *A = randv(r, (size_t)M * lda), *W = randv(r, (size_t)wrows * ldw);
    float *P = malloc((blas_packed_len(K, N) + 1) * sizeof(float));
    float *C0 = randv(r, (size_t)M * ldc), *C1 = malloc(((size_t)M * ldc + 1) * sizeof(float));
    float *C2 = malloc(((size_t)M * ldc + 1) * sizeof(float));
    double worst = 0;
    REQUIRE(P && C1 && C2, "out of memory");
    if (beta == 0.0f)
        for (size_t i = 0; i < (size_t)M * ldc; i++)
            C0[i] = NAN;
    memcpy(C1, C0, (size_t)M * ldc * sizeof(float));
    memcpy(C2, C0, (size_t)M * ldc * sizeof(float));
    blas_pack(tw, K, N, W, ldw, P);
    blas_sgemm_packed(M, N, K, A, lda, P, beta, C1, ldc);
    blas_sgemm_ref(BLAS_N, tw, M, N, K, 1.0f, A, lda, W, ldw, beta, C2, ldc);
    for (int i = 0; i < M; i++)
        for (int j = 0; j < ldc; j++) {
            size_t q = (size_t)i * ldc + j;
            double e, bd;
            if (j >= N) {
                bad += memcmp(&C1[q], &C0[q], sizeof(float)) != 0;
                continue;
            }
            e = fabs((double)C1[q] - C2[q]);
            bd = bound(BLAS_N, tw, K, 1.0f, A, lda, W, ldw, beta, beta == 0.0f ? 0.0f : C0[q], i, j);
            bad += !(e <= bd);
            worst = fmax(worst, e / bd);
        }
    CHECK(bad == 0, "packed %s %c M=%d N=%d K=%d beta=%g pad=%d: %d elements off (worst %.3g of the bound)",
          blas_packed_native() ? "kernel" : "OpenBLAS", tw == BLAS_N ? 'N' : 'T', M, N, K,
          (double)beta, pad, bad, worst);
    free(A);
    free(W);
    free(P);
    free(C0);
    free(C1);
    free(C2);
    return bad;
}

/* REEL_TEST_QUICK (valgrind): products of at most this many multiply-adds. */
static int too_big(long mnk)
{
    return test_quick() && mnk > 300000;
}

static void packed_cases(Rng *r)
{
    static const int Ms[] = {1, 2, 3, 5, 7, 8, 9, 15, 16, 32, 33, 64};
    static const int NKs[][2] = {{1, 1}, {5, 3}, {31, 16}, {32, 7}, {33, 64}, {100, 25},
                                 {256, 1024}, {1024, 256}, {48, 513}};
    for (size_t mi = 0; mi < sizeof Ms / sizeof Ms[0]; mi++)
        for (size_t ni = 0; ni < sizeof NKs / sizeof NKs[0]; ni++) {
            int M = Ms[mi], N = NKs[ni][0], K = NKs[ni][1];
            if (((size_t)M * N * K > 2000000 && M != 32) || too_big((long)M * N * K))
                continue;
            packed_case(r, (BlasTrans)((mi + ni) % 2), M, N, K, (mi % 3) == 0 ? 0.0f : 1.0f,
                        (int)(ni % 2) * 3);
        }
    if (!too_big(32L * 1024 * 256)) {
        packed_case(r, BLAS_N, 32, 1024, 256, 1.0f, 0);
        packed_case(r, BLAS_T, 32, 256, 1024, 0.0f, 0);
    }
    packed_case(r, BLAS_T, 5, 40, 64, 1.0f, 2);
}

/* ---- half precision ------------------------------------------------------ */

/* The half conversions: every half to float and back is exact; floats
 * round to the nearest half (ties to even), at every level the CPU has. */
static void half_conversions(int level)
{
    static uint16_t h[65536], h2[65536];
    static float f[65536];
    int bad = 0;
    for (int i = 0; i < 65536; i++)
        h[i] = (uint16_t)i;
    blas_half_to_float(h, f, 65536);
    blas_float_to_half(f, h2, 65536);
    for (int i = 0; i < 65536; i++) {
        int nan = (i & 0x7c00) == 0x7c00 && (i & 0x3ff);
        if (nan ? !(isnan(f[i]) && (h2[i] & 0x7c00) == 0x7c00 && (h2[i] & 0x3ff))
                : h2[i] != h[i])
            bad++;
    }
    CHECK(bad == 0, "level %d: %d halves do not survive half -> float -> half", level, bad);
    {
        /* known values: 1, -2, 65504, the smallest subnormal, rounding ties */
        const float in[] = {1.0f, -2.0f, 65504.0f, 65519.0f, 65520.0f, 5.9604645e-8f,
                            2.9802322e-8f, 8.9406967e-8f, 1.0f + 1.0f / 2048, 1.0f + 3.0f / 2048,
                            0.1f, -0.0f, INFINITY, 1e-9f};
        const uint16_t want[] = {0x3c00, 0xc000, 0x7bff, 0x7bff, 0x7c00, 0x0001,
                                 0x0000, 0x0002, 0x3c00, 0x3c02,
                                 0x2e66, 0x8000, 0x7c00, 0x0000};
        uint16_t got[sizeof in / sizeof in[0]];
        blas_float_to_half(in, got, sizeof in / sizeof in[0]);
        for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
            CHECK(got[i] == want[i], "level %d: %g -> half 0x%04x, want 0x%04x", level,
                  (double)in[i], got[i], want[i]);
    }
    {
        /* random floats over the half range: within half an ulp of a half
         * (subnormal halves: within 2^-25) */
        Rng r;
        float x[4099], back[4099];
        uint16_t q[4099];
        rng_seed(&r, 11);
        for (int i = 0; i < 4099; i++)
            x[i] = (float)((2.0 * rng_float(&r) - 1.0) * pow(2.0, (double)(rng_float(&r) * 29.9f - 14.0f)));
        blas_float_to_half(x, q, 4099);
        blas_half_to_float(q, back, 4099);
        bad = 0;
        for (int i = 0; i < 4099; i++)
            if (fabsf(back[i] - x[i]) > fabsf(x[i]) * (1.0f / 2048) + 2.99e-8f) /* subnormals: 2^-25 */
                bad++;
        CHECK(bad == 0, "level %d: %d random floats off by more than half an ulp", level, bad);
    }
}

/* blas_hgemv_t against its reference on the same halves: y (n) += A^T x,
 * x with zeros in it (skipped rows), a stride wider than the rows. */
static int hgemv_case(Rng *r, int m, int n, int pad, float density, int level)
{
    int lda = n + pad, bad = 0;
    float *Af = randv(r, (size_t)m * lda), *x = randv(r, (size_t)m), *y0 = randv(r, (size_t)n);
    float *y1 = malloc((size_t)(n ? n : 1) * sizeof(float)), *y2 = malloc((size_t)(n ? n : 1) * sizeof(float));
    uint16_t *A = malloc(((size_t)m * lda + 1) * sizeof *A);
    REQUIRE(y1 && y2 && A, "out of memory");
    blas_float_to_half(Af, A, (size_t)m * lda);
    for (int i = 0; i < m; i++)
        if (rng_float(r) >= density)
            x[i] = 0.0f;
    memcpy(y1, y0, (size_t)n * sizeof(float));
    memcpy(y2, y0, (size_t)n * sizeof(float));
    blas_hgemv_t(m, n, A, lda, x, y1);
    blas_hgemv_t_ref(m, n, A, lda, x, y2);
    for (int j = 0; j < n; j++) {
        double s = fabs((double)y0[j]);
        for (int i = 0; i < m; i++)
            s += fabs((double)x[i] * Af[(size_t)i * lda + j]) * 1.001;
        if (!(fabs((double)y1[j] - y2[j]) <= (m + 2) * 5.96e-8 * s + 1e-30)) {
            if (!bad)
                CHECK(0, "hgemv_t level %d (%d, %d) pad %d density %g: y[%d] = %.9g, ref %.9g",
                      level, m, n, pad, (double)density, j, (double)y1[j], (double)y2[j]);
            bad++;
        }
    }
    free(Af);
    free(x);
    free(y0);
    free(y1);
    free(y2);
    free(A);
    return bad;
}

static void half_cases(Rng *r)
{
    static const int dims[][2] = {{1, 1},   {1, 16},   {1, 17},   {3, 5},    {8, 16},  {9, 31},
                                  {7, 32},  {17, 33},  {16, 48},  {13, 13},  {256, 13}, {269, 1024},
                                  {512, 1024}, {640, 2048}, {512, 128}, {33, 100}, {0, 5}, {5, 0}};
    const int cpu = (blas_set_half_level(-1), blas_half_level());
    fprintf(stderr, "half products: level %d on this CPU\n", cpu);
    for (int level = cpu; level >= 0; level--) {
        blas_set_half_level(level);
        CHECK(blas_half_level() == level, "half level %d forced: %d", level, blas_half_level());
        half_conversions(level);
        for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++) {
            if (too_big((long)dims[d][0] * dims[d][1]))
                continue;
            hgemv_case(r, dims[d][0], dims[d][1], 0, 1.0f, level);
            hgemv_case(r, dims[d][0], dims[d][1], (int)(d % 4) * 3, 0.3f, level);
            hgemv_case(r, dims[d][0], dims[d][1], 1, 0.0f, level);
        }
    }
    blas_set_half_level(-1);
    /* hand-worked: A = [[1, 2], [3, 4]] as halves, x = (1, -1): y += (-2, -2) */
    {
        const uint16_t A[4] = {0x3c00, 0x4000, 0x4200, 0x4400};
        const float x[2] = {1.0f, -1.0f};
        float y[2] = {0.5f, 0.0f}, z[2] = {0.5f, 0.0f};
        blas_hgemv_t(2, 2, A, 2, x, y);
        blas_hgemv_t_ref(2, 2, A, 2, x, z);
        CHECK(y[0] == -1.5f && y[1] == -2.0f && z[0] == -1.5f && z[1] == -2.0f,
              "hgemv_t by hand: %g %g (ref %g %g)", (double)y[0], (double)y[1], (double)z[0],
              (double)z[1]);
    }
}

/* int8 products: the VNNI kernel against the C one bit for bit (the same
 * integer sums), and both against the float product within the bound the
 * quantization allows: per term |x| s_j / 2 + |q s_j| sx / 2 (each factor off
 * by at most half its step), plus float rounding. */
static void q8_case(Rng *r, int m, int n, int pad, float xscale)
{
    int lda = n + pad;
    float *A = randv(r, (size_t)m * (size_t)lda), *x = randv(r, (size_t)m);
    float *y1 = randv(r, (size_t)n), *y2 = malloc((size_t)n * sizeof(float)), *y0 = malloc((size_t)n * sizeof(float));
    void *mem = aligned_alloc(64, blas_q8_bytes(m, n));
    BlasQ8 q;
    void *work;
    float xmax = 0;
    REQUIRE(y2 && y0 && mem, "out of memory");
    for (int i = 0; i < m; i++) {
        x[i] *= xscale;
        if (i % 7 == 3)
            x[i] = 0;
        xmax = fmaxf(xmax, fabsf(x[i]));
    }
    for (int i = 0; i < m; i++) /* one unit of very small weights: its own scale */
        A[(size_t)i * lda + (size_t)(n / 2)] *= 1e-3f;
    REQUIRE(blas_q8_pack(&q, m, n, A, lda, mem) == 0, "pack");
    REQUIRE((work = aligned_alloc(64, blas_q8_work(&q))) != NULL, "out of memory");
    memcpy(y2, y1, (size_t)n * sizeof(float));
    memcpy(y0, y1, (size_t)n * sizeof(float));
    blas_q8gemv_t(&q, x, y1, work);
    blas_q8gemv_t_ref(&q, x, y2, work);
    CHECK(memcmp(y1, y2, (size_t)n * sizeof(float)) == 0,
          "q8gemv_t level %d (%d, %d): kernel and C differ (y[0] %.9g vs %.9g)", blas_q8_level(), m,
          n, (double)y1[0], (double)y2[0]);
    memcpy(y1, y0, (size_t)n * sizeof(float));
    memcpy(y2, y0, (size_t)n * sizeof(float));
    blas_q8gemv_t_dir(&q, x, y1, work, true);
    blas_q8gemv_t_ref(&q, x, y2, work);
    CHECK(memcmp(y1, y2, (size_t)n * sizeof(float)) == 0,
          "q8gemv_t level %d (%d, %d): the reverse order differs", blas_q8_level(), m, n);
    for (int j = 0; j < n; j++) {
        double exact = y0[j], bound = 0, sx = xmax / 127.0, sj = q.scale[j];
        for (int i = 0; i < m; i++) {
            double a = A[(size_t)i * lda + (size_t)j];
            exact += (double)x[i] * a;
            bound += fabs(x[i]) * sj / 2 + (fabs(a) + sj / 2) * sx / 2;
        }
        bound = bound * 1.001 + 1e-5 * (fabs(exact) + 1);
        if (!(fabs(y2[j] - exact) <= bound)) {
            CHECK(0, "q8gemv_t (%d, %d) y[%d] = %.9g, exact %.9g, bound %.3g", m, n, j, (double)y2[j],
                  exact, bound);
            break;
        }
    }
    /* an all-zero x leaves y as it was */
    memset(x, 0, (size_t)m * sizeof(float));
    memcpy(y2, y0, (size_t)n * sizeof(float));
    blas_q8gemv_t(&q, x, y2, work);
    CHECK(memcmp(y2, y0, (size_t)n * sizeof(float)) == 0, "q8gemv_t of zeros changed y");
    free(A);
    free(x);
    free(y0);
    free(y1);
    free(y2);
    free(mem);
    free(work);
}

static void q8_cases(Rng *r)
{
    static const int dims[][2] = {{1, 1}, {1, 13}, {3, 5}, {4, 16}, {5, 17}, {256, 1024}, {512, 1024},
                                  {512, 13}, {1024, 2048}, {257, 130}, {13, 129}, {600, 16 * 8 * 3 + 5}};
    for (int level = 1; level >= 0; level--) {
        blas_set_q8_level(level);
        for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++)
            if (!too_big((long)dims[d][0] * dims[d][1]))
                q8_case(r, dims[d][0], dims[d][1], (int)(d % 3) * 5, d % 2 ? 1.0f : 40.0f);
    }
    blas_set_q8_level(-1);
    fprintf(stderr, "int8 products: level %d (1 AVX-512 VNNI, 0 C)\n", blas_q8_level());
    /* A NaN among the inputs (passed over by the max, as the C does) and an
     * infinite one (every output NaN): the kernel's bytes are the C's. */
    for (int bad = 0; bad < 2; bad++) {
        int m = 37, n = 33;
        float *A = randv(r, (size_t)m * (size_t)n), *x = randv(r, (size_t)m);
        float y1[33] = {0}, y2[33] = {0};
        void *mem = aligned_alloc(64, blas_q8_bytes(m, n)), *work;
        BlasQ8 q;
        REQUIRE(mem && blas_q8_pack(&q, m, n, A, n, mem) == 0, "pack");
        REQUIRE((work = aligned_alloc(64, blas_q8_work(&q))) != NULL, "out of memory");
        x[3] = bad ? INFINITY : NAN;
        x[20] = bad ? 1.0f : NAN;
        blas_q8gemv_t(&q, x, y1, work);
        blas_q8gemv_t_ref(&q, x, y2, work);
        CHECK(memcmp(y1, y2, sizeof y1) == 0 && (bad ? isnan(y1[0]) : isfinite(y1[0])),
              "q8gemv_t with %s inputs: kernel and C agree (%g, %g)", bad ? "infinite" : "NaN",
              (double)y1[0], (double)y2[0]);
        free(A);
        free(x);
        free(mem);
        free(work);
    }
    /* by hand: A = [[1, -2], [0.5, 4]], x = [1, 1]: y = [1.5, 2] (exact in int8:
     * scales 1/127 and 4/127 make every weight a whole number of steps) */
    {
        const float A[4] = {1, -2, 0.5f, 4}, x[2] = {1, 1};
        float y[2] = {0, 0};
        void *mem = aligned_alloc(64, blas_q8_bytes(2, 2)), *work;
        BlasQ8 q;
        REQUIRE(mem && blas_q8_pack(&q, 2, 2, A, 2, mem) == 0, "pack");
        work = aligned_alloc(64, blas_q8_work(&q));
        REQUIRE(work, "out of memory");
        blas_q8gemv_t(&q, x, y, work);
        CHECK(fabsf(y[0] - 1.5f) < 0.01f && fabsf(y[1] - 2.0f) < 0.02f, "q8 by hand: %g %g",
              (double)y[0], (double)y[1]);
        {
            const float bad[4] = {1, NAN, 0, 0};
            CHECK(blas_q8_pack(&q, 2, 2, bad, 2, mem) == -1, "a NaN weight refuses the pack");
        }
        free(mem);
        free(work);
    }
}

int main(void)
{
    Rng r;
    rng_seed(&r, 7);

    /* The references against hand-worked products. */
    {
        const float A[6] = {1, 2, 3, 4, 5, 6};      /* (2, 3) */
        const float B[6] = {7, 8, 9, 10, 11, 12};   /* (3, 2) */
        float C[4] = {1, 1, 1, 1}, y[2] = {1, 1}, x[3] = {1, 0, -1};
        blas_sgemm_ref(BLAS_N, BLAS_N, 2, 2, 3, 1.0f, A, 3, B, 2, 0.5f, C, 2);
        CHECK(C[0] == 58.5f && C[1] == 64.5f && C[2] == 139.5f && C[3] == 154.5f,
              "ref NN: %g %g %g %g", (double)C[0], (double)C[1], (double)C[2], (double)C[3]);
        /* A^T (3, 2) times A (2, 3) -> (3, 3); element (0, 2) = 1*3 + 4*6 = 27 */
        {
            float D[9];
            blas_sgemm_ref(BLAS_T, BLAS_N, 3, 3, 2, 1.0f, A, 3, A, 3, 0.0f, D, 3);
            CHECK(D[2] == 27.0f && D[4] == 29.0f && D[6] == 27.0f, "ref TN: %g %g %g",
                  (double)D[2], (double)D[4], (double)D[6]);
            /* A (2, 3) times A^T (3, 2): (0, 1) = 1*4 + 2*5 + 3*6 = 32 */
            blas_sgemm_ref(BLAS_N, BLAS_T, 2, 2, 3, 2.0f, A, 3, A, 3, 0.0f, D, 2);
            CHECK(D[0] == 28.0f && D[1] == 64.0f && D[3] == 154.0f, "ref NT: %g %g %g",
                  (double)D[0], (double)D[1], (double)D[3]);
        }
        blas_sgemv_ref(BLAS_N, 2, 3, 1.0f, A, 3, x, 2.0f, y);
        CHECK(y[0] == 0.0f && y[1] == 0.0f, "ref gemv N: %g %g", (double)y[0], (double)y[1]);
        {
            float z[3] = {0, 0, 0}, u[2] = {1, -1};
            blas_sgemv_ref(BLAS_T, 2, 3, 1.0f, A, 3, u, 0.0f, z);
            CHECK(z[0] == -3.0f && z[1] == -3.0f && z[2] == -3.0f, "ref gemv T: %g %g %g",
                  (double)z[0], (double)z[1], (double)z[2]);
        }
    }

    /* Fast against reference: every transpose pair, sizes around the kernels'
     * block edges, odd sizes, strides wider than the rows, alpha and beta. */
    {
        static const int dims[][3] = {
            {1, 1, 1},   {1, 7, 3},    {7, 1, 3},    {3, 5, 1},    {2, 3, 4},    {5, 17, 13},
            {16, 16, 16}, {31, 33, 29}, {32, 1024, 256}, {64, 48, 1}, {1, 1024, 269},
            {129, 65, 257}, {256, 64, 300}, {13, 1024, 13}, {100, 37, 0},
        };
        const float alphas[] = {1.0f, -0.5f}, betas[] = {0.0f, 1.0f, 0.25f};
        int cases = 0;
        for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++)
            for (int ta = 0; ta < 2; ta++)
                for (int tb = 0; tb < 2; tb++)
                    for (int ab = 0; ab < 6; ab++) {
                        int big = dims[d][0] * dims[d][1] > 20000;
                        if (big && (ab % 2 || ab == 4))
                            continue; /* the big shapes with alpha 1, beta 0 and 1 */
                        if (too_big((long)dims[d][0] * dims[d][1] * dims[d][2]))
                            continue;
                        gemm_case(&r, (BlasTrans)ta, (BlasTrans)tb, dims[d][0], dims[d][1],
                                  dims[d][2], alphas[ab % 2], betas[ab / 2], (int)(d % 3) * 3);
                        cases++;
                    }
        CHECK(cases > 200, "sgemm cases run: %d", cases);
    }
    {
        static const int dims[][2] = {{1, 1}, {1, 9}, {9, 1}, {7, 13}, {269, 1024}, {1024, 269},
                                      {640, 2048}, {33, 65}, {512, 7}};
        for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++)
            for (int ta = 0; ta < 2 && !too_big((long)dims[d][0] * dims[d][1]); ta++) {
                gemv_case(&r, (BlasTrans)ta, dims[d][0], dims[d][1], 1.0f, 1.0f, 0);
                gemv_case(&r, (BlasTrans)ta, dims[d][0], dims[d][1], -2.0f, 0.0f, 5);
                gemv_case(&r, (BlasTrans)ta, dims[d][0], dims[d][1], 0.5f, 0.5f, 1);
            }
    }

    /* The packed products, on the kernel where this CPU has it and on OpenBLAS. */
    fprintf(stderr, "packed products: %s\n", blas_packed_native() ? "reel's kernel" : "OpenBLAS");
    packed_cases(&r);
    blas_set_packed_native(0);
    CHECK(blas_packed_native() == 0, "packed products forced onto OpenBLAS");
    packed_cases(&r);
    blas_set_packed_native(1);

    /* The same products at two threads, and bit-identical when repeated. */
    {
        int m = 300, n = 512, k = 700;
        if (test_quick())
            m = 30, n = 51, k = 70;
        float *A = randv(&r, (size_t)m * k), *B = randv(&r, (size_t)k * n);
        float *C1 = calloc((size_t)m * n, sizeof(float)), *C2 = calloc((size_t)m * n, sizeof(float));
        REQUIRE(C1 && C2, "out of memory");
        blas_set_threads(2);
        CHECK(blas_get_threads() >= 1, "threads: %d", blas_get_threads());
        if (!test_quick()) {
            gemm_case(&r, BLAS_T, BLAS_N, 128, 1024, 320, 1.0f, 1.0f, 0);
            gemm_case(&r, BLAS_N, BLAS_T, 256, 512, 128, 1.0f, 0.0f, 0);
        }
        blas_sgemm(BLAS_N, BLAS_N, m, n, k, 1.0f, A, k, B, n, 0.0f, C1, n);
        blas_sgemm(BLAS_N, BLAS_N, m, n, k, 1.0f, A, k, B, n, 0.0f, C2, n);
        CHECK(memcmp(C1, C2, (size_t)m * n * sizeof(float)) == 0, "repeat is bit-identical");
        blas_set_threads(1);
        CHECK(blas_get_threads() == 1, "threads after set 1: %d", blas_get_threads());
        free(A);
        free(B);
        free(C1);
        free(C2);
    }
    /* Half-precision weights: conversions and products at every level. */
    half_cases(&r);
    /* int8 weights: the VNNI kernel and plain C. */
    q8_cases(&r);

    CHECK(strlen(blas_info()) > 0, "blas_info");
    fprintf(stderr, "blas: %s\n", blas_info());
    TEST_END();
}
