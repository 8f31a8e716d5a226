# reel — a music studio in the terminal.
#
#   make run        set up (installs Debian packages if missing) and run
#   make test       set up, build, run every test
#   make asan       build with -fsanitize=address,undefined (into build-asan/)
#   make test-asan  the whole test suite on the sanitizer build
#   make valgrind   the core tests under valgrind (memcheck, leaks)
#   make fuzz       libFuzzer on every parser, FUZZ_SECONDS (60) each
#   make bench      benchmarks, figures printed
#   make deps       install the Debian packages reel needs (apt-get)
#   make install PREFIX=/usr/local
#
# The layout is the architecture: src/<room>/ is the core in layers (no
# curses, never prints; see "rooms" below), src/cli/ is the command-line
# front end, ui/ the studio.

# The outside libraries, by the room that uses them (see "Rooms" below).
PKGS_base  := openblas
PKGS_music := smf
PKGS_sound := portaudio-2.0 fluidsynth alsa
PKGS_ui    := ncursesw
PKGS      := $(PKGS_base) $(PKGS_music) $(PKGS_sound) $(PKGS_ui)
DEB_PKGS  := build-essential pkg-config libncurses-dev portaudio19-dev libfluidsynth-dev \
             libsmf-dev libopenblas-dev fluid-soundfont-gm timgm6mb-soundfont libasound2-dev \
             abcmidi midicsv tmux sox libopenmpi-dev openmpi-bin
TOOLS     := abc2midi midicsv
SUDO      := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# MPI is optional: with ompi-c (libopenmpi-dev, which make deps installs)
# src/learn/dist.c is built with it and `mpirun -np N reel train` trains on N
# ranks; without it, or with MPI=no (use a fresh BUILD=), reel is one
# process.  `reel --version` says which.
MPI       ?= auto

PREFIX    ?= /usr/local
BUILD     ?= build
BIN       ?= reel
REEL_CORPUS ?= $(firstword $(wildcard ../shared/corpus /work/shared/corpus) ../shared/corpus)
export REEL_CORPUS

CC        ?= cc
# make V=1 shows the full compiler lines.
ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @printf '  %-6s %s\n' $(1) $(2)
endif
WARN      := -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
             -Wmissing-prototypes -Wpointer-arith -Wcast-qual -Wwrite-strings \
             -Wformat=2 -Wundef -Wvla
OPT       ?= -O2 -g
SAN       :=
DEFS      := -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE

# ---- rooms ------------------------------------------------------------------
# src/ is built in rooms, one folder and one library each, from the bottom up:
#   base      errors, random numbers, BLAS, files, clocks, numbers
#   music     tunes and bars, MIDI (libsmf), ABC, ABC out, quantizing
#   learn     corpus, vocabulary, encodings, data, the LSTM, optimizers,
#             models, sampling, generation, training and the training job
#   analysis  melody metrics and originality against a corpus
#   sound     soundfonts, FluidSynth + PortAudio, the player
# and src/cli/ (the commands) and ui/ (the studio) on top.  A room is
# compiled with only its own headers and those of the rooms it stands on
# (ROOM_USES), so an include that goes the wrong way fails the build, and
# the libraries are linked top first, so a call that goes the wrong way
# fails the link.
ROOMS           := base music learn analysis sound
ROOM_USES_base     := base
ROOM_USES_music    := music base
ROOM_USES_learn    := learn music base
ROOM_USES_analysis := analysis learn music base
ROOM_USES_sound    := sound music base
ROOM_USES_ui       := ui $(ROOMS)
ROOM_USES_cli      := cli ui $(ROOMS)

room_src  = $(sort $(wildcard src/$(1)/*.c))
room_lib  = $(BUILD)/libreel-$(1).a
# The libraries a program standing on room $(1) links, top first.
room_libs = $(foreach r,$(filter $(ROOM_USES_$(1)),sound analysis learn music base),$(call room_lib,$(r)))
room_inc  = $(foreach r,$(ROOM_USES_$(1)),-Isrc/$(r))
room_pkg_cflags = $(foreach r,$(ROOM_USES_$(1)),$(PKG_CFLAGS_$(r)))
room_pkg_libs   = $(foreach r,$(ROOM_USES_$(1)),$(PKG_LIBS_$(r)))

CORE_SRC  := $(foreach r,$(ROOMS),$(call room_src,$(r)))
CLI_SRC   := $(sort $(wildcard src/cli/*.c))
UI_SRC    := $(sort $(wildcard ui/*.c))
TEST_SRC  := $(sort $(wildcard tests/test_*.c))
BENCH_SRC := $(sort $(wildcard bench/bench_*.c))
CORE_OBJ  := $(CORE_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ   := $(CLI_SRC:%.c=$(BUILD)/%.o)
UI_OBJ    := $(UI_SRC:%.c=$(BUILD)/%.o)
TEST_BIN  := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
ALL_LIBS  := $(call room_libs,cli)

# The room each test program stands on: it is compiled with that room's
# headers and linked with that room's libraries and no others (test_nn has
# no sound libraries).  Tests not named here stand on learn.
TEST_ROOM_test_blas       := base
TEST_ROOM_test_abc        := music
TEST_ROOM_test_midi       := music
TEST_ROOM_test_quant      := music
TEST_ROOM_test_metrics    := analysis
TEST_ROOM_test_evaljob    := analysis
TEST_ROOM_test_audio      := sound
TEST_ROOM_test_audio_play := sound
test_room = $(or $(TEST_ROOM_$(1)),learn)

NOCONFIG_GOALS := deps clean distclean help
ifeq ($(filter-out $(NOCONFIG_GOALS),$(or $(MAKECMDGOALS),all)),)
else
include $(BUILD)/config.mk
endif

# ROOM is set per target: the room whose headers and libraries it may use.
CFLAGS_ALL = $(WARN) $(OPT) $(SAN) $(DEFS) $(call room_inc,$(ROOM)) $(call room_pkg_cflags,$(ROOM)) $(CFLAGS)
LDLIBS_ALL = $(call room_pkg_libs,$(ROOM)) $(MPI_LIBS) -lpthread -lm $(LDLIBS)

.PHONY: all run test test-asan asan bench bench-torch paper deps install uninstall clean help

all: $(BIN)

# config.mk is made (and make restarts) before anything else is built.  When
# a pkg-config check or a tool is missing it installs the packages first, so
# `make`, `make run` and `make test` set up a fresh Debian machine by themselves.
$(BUILD)/config.mk: Makefile
	@mkdir -p $(@D)
	@if ! pkg-config --exists $(PKGS) 2>/dev/null || \
	    ! (for t in $(TOOLS); do command -v $$t >/dev/null || exit 1; done); then \
	    echo "reel: missing libraries or tools; running 'make deps'"; \
	    $(MAKE) --no-print-directory deps || exit 1; \
	fi
	@pkg-config --exists $(PKGS) || { echo "reel: pkg-config still cannot find: $(PKGS)"; exit 1; }
	@{ for r in base music sound ui; do \
	       case $$r in base) p="$(PKGS_base)";; music) p="$(PKGS_music)";; \
	                   sound) p="$(PKGS_sound)";; ui) p="$(PKGS_ui)";; esac; \
	       echo "PKG_CFLAGS_$$r := $$(pkg-config --cflags $$p)"; \
	       echo "PKG_LIBS_$$r := $$(pkg-config --libs $$p)"; \
	   done; \
	   if [ "$(MPI)" != no ] && pkg-config --exists ompi-c 2>/dev/null; then \
	       echo "MPI_CFLAGS := -DREEL_MPI $$(pkg-config --cflags-only-I ompi-c | sed 's/-I/-isystem /g') $$(pkg-config --cflags-only-other ompi-c)"; \
	       echo "MPI_LIBS := $$(pkg-config --libs ompi-c)"; \
	   else \
	       echo "reel: building without MPI ($(if $(filter no,$(MPI)),MPI=no,no ompi-c; make deps installs libopenmpi-dev))" >&2; \
	       echo "MPI_CFLAGS :="; echo "MPI_LIBS :="; \
	   fi; } > $@.tmp && mv $@.tmp $@

deps:
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(DEB_PKGS)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(call say,CC,$<)
	$(Q)$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

$(foreach r,$(ROOMS),$(eval $(BUILD)/src/$(r)/%.o: ROOM := $(r)))
$(BUILD)/src/cli/%.o: ROOM := cli
$(BUILD)/ui/%.o: ROOM := ui

# src/learn/dist.c is the one file that includes mpi.h.
$(BUILD)/src/learn/dist.o: CFLAGS_ALL += $(MPI_CFLAGS)

define room_lib_rule
$(call room_lib,$(1)): $(patsubst %.c,$(BUILD)/%.o,$(call room_src,$(1)))
	@rm -f $$@
	$$(call say,AR,$$@)
	$$(Q)ar rcs $$@ $$^
endef
$(foreach r,$(ROOMS),$(eval $(call room_lib_rule,$(r))))

# The studio (ui/, the only code that includes curses) links into the
# binary only; its tests link it as libreel-ui.a.
$(BUILD)/libreel-ui.a: $(UI_OBJ)
	@rm -f $@
	$(call say,AR,$@)
	$(Q)ar rcs $@ $^

$(BUILD)/reel: ROOM := cli
$(BUILD)/reel: $(CLI_OBJ) $(BUILD)/libreel-ui.a $(ALL_LIBS)
	$(call say,LINK,$@)
	$(Q)$(CC) $(CFLAGS_ALL) $(LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libreel-ui.a $(ALL_LIBS) $(LDLIBS_ALL)

# The binary in the top folder is the normal build; make asan leaves its own
# in build-asan/reel.
ifeq ($(BUILD),build)
$(BIN): $(BUILD)/reel
	@cp $< $@.tmp && mv -f $@.tmp $@
endif

# A test program: its room's headers and libraries (TEST_ROOM_*), and
# tests/ for testlib.h.
define test_rule
$(BUILD)/tests/$(1): ROOM := $(call test_room,$(1))
$(BUILD)/tests/$(1): tests/$(1).c $(wildcard tests/*.h) $(call room_libs,$(call test_room,$(1)))
	@mkdir -p $$(@D)
	$$(call say,LINK,$$@)
	$$(Q)$$(CC) $$(CFLAGS_ALL) -Itests $$(LDFLAGS) -o $$@ $$< $(call room_libs,$(call test_room,$(1))) $$(LDLIBS_ALL)
endef
$(foreach t,$(filter-out test_ui_% test_fuzz_replay,$(TEST_SRC:tests/%.c=%)),$(eval $(call test_rule,$(t))))

$(BUILD)/tests/test_ui_%: ROOM := ui
$(BUILD)/tests/test_ui_%: tests/test_ui_%.c $(wildcard tests/*.h) $(BUILD)/libreel-ui.a $(ALL_LIBS)
	@mkdir -p $(@D)
	$(call say,LINK,$@)
	$(Q)$(CC) $(CFLAGS_ALL) -Itests -Iui $(LDFLAGS) -o $@ $< $(BUILD)/libreel-ui.a $(ALL_LIBS) $(LDLIBS_ALL)

$(BUILD)/bench/%: ROOM := cli
$(BUILD)/bench/%: bench/%.c $(ALL_LIBS)
	@mkdir -p $(@D)
	$(call say,LINK,$@)
	$(Q)$(CC) $(CFLAGS_ALL) $(LDFLAGS) -o $@ $< $(ALL_LIBS) $(LDLIBS_ALL)

# One-off tools (tools/*.c) on the whole core, like bench/.
$(BUILD)/tools/%: ROOM := cli
$(BUILD)/tools/%: tools/%.c $(ALL_LIBS)
	@mkdir -p $(@D)
	$(call say,LINK,$@)
	$(Q)$(CC) $(CFLAGS_ALL) $(LDFLAGS) -o $@ $< $(ALL_LIBS) $(LDLIBS_ALL)

run: $(BIN)
	./$(BIN) studio --model models/fiddle-form.reel

test: $(BUILD)/reel $(TEST_BIN) $(BIN)
	@BUILD=$(BUILD) REEL_BIN=$(BUILD)/reel sh tests/run.sh

# float-cast-overflow: gcc's "undefined" leaves out casts of NaN or huge
# floats to integers (clang's has them).
asan:
	@$(MAKE) --no-print-directory BUILD=build-asan OPT="-O1 -g -fno-omit-frame-pointer" \
	    SAN="-fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=undefined,float-cast-overflow" build-asan/reel

test-asan:
	@$(MAKE) --no-print-directory BUILD=build-asan OPT="-O1 -g -fno-omit-frame-pointer" \
	    SAN="-fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=undefined,float-cast-overflow" test

bench: $(BENCH_BIN) bench-torch $(BUILD)/reel
	@rc=0; for b in $(BENCH_BIN); do $$b || rc=1; done; \
	    REEL_BIN=$(BUILD)/reel sh bench/bench_studio.sh || rc=1; \
	    REEL_BIN=$(BUILD)/reel sh bench/bench_mpi.sh || rc=1; exit $$rc

# bench_nn compares the engine with PyTorch: Debian's python3-torch for
# /usr/bin/python3, installed here when missing (best effort: without it
# bench_nn prints its own figures and no ratios).
bench-torch:
	@/usr/bin/python3 -c 'import torch' 2>/dev/null || { \
	    echo "bench: installing python3-torch (the PyTorch reference for bench_nn)"; \
	    $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	        python3-torch python3-numpy; } || echo "bench: no PyTorch; bench_nn prints no ratios"

# Retrain the shipped models (not in CI: about half an hour).
models: $(BIN)
	sh tools/models.sh

# Reproduce the papers (not in CI: tens of minutes).  Results: docs/PAPER.md.
paper: $(BIN)
	sh tools/paper.sh

# ---- fuzzing and valgrind ---------------------------------------------------
# fuzz/ holds one entry point per parser of outside input (fuzz/fuzz.h).  The
# replay test links them (with ui/settings.c, the studio's config parser) to replay
# tests/fuzz-regress/<target>/ in every build, ASan's included.
FUZZ_TARGETS := midi abc notes model settings
FUZZ_SRC     := $(filter-out fuzz/libfuzzer.c,$(sort $(wildcard fuzz/*.c))) ui/settings.c

$(BUILD)/tests/test_fuzz_replay: ROOM := ui
$(BUILD)/tests/test_fuzz_replay: tests/test_fuzz_replay.c $(FUZZ_SRC) $(wildcard fuzz/*.h tests/*.h) \
                                 $(ALL_LIBS)
	@mkdir -p $(@D)
	$(call say,LINK,$@)
	$(Q)$(CC) $(CFLAGS_ALL) -Itests -Iui -Ifuzz $(LDFLAGS) -o $@ $< $(FUZZ_SRC) \
	    $(ALL_LIBS) $(LDLIBS_ALL)

# make fuzz: each target under libFuzzer with ASan and UBSan, one after the
# other, for FUZZ_SECONDS each (or FUZZ_RUNS executions, when set and
# reached first), from seeds made from real files (fuzz/seeds.sh).  Prints
# executions per second and in all; crashes land in build-fuzz/crashes/.
# FUZZ_TARGETS="midi model" picks targets.  clang and libFuzzer
# (libclang-rt-14-dev) are installed here when missing.
FUZZ_SECONDS ?= 60
FUZZ_RUNS    ?= 0
FUZZ_CC      ?= clang
FUZZ_BUILD   := build-fuzz

fuzz: fuzz-tools
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) OPT="-O2 -g -fno-omit-frame-pointer" \
	    SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined" fuzz-bins
	@FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_RUNS=$(FUZZ_RUNS) sh fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_TARGETS)

fuzz-bins: $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz_%) $(BUILD)/reel

$(BUILD)/fuzz/fuzz_%: ROOM := ui
$(BUILD)/fuzz/fuzz_%: fuzz/libfuzzer.c $(FUZZ_SRC) fuzz/fuzz.h $(ALL_LIBS)
	@mkdir -p $(@D)
	$(call say,LINK,$@)
	$(Q)$(CC) $(CFLAGS_ALL) -Iui -Ifuzz -fsanitize=fuzzer -DFUZZ_ENTRY=fuzz_$* $(LDFLAGS) -o $@ \
	    fuzz/libfuzzer.c $(FUZZ_SRC) $(ALL_LIBS) $(LDLIBS_ALL)

fuzz-tools:
	@mkdir -p $(FUZZ_BUILD)
	@printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n);\nint LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' \
	    > $(FUZZ_BUILD)/probe.c
	@$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $(FUZZ_BUILD)/probe $(FUZZ_BUILD)/probe.c >/dev/null 2>&1 || { \
	    echo "fuzz: installing clang and libFuzzer (clang libclang-rt-14-dev)"; \
	    $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	        clang libclang-rt-14-dev; }

# make valgrind: the core tests (no audio, no studio) under valgrind's
# memcheck, leaks included; any error fails.  REEL_TEST_QUICK=1 tells the
# slow tests to do less (tools/valgrind.sh).  Not test_limits: it times and
# weighs reel commands it starts, which valgrind does not follow (and its
# pre-exec footprint counts in their peak memory).  Uses the build in
# $(BUILD); valgrind is installed here when missing.
VALGRIND_TESTS := $(filter-out $(BUILD)/tests/test_audio% $(BUILD)/tests/test_ui_% \
                    $(BUILD)/tests/test_limits,$(TEST_BIN))

valgrind: valgrind-tool $(VALGRIND_TESTS)
	@sh tools/valgrind.sh $(VALGRIND_TESTS)

valgrind-tool:
	@command -v valgrind >/dev/null 2>&1 || { \
	    echo "valgrind: installing valgrind"; \
	    $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends valgrind; }

.PHONY: fuzz fuzz-bins fuzz-tools valgrind valgrind-tool

DATADIR := $(DESTDIR)$(PREFIX)/share/reel
install: $(BUILD)/reel
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DATADIR)/models $(DATADIR)/soundfonts
	install -m 755 $(BUILD)/reel $(DESTDIR)$(PREFIX)/bin/reel
	install -m 644 doc/reel.1 $(DESTDIR)$(PREFIX)/share/man/man1/reel.1
	install -m 644 soundfonts/README $(DATADIR)/soundfonts/README
	for f in models/*; do [ -f "$$f" ] && install -m 644 "$$f" $(DATADIR)/models/ || true; done

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/reel $(DESTDIR)$(PREFIX)/share/man/man1/reel.1
	rm -rf $(DATADIR)

clean:
	rm -rf build build-asan $(BIN)

help:
	@sed -n '3,11p' Makefile | sed 's/^# //'

-include $(CORE_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(UI_OBJ:.o=.d)
