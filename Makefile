# reel — a music studio in the terminal.
#
#   make run        set up (installs Debian packages if missing) and run
#   make test       set up, build, run every test
#   make asan       build with -fsanitize=address,undefined (into build-asan/)
#   make test-asan  the whole test suite on the sanitizer build
#   make bench      benchmarks, figures printed
#   make deps       install the Debian packages reel needs (apt-get)
#   make install PREFIX=/usr/local
#
# The layout is the architecture: src/*.c is the core (no curses, no audio,
# never prints), src/cli/*.c is the command-line front end, ui/ the studio.

PKGS      := ncursesw portaudio-2.0 fluidsynth smf openblas alsa
DEB_PKGS  := build-essential pkg-config libncurses-dev portaudio19-dev libfluidsynth-dev \
             libsmf-dev libopenblas-dev fluid-soundfont-gm timgm6mb-soundfont libasound2-dev \
             abcmidi midicsv tmux sox
TOOLS     := abc2midi midicsv
SUDO      := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

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

CORE_SRC  := $(sort $(wildcard src/*.c))
CLI_SRC   := $(sort $(wildcard src/cli/*.c))
UI_SRC    := $(sort $(wildcard ui/*.c))
TEST_SRC  := $(sort $(wildcard tests/test_*.c))
BENCH_SRC := $(sort $(wildcard bench/bench_*.c))
CORE_OBJ  := $(CORE_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ   := $(CLI_SRC:%.c=$(BUILD)/%.o)
UI_OBJ    := $(UI_SRC:%.c=$(BUILD)/%.o)
TEST_BIN  := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

NOCONFIG_GOALS := deps clean distclean help
ifeq ($(filter-out $(NOCONFIG_GOALS),$(or $(MAKECMDGOALS),all)),)
else
include $(BUILD)/config.mk
endif

CFLAGS_ALL = $(WARN) $(OPT) $(SAN) $(DEFS) -Isrc $(PKG_CFLAGS) $(CFLAGS)
LDLIBS_ALL = $(PKG_LIBS) -lpthread -lm $(LDLIBS)

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
	@{ echo "PKG_CFLAGS := $$(pkg-config --cflags $(PKGS))"; \
	   echo "PKG_LIBS := $$(pkg-config --libs $(PKGS))"; } > $@.tmp && mv $@.tmp $@

deps:
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(DEB_PKGS)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(call say,CC,$<)
	$(Q)$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

$(BUILD)/libreel.a: $(CORE_OBJ)
	@rm -f $@
	$(call say,AR,$@)
	$(Q)ar rcs $@ $^

# The studio (ui/, the only code that includes curses) links into the
# binary only; its tests link it as libreel-ui.a.
$(BUILD)/libreel-ui.a: $(UI_OBJ)
	@rm -f $@
	$(call say,AR,$@)
	$(Q)ar rcs $@ $^

$(BUILD)/reel: $(CLI_OBJ) $(UI_OBJ) $(BUILD)/libreel.a
	$(call say,LINK,$@)
	$(Q)$(CC) $(CFLAGS_ALL) $(LDFLAGS) -o $@ $(CLI_OBJ) $(UI_OBJ) $(BUILD)/libreel.a $(LDLIBS_ALL)

# The binary in the top folder is the normal build; make asan leaves its own
# in build-asan/reel.
ifeq ($(BUILD),build)
$(BIN): $(BUILD)/reel
	@cp $< $@.tmp && mv -f $@.tmp $@
endif

$(BUILD)/tests/%: tests/%.c $(wildcard tests/*.h) $(BUILD)/libreel.a
	@mkdir -p $(@D)
	$(call say,LINK,$@)
	$(Q)$(CC) $(CFLAGS_ALL) -Itests $(LDFLAGS) -o $@ $< $(BUILD)/libreel.a $(LDLIBS_ALL)

$(BUILD)/tests/test_ui_%: tests/test_ui_%.c $(wildcard tests/*.h) $(BUILD)/libreel-ui.a $(BUILD)/libreel.a
	@mkdir -p $(@D)
	$(call say,LINK,$@)
	$(Q)$(CC) $(CFLAGS_ALL) -Itests -Iui $(LDFLAGS) -o $@ $< $(BUILD)/libreel-ui.a $(BUILD)/libreel.a $(LDLIBS_ALL)

$(BUILD)/bench/%: bench/%.c $(BUILD)/libreel.a
	@mkdir -p $(@D)
	$(call say,LINK,$@)
	$(Q)$(CC) $(CFLAGS_ALL) $(LDFLAGS) -o $@ $< $(BUILD)/libreel.a $(LDLIBS_ALL)

run: $(BIN)
	./$(BIN) studio --model models/fiddle-melody.reel

test: $(BUILD)/reel $(TEST_BIN) $(BIN)
	@BUILD=$(BUILD) REEL_BIN=$(BUILD)/reel sh tests/run.sh $(TEST_BIN)

asan:
	@$(MAKE) --no-print-directory BUILD=build-asan OPT="-O1 -g -fno-omit-frame-pointer" \
	    SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined" build-asan/reel

test-asan:
	@$(MAKE) --no-print-directory BUILD=build-asan OPT="-O1 -g -fno-omit-frame-pointer" \
	    SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined" test

bench: $(BENCH_BIN) bench-torch $(BUILD)/reel
	@rc=0; for b in $(BENCH_BIN); do $$b || rc=1; done; \
	    REEL_BIN=$(BUILD)/reel sh bench/bench_studio.sh || rc=1; exit $$rc

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
	@sed -n '3,10p' Makefile | sed 's/^# //'

-include $(CORE_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(UI_OBJ:.o=.d)
