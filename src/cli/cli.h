/* cli.h — the command-line front end: one function per command.
 *
 * Front ends print and exit; the core does neither.  Every command returns
 * an exit status: 0 success, 1 failure (the message is on stderr), 2 a usage
 * error.
 */
#ifndef REEL_CLI_H
#define REEL_CLI_H

#include <stdio.h>

#define REEL_VERSION "0.1.0"

int cmd_corpus(int argc, char **argv);
int cmd_convert(int argc, char **argv);

/* The shared-data folder (models/, soundfonts/): $REEL_DATA, else
 * PREFIX/share/reel beside an installed binary, else the source tree the
 * binary was built in.  Static string. */
const char *cli_data_dir(void);

/* "1,234,567" into buf (at least 32 bytes).  Returns buf. */
char *cli_thousands(long v, char *buf);

/* Write s as a JSON string literal (with quotes). */
void cli_json_string(FILE *f, const char *s);

/* True when stderr is a terminal (progress bars) . */
int cli_stderr_is_tty(void);

#endif
