/* main.c — `reel COMMAND ...`: dispatch to the commands of the headless twin. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "dist.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} Command;

static const Command commands[] = {
    {"corpus", cmd_corpus, "load MIDI and ABC files or folders; report notes, grid, encodings"},
    {"convert", cmd_convert, "one tune to a MIDI file: melody picked, quantized, optionally "
                             "through an encoding and back"},
    {"train", cmd_train, "train an LSTM on MIDI/ABC files; checkpoints, --resume, CSV log"},
    {"info", cmd_info, "what a model file holds"},
    {"generate", cmd_generate, "continue a prime (rests, typed notes, a file) with a model; MIDI or "
                               "ABC out"},
    {"play", cmd_play, "play a MIDI or ABC file through FluidSynth (progress line, Ctrl-C stops)"},
    {"render", cmd_render, "render a MIDI or ABC file to a WAV file with FluidSynth"},
    {"studio", cmd_studio, "the ncurses studio: type a seed, generate, listen, train (plain "
                           "`reel` on a terminal)"},
    {"eval", cmd_eval, "melody metrics: generated vs corpus, originality, held-out loss"},
};

static void usage(FILE *f)
{
    fprintf(f,
            "reel %s — a music studio in the terminal: LSTM melody models you train,\n"
            "play with and listen to.\n"
            "\n"
            "usage: reel COMMAND [OPTIONS] [ARGS]\n"
            "       reel COMMAND --help      options of one command\n"
            "       reel                     on a terminal: the studio (reel studio)\n"
            "\n"
            "commands:\n",
            REEL_VERSION);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(f,
            "  help      the same as --help; `reel help COMMAND` for one command\n"
            "\n"
            "options:\n"
            "  -h, --help     this text\n"
            "  -V, --version  version and where reel finds its data (models, soundfonts)\n"
            "\n"
            "environment:\n"
            "  REEL_CORPUS    corpus folder for tests and benchmarks (../shared/corpus)\n"
            "  REEL_DATA      shared-data folder, instead of PREFIX/share/reel\n"
            "  REEL_SOUNDFONT the soundfont play and render use (see soundfonts/README)\n"
            "\n"
            "Exit status: 0 success, 1 failure (the reason is on stderr), 2 bad usage.\n"
            "See reel(1).\n");
}

int main(int argc, char **argv)
{
    const char *cmd;
    if (argc < 2) {
        if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) {
            static char name[] = "studio";
            char *av[] = {name, NULL};
            return cmd_studio(1, av);
        }
        usage(stderr);
        return 2;
    }
    cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "help")) {
        if (argc > 2)
            for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
                if (!strcmp(argv[2], commands[i].name)) {
                    static char help[] = "--help";
                    char *av[] = {argv[2], help, NULL};
                    return commands[i].run(2, av);
                }
        usage(stdout);
        return argc > 2 ? 2 : 0;
    }
    if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
        printf("reel %s\ndata: %s\n", REEL_VERSION, datadir_path());
        printf("mpi: %s\n", dist_built_with_mpi() ? dist_library() : "no");
        if (dist_built_with_mpi())
            printf("     data-parallel training: mpirun -np N reel train ... (docs/CLUSTER.md)\n");
        else
            printf("     built without MPI: reel train runs as one process; for mpirun -np N,\n"
                   "     install libopenmpi-dev (make deps) and rebuild\n");
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(cmd, commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "reel: unknown command '%s' (reel --help lists them)\n", cmd);
    return 2;
}
