# netrepro: make, make test, make run, make bench, make deps.
CC      ?= cc
PKGS    := libnl-3.0 libnl-route-3.0 jansson libpcap
# Debian 12's packages, by what needs them (a fresh debian:12 image has none
# of these, not even pkg-config, kmod or procps):
#   build:   `make`, `make unit`; kmod's modprobe is how the kernel loads
#            veth, bridge and sch_netem when a test first makes one
#   test:    the pytest suite (`make e2e`): ip, tc and ss, bwrap, pgrep, groff,
#            cmark-gfm (Markdown reports rendered as GitHub renders them)
#   matrix:  `make matrix`: QEMU, the guest's busybox, xz for Debian's
#            .ko.xz modules, depmod, and CA certificates for snapshot.debian.org
#   browser: the HTML report rendered in headless Chromium (tests/reports)
DEB_GROUPS   := build test matrix browser
DEBS_build   := gcc make pkg-config libnl-3-dev libnl-route-3-dev libjansson-dev libcmocka-dev libpcap-dev kmod
DEBS_test    := python3 python3-pytest python3-pytest-xdist python3-jsonschema python3-yaml iproute2 bubblewrap cmark-gfm \
                procps groff-base
DEBS_matrix  := qemu-system-x86 busybox-static xz-utils kmod ca-certificates
DEBS_browser := chromium
DEBS         := $(sort $(foreach g,$(DEB_GROUPS),$(DEBS_$(g))))
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror $(PKG_CFLAGS) -MMD -MP
# Symbols bound at start-up, once: a worker forked per case then never runs
# the dynamic linker's lazy binding (and its copy-on-write faults) itself.
LDFLAGS ?=
LDFLAGS += -Wl,-z,now
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo 0.1)
B       := build
PYTHON  := /usr/bin/python3

NETNS_SRC   := $(wildcard netns/*.c)
REPORTS_SRC := $(wildcard reports/*.c)
RUNNER_DIRS := runner runner/lang runner/exec runner/sched runner/env runner/matrix
RUNNER_SRC  := $(filter-out runner/main.c,$(foreach d,$(RUNNER_DIRS),$(wildcard $(d)/*.c)))
INCLUDES    := -iquote netns -iquote reports $(foreach d,$(RUNNER_DIRS),-iquote $(d))
LIB_OBJ     := $(patsubst %.c,$(B)/%.o,$(NETNS_SRC) $(REPORTS_SRC) $(RUNNER_SRC))
UNIT_SRC    := $(wildcard tests/unit/test_*.c)
UNIT_BIN    := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))

.PHONY: all test unit e2e run bench matrix asan valgrind deps check-deps clean readme flake stress install uninstall FORCE
all: check-deps $(B)/netrepro

check-deps:
	@pkg-config --exists $(PKGS) || { \
	  echo "netrepro: missing build dependencies. Run 'make deps-build' (or 'make deps': all) as root, or:"; \
	  echo "  apt-get install -y $(DEBS_build)"; exit 1; }

# `make deps` installs every group; `make deps-build deps-matrix` (a CI job)
# only those, in one apt-get run: every deps goal on the command line shares
# the one deps-apt below.
DEBS_GOALS := $(sort $(foreach g,$(filter deps deps-%,$(MAKECMDGOALS)),$(if $(filter deps,$(g)),$(DEBS),$(DEBS_$(g:deps-%=%)))))
.PHONY: deps-apt $(addprefix deps-,$(DEB_GROUPS))
deps $(addprefix deps-,$(DEB_GROUPS)): deps-apt ; @:
deps-apt:
	@if [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(or $(DEBS_GOALS),$(DEBS)); \
	else echo "run as root, or: sudo apt-get install -y $(or $(DEBS_GOALS),$(DEBS))"; exit 1; fi

$(B)/%.o: %.c | $(B)/version.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -iquote $(B) $(INCLUDES) -c $< -o $@

# Rewritten only when the version changes (a new commit, a dirty tree), so
# that what --version and the records say is never stale.
$(B)/version.h: FORCE
	@mkdir -p $(B)
	@echo '#define NETREPRO_VERSION "$(VERSION)"' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

FORCE:

$(B)/libnetrepro.a: $(LIB_OBJ)
	ar rcs $@ $^

$(B)/netrepro: $(B)/runner/main.o $(B)/libnetrepro.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(B)/tests/%: tests/unit/%.c $(B)/libnetrepro.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(INCLUDES) -o $@ $(filter %.c %.a,$^) $(PKG_LIBS) -lcmocka

unit: check-deps $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

e2e: $(B)/netrepro
	$(PYTHON) -m pytest -q tests/

test: unit e2e

# Every step of the library the same in N runs (cases marked
# nondeterministic left out); N=3 runs in the test suite's smoke form.
N ?= 20
flake: $(B)/netrepro
	$(PYTHON) tests/flake.py -n $(N) cases/

# cases/events/first-datagram.case 100 times beside two library runs.
stress: $(B)/netrepro
	$(PYTHON) tests/stress.py -n 100

run: $(B)/netrepro
	@mkdir -p $(B)/reports
	@rc=0; $(B)/netrepro run --json $(B)/reports/run.json cases/ || rc=$$?; \
	if [ -f $(B)/reports/run.json ]; then \
	  $(B)/netrepro report --format md -o $(B)/reports/run.md $(B)/reports/run.json && \
	  $(B)/netrepro report --format html -o $(B)/reports/run.html $(B)/reports/run.json && \
	  echo "reports: $(B)/reports/run.json run.md run.html"; fi; exit $$rc

# The seed cases on two Debian kernels in QEMU guests and on this one;
# `make matrix KERNEL=6.1.0-50-cloud-amd64` for one (what CI's jobs do).
KERNEL ?= 6.1.0-50-amd64 6.12.117+deb12-amd64 host
matrix: $(B)/netrepro
	$(B)/netrepro matrix -j 2 $(foreach k,$(KERNEL),--kernel $(k)) --out $(B)/matrix cases/seed

$(B)/bench/floor: bench/floor.c $(B)/libnetrepro.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -iquote netns -o $@ $(filter %.c %.a,$^) $(PKG_LIBS)

bench: $(B)/netrepro $(B)/bench/floor
	BENCH_BASELINE=$(BENCH_BASELINE) $(PYTHON) bench/bench.py

# The unit tests and the whole case library under AddressSanitizer and
# UndefinedBehaviorSanitizer (leaks included), built apart in build/asan.
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
asan:
	$(MAKE) --no-print-directory B=$(B)/asan CC="$(CC) $(SAN)" unit $(B)/asan/netrepro
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 $(B)/asan/netrepro run -j 2 cases/ > $(B)/asan/run.ktap
	@! grep '^not ok' $(B)/asan/run.ktap && echo "asan: unit tests and $$(grep -c '^ok' $(B)/asan/run.ktap) cases clean"

# The seed suite under valgrind, every worker included.
valgrind: $(B)/netrepro
	valgrind -q --trace-children=yes --leak-check=full --errors-for-leak-kinds=definite \
	  --suppressions=tests/valgrind.supp --error-exitcode=99 $(B)/netrepro run -j 1 cases/seed

# The README's tables of calls and options, from the registry's rows.
readme: $(B)/netrepro
	$(PYTHON) tests/readme_tables.py --write

# make install [PREFIX=/usr/local] [DESTDIR=]: the binary, the case library
# and fixtures (an installed netrepro looks for fixtures in
# PREFIX/share/netrepro after a case's own folders), the pytest plugin, the
# man pages and the bash and zsh completions, all written by the binary's
# own help (one source).
PREFIX  ?= /usr/local
SHARE   := $(DESTDIR)$(PREFIX)/share
# The pytest plugin as an installed distribution (a pytest11 entry point):
# Debian's system Python reads /usr/lib/python3/dist-packages.
PYDIR   ?= $(PREFIX)/lib/python3/dist-packages
PYDIST  := $(notdir $(wildcard python/netrepro_pytest-*.dist-info))
install: $(B)/netrepro
	install -d $(DESTDIR)$(PREFIX)/bin $(SHARE)/netrepro $(SHARE)/netrepro/pytest \
	  $(SHARE)/man/man1 $(SHARE)/man/man5 $(SHARE)/bash-completion/completions $(SHARE)/zsh/site-functions
	install -m 755 $(B)/netrepro $(DESTDIR)$(PREFIX)/bin/netrepro
	cp -R cases fixtures $(SHARE)/netrepro/
	install -m 644 tests/netrepro_pytest.py $(SHARE)/netrepro/pytest/netrepro_pytest.py
	install -d $(DESTDIR)$(PYDIR)/$(PYDIST)
	install -m 644 tests/netrepro_pytest.py $(DESTDIR)$(PYDIR)/netrepro_pytest.py
	install -m 644 python/$(PYDIST)/* $(DESTDIR)$(PYDIR)/$(PYDIST)/
	$(B)/netrepro help --man > $(SHARE)/man/man1/netrepro.1
	$(B)/netrepro help --man-case > $(SHARE)/man/man5/netrepro-case.5
	$(B)/netrepro help --completion bash > $(SHARE)/bash-completion/completions/netrepro
	$(B)/netrepro help --completion zsh > $(SHARE)/zsh/site-functions/_netrepro

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/netrepro $(SHARE)/man/man1/netrepro.1 $(SHARE)/man/man5/netrepro-case.5 \
	  $(SHARE)/bash-completion/completions/netrepro $(SHARE)/zsh/site-functions/_netrepro
	rm -rf $(SHARE)/netrepro
	rm -rf $(DESTDIR)$(PYDIR)/netrepro_pytest.py $(DESTDIR)$(PYDIR)/$(PYDIST) \
	  $(DESTDIR)$(PYDIR)/__pycache__/netrepro_pytest.*

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
