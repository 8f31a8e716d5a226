/* blas.h — the matrix products reel needs, and naive references for them.
 *
 * blas.c is the only file in reel that includes cblas.h (OpenBLAS).  Every
 * product here is row-major: a matrix (m, n) with leading dimension ld is
 * element [i * ld + j].  Each fast function has a *_ref twin, a plain triple
 * loop that accumulates in double; the tests compare the two, and a reader
 * can see from the twin what the fast one computes.  (The packed product
 * below is checked against blas_sgemm_ref on the unpacked matrix.)
 *
 * Determinism: OpenBLAS splits products between threads by rows and columns,
 * never along the summed dimension, so for a fixed thread count results are
 * bit-identical run to run.  Changing the thread count may change the last
 * bits (different kernels and block sizes).
 *
 * Nothing here allocates, prints or exits.
 */
#ifndef REEL_BLAS_H
#define REEL_BLAS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { BLAS_N = 0, BLAS_T = 1 } BlasTrans;

/* C = alpha * op(A) op(B) + beta * C.
 *   op(A) is (m, k): A is (m, k) with lda >= k when ta == BLAS_N,
 *                    A is (k, m) with lda >= m when ta == BLAS_T;
 *   op(B) is (k, n): B is (k, n) with ldb >= n, or (n, k) with ldb >= k;
 *   C is (m, n) with ldc >= n.  beta == 0 ignores what C held (NaN too).
 * m, n or k == 0 is allowed (with k == 0, C = beta * C). */
void blas_sgemm(BlasTrans ta, BlasTrans tb, int m, int n, int k, float alpha,
                const float *A, int lda, const float *B, int ldb, float beta,
                float *C, int ldc);
void blas_sgemm_ref(BlasTrans ta, BlasTrans tb, int m, int n, int k, float alpha,
                    const float *A, int lda, const float *B, int ldb, float beta,
                    float *C, int ldc);

/* y = alpha * op(A) x + beta * y, A is (m, n) with lda >= n.
 *   BLAS_N: x (n), y (m);  BLAS_T: x (m), y (n) (y = A^T x).
 * For one row at a time (generation), this is 5-10x faster than a one-row
 * sgemm. */
void blas_sgemv(BlasTrans ta, int m, int n, float alpha, const float *A, int lda,
                const float *x, float beta, float *y);
void blas_sgemv_ref(BlasTrans ta, int m, int n, float alpha, const float *A, int lda,
                    const float *x, float beta, float *y);

/* ---- a fixed right-hand matrix, many small left-hand ones ---------------
 *
 * An LSTM multiplies the same recurrent weights by a (B, H) matrix at every
 * step.  OpenBLAS repacks the weights on every call, and at B = 32 that
 * costs it a third of its speed.  Pack op(W) (K, N) once per window, then
 *     C = A P + beta C      A (M, K) with lda >= K, C (M, N) with ldc >= N
 * for each A; beta is 0 (C is only written) or 1.  The packed layout is
 * private to blas.c: on x86-64 CPUs with AVX-512 (GCC builds) it is panels
 * of 32 columns for reel's own kernel (one thread whatever
 * blas_set_threads says; explicit fused multiply-adds, so the same bits at
 * every optimisation level and thread count); elsewhere it is op(W) as a
 * plain row-major (K, N) matrix for OpenBLAS. */
size_t blas_packed_len(int K, int N);        /* floats P needs (either layout) */
void blas_pack(BlasTrans tw, int K, int N, const float *W, int ldw, float *P);
void blas_sgemm_packed(int M, int N, int K, const float *A, int lda, const float *P, float beta,
                       float *C, int ldc);
/* 1 when the packed products run on reel's kernel, 0 on OpenBLAS. */
int blas_packed_native(void);
/* 0: OpenBLAS even where the kernel could run (tests, benchmarks; also the
 * environment variable REEL_BLAS_NO_KERNEL=1); 1: the kernel where the CPU
 * has it.  Changes the packed layout: call before packing anything. */
void blas_set_packed_native(int on);

/* ---- half-precision weights (generation) ---------------------------------
 *
 * One generation step reads every weight once, so its speed is the speed at
 * which the weights arrive; IEEE binary16 copies (uint16_t bits) halve that
 * traffic and let a 2 x 256 LSTM's weights (1.5 MiB) stay in a 2 MiB L2.
 * The products convert to float and accumulate in float.
 *
 * Conversion rounds to nearest even; magnitudes from 65520 up become
 * infinity, below 2^-24 (about 6e-8) zero, between those and 2^-14 they
 * keep fewer bits (subnormal halves).  NaN stays NaN. */
void blas_float_to_half(const float *x, uint16_t *h, size_t n);
void blas_half_to_float(const uint16_t *h, float *x, size_t n);

/* y += op(A) x with BLAS_T's orientation on a half matrix A (m, n), row-major
 * with lda >= n: y[j] += sum_i x[i] * A[i][j] for x (m), y (n).  Rows whose
 * x[i] is 0 are skipped (a multi-hot input costs only its ones).  The fast
 * kernels hold blocks of y in registers and sum over i in order with fused
 * multiply-adds; the _ref twin accumulates in double. */
void blas_hgemv_t(int m, int n, const uint16_t *A, int lda, const float *x, float *y);
void blas_hgemv_t_ref(int m, int n, const uint16_t *A, int lda, const float *x, float *y);

/* Which code the half functions run: 2 AVX-512 (F, BW, VL), 1 AVX2 + F16C +
 * FMA, 0 plain C (software conversion).  The best the CPU has, unless the
 * environment variable REEL_BLAS_HALF_LEVEL lowers it;
 * blas_set_half_level(l) picks min(l, what the CPU has) (-1: the default
 * again), for tests and benchmarks.  Every level gives the same
 * conversions; products differ in the last bits (different sums). */
int blas_half_level(void);
void blas_set_half_level(int level);

/* ---- int8 weights (generation) -------------------------------------------
 *
 * A weight matrix A (m, n) in BLAS_T's orientation (y[j] += sum_i x[i] A[i][j])
 * as signed bytes with one scale per column: q[i][j] = round(A[i][j] / s[j]),
 * s[j] = max_i |A[i][j]| / 127.  A product quantizes x the same way with one
 * scale (sx = max_i |x[i]| / 127, xq[i] = round(x[i] / sx)), so that
 *
 *     y[j] += s[j] * sx * sum_i xq[i] q[i][j]
 *
 * with the sum exact in 32-bit integers.  That is dynamic quantization (what
 * PyTorch's quantize_dynamic does for LSTMs): a quarter of the float weights'
 * memory traffic, and 64 multiply-adds per AVX-512 VNNI instruction
 * (vpdpbusd, which multiplies unsigned by signed bytes: x goes in as
 * xq + 128, and 128 * sum_i q[i][j] is taken off again).  Each term's error is
 * at most half a step of either scale; the tests bound the product's error
 * and compare the VNNI kernel with the plain C one bit for bit (the integer
 * sums are exact, the float steps after them the same).
 *
 * The packed bytes: columns in blocks of 16, rows in groups of 4; a block's
 * group is 64 bytes (16 columns x 4 rows, a column's 4 bytes together), and
 * blocks go 8 at a time side by side so a product reads one stream.  The
 * caller owns the memory (blas_q8_bytes), as everywhere in this file. */
typedef struct {
    int m, n;            /* the matrix */
    int m4, n16;         /* m rounded up to 4, n to 16 */
    int8_t *q;           /* (m4 * n16) packed */
    float *scale;        /* (n16) s[j]; 0 for an all-zero column and the padding */
    int32_t *off;        /* (n16) 128 * sum_i q[i][j] */
} BlasQ8;

size_t blas_q8_bytes(int m, int n);        /* memory blas_q8_pack needs (64-byte aligned start) */
/* Quantize A (m, n), row-major with lda >= n, into mem (blas_q8_bytes(m, n)
 * bytes, 64-byte aligned).  Non-finite weights: returns -1 (no copy). */
int blas_q8_pack(BlasQ8 *q, int m, int n, const float *A, int lda, void *mem);
/* y += op(A) x as above.  work: blas_q8_work(q) bytes, 64-byte aligned. */
size_t blas_q8_work(const BlasQ8 *q);
void blas_q8gemv_t(const BlasQ8 *q, const float *x, float *y, void *work);
/* The same with the columns taken in reverse order when reverse: the same
 * results bit for bit.  Alternating the order step by step lets a matrix
 * larger than the cache start where the last product ended, on the part
 * still cached. */
void blas_q8gemv_t_dir(const BlasQ8 *q, const float *x, float *y, void *work, bool reverse);
void blas_q8gemv_t_ref(const BlasQ8 *q, const float *x, float *y, void *work);
/* 1: the AVX-512 VNNI kernel; 0: plain C (the same sums, much slower).  The
 * environment variable REEL_BLAS_Q8_LEVEL=0 or blas_set_q8_level(0) forces
 * C; blas_set_q8_level(-1) restores the default. */
int blas_q8_level(void);
void blas_set_q8_level(int level);

/* Threads OpenBLAS may use for the following products (>= 1), and how many
 * it uses now.  Call from one thread while no product runs. */
void blas_set_threads(int n);
int blas_get_threads(void);

/* The library and kernel in use, e.g. "OpenBLAS 0.3.21 ... / SkylakeX".
 * Static string. */
const char *blas_info(void);

#endif
