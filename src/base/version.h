/* version.h — reel's version string, for --version and exports' provenance. */
#ifndef REEL_VERSION_H
#define REEL_VERSION_H

#define REEL_VERSION "0.1.0"

#endif
