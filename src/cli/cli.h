/* cli.h — the command-line front end: one function per command.
 *
 * Front ends print and exit; the core does neither.  Every command returns
 * an exit status: 0 success, 1 failure (the message is on stderr), 2 a usage
 * error.
 */
#ifndef REEL_CLI_H
#define REEL_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "datadir.h"
#include "num.h"
#include "player.h"
#include "playsetup.h"
#include "version.h"


int cmd_corpus(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_generate(int argc, char **argv);
int cmd_play(int argc, char **argv);
int cmd_render(int argc, char **argv);
int cmd_studio(int argc, char **argv);   /* ui/studio.c */
int cmd_eval(int argc, char **argv);

/* What `reel play` and `reel render` share (music.c): the options that
 * choose and shape the music, and loading a file into a Player. */
typedef struct {
    const char *soundfont;   /* --soundfont FILE, or NULL */
    const char *part;        /* --part NAME|all, or NULL: the melody */
    long tune_no;            /* --tune N, from 1 */
    PlaySetup play;          /* --program, --velocity, --bpm, --gain, --from, --bar,
                                --metronome */
    int verbose;
    char name[256];          /* cli_music_load: the tune's name */
    long n_notes;
} CliMusic;

enum { CLI_MUSIC_OPT = 1000 };   /* getopt codes of the shared options start here */
void cli_music_init(CliMusic *m);
/* The n_own options of a command, then the shared ones, then the {NULL}
 * row, into opts (room for n_own + 16). */
void cli_music_longopts(struct option *opts, const struct option *own, size_t n_own);
/* One shared option: 0 taken, 2 bad value (said on stderr), -1 not shared. */
int cli_music_option(CliMusic *m, int ch, const char *arg, const char *cmd);
/* getopt's default case: -1 a shared option taken, else 2 (a bad value
 * said, or usage(stderr) for an unknown option). */
int cli_music_take(CliMusic *m, int ch, const char *arg, const char *cmd, void (*usage)(FILE *));
void cli_music_help(FILE *f);
/* Load the file's tune into p with the options; *from gets the start step.
 * 0, or 1 with the reason on stderr. */
int cli_music_load(CliMusic *m, const char *path, Player *p, double *from, const char *cmd);
/* Find the soundfont; 0, or 1 with where reel looked on stderr. */
int cli_music_soundfont(const CliMusic *m, char *out, size_t size, const char *cmd);
/* Print the library messages logged from *cursor up to until (for --verbose). */
void cli_music_log(uint64_t *cursor, uint64_t until, const char *cmd);
/* --verbose: the messages since start; once, those before opened (probing
 * the devices) only counted; twice, all. */
void cli_music_log_verbose(const CliMusic *m, uint64_t start, uint64_t opened, const char *cmd);

/* The shared-data folder (models/, soundfonts/): $REEL_DATA, else
 * PREFIX/share/reel beside an installed binary, else the source tree the
 * binary was built in.  Static string. */
const char *cli_data_dir(void);

/* "1,234,567" into buf (at least 32 bytes).  Returns buf. */
char *num_thousands(long v, char *buf);

/* An option's value as a whole number from lo to hi, or false with
 * "CMD: OPT needs a whole number from LO to HI, not 'V'" on stderr. */
bool cli_long(const char *cmd, const char *opt, const char *v, long lo, long hi, long *out);
/* The same for a finite number from lo to hi ("needs a number from LO to
 * HI"; with lo -HUGE_VAL and hi HUGE_VAL, "needs a number"). */
bool cli_double(const char *cmd, const char *opt, const char *v, double lo, double hi,
                double *out);

/* --seed's value: a whole number from 0 (up to 2^64 - 1), or false with
 * "CMD: --seed needs a whole number from 0, not 'V'" on stderr. */
bool cli_seed(const char *cmd, const char *v, uint64_t *out);

/* getopt_long over argv from its start, each option handed to take(ctx,
 * ch, optarg), which returns -1 when it took it, else an exit status that
 * ends the loop.  Returns -1 when every option was taken, else that status. */
typedef int (*CliTake)(void *ctx, int ch, const char *arg);
int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
               CliTake take, void *ctx);

/* Write s as a JSON string literal (with quotes). */
void cli_json_string(FILE *f, const char *s);

/* True when stderr is a terminal (progress bars) . */
int cli_stderr_is_tty(void);

#endif
