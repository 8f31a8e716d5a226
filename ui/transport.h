/* transport.h — play, stop, loop, metronome, continuous generation, the
 * playhead, the count-in and record mode: the state of what the studio
 * plays.  The player that sounds it is sound.h's; playback.c moves this
 * state and the player together.  No curses here.  Belongs to the UI
 * thread.
 */
#ifndef REEL_UI_TRANSPORT_H
#define REEL_UI_TRANSPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "record.h"

typedef struct {
    bool playing;
    bool loop, metronome;
    bool continuous;              /* generate a bar or so ahead of the playhead */
    bool sample_playing;          /* the player holds a training sample, not the song */
    unsigned player_version;      /* song version the player holds */
    int player_num, player_den;   /* metre the player holds */
    double playhead;              /* step heard now, while playing */
    bool play_pending;            /* play the take from play_pending_from once it is made */
    double play_pending_from;
    double play_from;
    bool recording, counting_in;
    int count_beats, count_done;
    double count_t0, count_beat;  /* wall clock of the first click; seconds a beat */
    Recorder rec;
    bool rec_metro_was;           /* metronome before recording */
} Transport;

/* Recording or counting in. */
bool transport_recording(const Transport *t);
/* The step the screen follows: the playhead while playing, else the cursor. */
double transport_focus(const Transport *t, int32_t cursor);

#endif
