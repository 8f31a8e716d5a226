/* transport.c — the transport's questions (transport.h). */
#include "transport.h"

bool transport_recording(const Transport *t)
{
    return t->recording || t->counting_in;
}

double transport_focus(const Transport *t, int32_t cursor)
{
    return t->playing ? t->playhead : cursor;
}
