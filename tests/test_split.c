/* test_split.c — job_split (learn/job.h): the validation tunes, the tunes
 * kept aside for testing (--test-split) and the training tunes are disjoint
 * and cover the job; their sizes follow the shares; adding a test share
 * leaves the validation tunes as they were (so a model's figures stay
 * comparable) and takes its tunes from training; the same seed gives the
 * same split, another seed another; too few tunes are refused. */
#include <stdio.h>
#include <string.h>

#include "job.h"
#include "testlib.h"

static void split(TrainJob *j, Model *m, int32_t n, float val, float test, uint64_t seed,
                  ReelStatus want)
{
    JobConfig cfg;
    ReelError err;
    memset(&cfg, 0, sizeof cfg);
    cfg.train.val_split = val;
    cfg.train.test_split = test;
    cfg.train.seed = seed;
    model_init(m);
    job_init(j, &cfg, m, NULL);
    j->n_tunes = n;
    CHECK(job_split(j, &err) == want, "split of %d (val %g, test %g): %s", n, (double)val,
          (double)test, want ? "refused" : err.msg);
}

static void done(TrainJob *j, Model *m)
{
    job_free(j);
    model_free(m);
}

int main(void)
{
    TrainJob a, b, c;
    Model ma, mb, mc;
    int seen[1000];
    split(&a, &ma, 1000, 0.05f, 0.0f, 7, REEL_OK);
    split(&b, &mb, 1000, 0.05f, 0.1f, 7, REEL_OK);
    CHECK(a.n_val == 50 && a.n_test == 0 && a.n_train == 950, "no test share: 50 / 950");
    CHECK(b.n_val == 50 && b.n_test == 100 && b.n_train == 850 && b.n_te == 100 &&
              b.n_tr == 850 && b.n_va == 50,
          "5%% and 10%%: 50 validation, 100 test, 850 training");
    memset(seen, 0, sizeof seen);
    for (int32_t i = 0; i < b.n_va; i++)
        seen[b.va_which[i]] += 1;
    for (int32_t i = 0; i < b.n_te; i++)
        seen[b.te_which[i]] += 10;
    for (int32_t i = 0; i < b.n_tr; i++)
        seen[b.tr_which[i]] += 100;
    for (int i = 0; i < 1000; i++)
        CHECK(seen[i] == 1 || seen[i] == 10 || seen[i] == 100, "tune %d in exactly one set (%d)",
              i, seen[i]);
    CHECK(!memcmp(a.va_which, b.va_which, 50 * sizeof *a.va_which),
          "a test share leaves the validation tunes as they were");
    for (int32_t i = 0; i < b.n_te; i++) {
        bool was_training = false;
        for (int32_t k = 0; k < a.n_tr; k++)
            was_training |= a.tr_which[k] == b.te_which[i];
        CHECK(was_training, "test tune %d came from the training tunes", b.te_which[i]);
    }
    split(&c, &mc, 1000, 0.05f, 0.1f, 8, REEL_OK);
    CHECK(memcmp(c.te_which, b.te_which, 100 * sizeof *c.te_which) != 0,
          "another seed, other test tunes");
    done(&c, &mc);
    split(&c, &mc, 1000, 0.05f, 0.1f, 7, REEL_OK);
    CHECK(!memcmp(c.te_which, b.te_which, 100 * sizeof *c.te_which), "the same seed, the same");
    done(&c, &mc);
    split(&c, &mc, 10, 0.05f, 0.01f, 7, REEL_OK);
    CHECK(c.n_val == 1 && c.n_test == 1 && c.n_train == 8, "a small share is still one tune");
    done(&c, &mc);
    split(&c, &mc, 2, 0.5f, 0.5f, 7, REEL_EEMPTY);
    done(&c, &mc);
    done(&a, &ma);
    done(&b, &mb);
    TEST_END();
}
