/* cmd_info.c — `reel info MODEL`: what a model file holds. */
#include <getopt.h>
#include <stdlib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "files.h"
#include "keyprofile.h"
#include "model.h"

static void info_usage(FILE *f)
{
    fprintf(f,
        "usage: reel info [OPTIONS] MODEL...\n"
        "\n"
        "Print what a model file holds: encoding, the pitch range it keeps to, network,\n"
        "training settings and progress, validation figures, checksum.  A damaged,\n"
        "truncated or foreign file gets a message saying what is wrong (exit 1).\n"
        "\n"
        "options:\n"
        "  --vocab N    also list the N most frequent tokens (tokens models)\n"
        "  --strip OUT  write a copy of MODEL without the optimizer state to OUT: a\n"
        "               third of the size, for sharing (it cannot be --resume'd)\n"
        "  -h, --help   this text\n");
}


/* The form options of a melody --lookback model (encode.h): what it reads
 * and predicts. */
static void print_form(const Model *m)
{
    int bars[ENC_BACK_MAX], n = enc_backs(&m->enc, bars), k;
    char back[64] = "", key[8];
    size_t o = 0;
    for (k = 0; k < n && o < sizeof back; k++)
        o += (size_t)snprintf(back + o, sizeof back - o, "%s%d", k ? ", " : "", bars[k]);
    printf("  lookback       input rows of %d: the step, the steps %s bars back, the place in "
           "the bar%s%s%s\n", enc_in_width(&m->enc, m->vocab), back,
           m->enc.phrase ? ", the bar in the phrase and the beat" : "",
           m->enc.cond ? ", metre and key" : "",
           m->enc.repeats ? "; outputs also \"as N bars back\"" : "");
    if (m->enc.events)
        printf("  tune events    starts from its start-of-tune event; may end a tune by itself\n");
    if (m->enc.cond) {
        int num, den;
        bool sig = enc_meter_sig(m->enc.cond_meter, &num, &den);
        printf("  conditioning   %s key %s, metre ",
               keyspread_known(&m->keys) ? "commonest" : "default",
               keyprofile_name(m->enc.cond_key, key));
        if (sig)
            printf("%d/%d", num, den);
        else
            printf("other");
        printf(" (the training corpus's commonest; reel generate --key, --meter)\n");
        if (keyspread_known(&m->keys)) {
            double shares[5];
            int order[5], nk = keyspread_order(&m->keys, -1, order, shares, 5);
            printf("  keys           without --key, drawn as the corpus has them in the tune's "
                   "metre; in all");
            for (int i = 0; i < nk; i++)
                printf("%s %s %.0f%%", i ? "," : "", keyprofile_name(order[i], key),
                       100.0 * shares[i]);
            printf("%s\n", nk == 5 ? " ..." : "");
        }
    }
    if (m->enc.shifts == ENC_SHIFTS_ALL) {
        printf("  transposition  each training tune also in every other key that fits\n");
    } else if (m->enc.shifts) {
        printf("  transposition  each training tune also shifted by");
        for (int s = -12; s <= 12; s++)
            if (m->enc.shifts & (1 << (s + 12)))
                printf(" %+d", s);
        printf(" semitones (where it fits)\n");
    }
}
static void print_model(const char *path, const Model *m, int vocab_n)
{
    const NetConfig *c = &m->net;
    const TrainSettings *t = &m->train;
    const TrainProgress *p = &m->progress;
    static const char *const heads[] = {"sigmoid + binary cross-entropy",
                                        "softmax + cross-entropy", "linear + mean squared error"};
    char hex[17], range[40];
    struct stat st;
    model_checksum_hex(m, hex);
    printf("%s\n", path);
    if (stat(path, &st) == 0)
        printf("  file           %lld bytes, checksum %s, saved %s\n", (long long)st.st_size, hex,
               m->created);
    printf("  encoding       %s%s%s%s (%s)\n", enc_name(m->enc.kind),
           m->enc.plain ? " --plain" : "", m->enc.durations ? " --durations" : "",
           m->enc.repeats ? " --lookback --repeat-labels" : m->enc.lookback ? " --lookback" : "",
           enc_describe(m->enc.kind));
    if (m->enc.lookback && !enc_form(&m->enc))
        printf("  lookback       input rows of %d: the step, the steps 1 and 2 bars back, the "
               "place in the bar%s\n", ENC_LOOKBACK_WIDTH,
               m->enc.repeats ? "; 2 more outputs: as 1 / 2 bars back" : "");
    else if (m->enc.lookback)
        print_form(m);
    if (m->vocab)
        printf("  vocabulary     %d tokens\n", vocab_size(m->vocab));
    if (range_known(m->range))
        printf("  pitch range    %s: the training tunes', kept to in generation\n",
               range_name(m->range, range, sizeof range));
    else
        printf("  pitch range    not recorded (an older file): generation keeps to what the "
               "encoding can sound, %s\n",
               range_name(range_of_encoding(&m->enc, m->vocab), range, sizeof range));
    printf("  network        %d -> %d x LSTM %d", c->n_in, c->layers, c->hidden);
    if (c->batchnorm)
        printf(" -> batch norm");
    if (c->dense)
        printf(" -> dense %d ReLU%s", c->dense, c->batchnorm ? " -> batch norm" : "");
    printf(" -> %d, %s\n", c->n_out, heads[c->head]);
    printf("                 %zu weights%s; dropout %g, recurrent dropout %g\n",
           net_n_params(m->nn), c->in_classes ? ", one-hot inputs" : "", c->dropout,
           c->rec_dropout);
    printf("  trained on     %s\n", t->corpus[0] ? t->corpus : "(not recorded)");
    printf("                 %ld tunes (%ld positions an epoch), %ld held out\n", t->tunes_train,
           t->steps_train, t->tunes_val);
    if (t->test_split > 0)
        printf("                 %ld tunes kept aside for testing (--test-split %g: neither trained "
               "nor validated on)\n", t->tunes_test, (double)t->test_split);
    printf("  settings       window %d, batch %d, %d epochs, %s lr %g", t->window, t->batch,
           t->epochs, optim_name(t->optim.kind), t->optim.lr);
    if (t->optim.clip_norm > 0)
        printf(", clip %g", t->optim.clip_norm);
    printf(", seed %llu, %d thread%s\n", (unsigned long long)t->seed, t->threads,
           t->threads == 1 ? "" : "s");
    printf("  progress       epoch %d of %d", p->epoch, t->epochs);
    if (p->batch_in_epoch)
        printf(" (+%lld batches of the next)", (long long)p->batch_in_epoch);
    printf(", %lld batches, %.0f s of training%s\n", (long long)p->batches, p->seconds,
           m->optim.state ? ", optimizer state kept (--resume works)" : "");
    printf("  training       loss %.4f, accuracy %.2f%%\n", p->train_loss, p->train_acc * 100);
    if (!isnan(p->val_loss)) {
        printf("  validation     loss %.4f, accuracy %.2f%%", p->val_loss, p->val_acc * 100);
        if (c->head == HEAD_SOFTMAX_CE)
            printf(", perplexity %.2f", exp(p->val_loss));
        printf(" (best loss %.4f)\n", p->best_val_loss);
    }
    if (m->vocab && vocab_n > 0) {
        printf("  tokens        ");
        for (int i = 0; i < vocab_n && i < vocab_size(m->vocab); i++)
            printf(" %s(%ld)", vocab_token(m->vocab, i), vocab_freq(m->vocab, i));
        printf("\n");
    }
}

int cmd_info(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"vocab", required_argument, NULL, 'v'},
        {"strip", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int ch, rc = 0, vocab_n = 0;
    const char *strip = NULL;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'v': {
            long n;
            if (!cli_long("reel info", "--vocab", optarg, 1, 1000000, &n))
                return 2;
            vocab_n = (int)n;
            break;
        }
        case 's': strip = optarg; break;
        case 'h': info_usage(stdout); return 0;
        default: info_usage(stderr); return 2;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "reel info: give a model file\n");
        return 2;
    }
    for (int i = optind; i < argc; i++) {
        Model m;
        ReelError err;
        if (model_load(&m, argv[i], 0, 0, &err)) {
            fprintf(stderr, "reel info: %s\n", err.msg);
            rc = 1;
            continue;
        }
        if (strip) {
            if (argc - optind != 1) {
                fprintf(stderr, "reel info: --strip takes one model\n");
                model_free(&m);
                return 2;
            }
            if (file_same(argv[i], strip)) {
                fprintf(stderr, "reel info: --strip %s is the model itself (its optimizer state "
                        "would be lost): write the copy to another name\n", strip);
                model_free(&m);
                return 2;
            }
            if (model_save(&m, strip, false, &err)) {
                fprintf(stderr, "reel info: %s\n", err.msg);
                rc = 1;
            } else {
                print_model(strip, &m, vocab_n);
            }
        } else {
            print_model(argv[i], &m, vocab_n);
        }
        model_free(&m);
    }
    return rc;
}
