# Masthead's front door: the README's quick start is `make run` and `make test`.
# Meson + Ninja do the building; this file only sequences install, build, run.
BUILD      ?= build
BUILD_REL  ?= build-release
BUILD_ASAN ?= build-asan
BUILD_FUZZ ?= build-fuzz
SITE       ?= demo-site
LISTEN     ?= 127.0.0.1:8080
FUZZ_SECONDS ?= 30
FUZZ_MERGE ?= 0

.PHONY: all deps build release run test test-asan fuzz bench clean

all: build

deps:
	@scripts/deps

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=debugoptimized

build: deps $(BUILD)/build.ninja
	@ninja -C $(BUILD)

$(BUILD_REL)/build.ninja:
	meson setup $(BUILD_REL) --buildtype=release -Dtests=false

release: deps $(BUILD_REL)/build.ninja
	@ninja -C $(BUILD_REL)

run: release
	@[ -e $(SITE)/site.ini ] || $(BUILD_REL)/masthead demo $(SITE)
	$(BUILD_REL)/masthead serve --site $(SITE) --listen $(LISTEN)

# The whole suite: unit tests, the Mustache spec, golden files, fuzz-corpus
# replays, end-to-end tests against the real binary and the browser tests.
test: build
	@scripts/run-tests $(BUILD)

# The same suite under AddressSanitizer + UndefinedBehaviorSanitizer, the
# browser tests included (they drive the sanitized binary). A build folder
# set up before without them is switched back on.
$(BUILD_ASAN)/build.ninja:
	meson setup $(BUILD_ASAN) --buildtype=debug -Db_sanitize=address,undefined \
		-Db_lundef=false
test-asan: deps $(BUILD_ASAN)/build.ninja
	@meson configure $(BUILD_ASAN) -Dbrowser_tests=true >/dev/null
	@ninja -C $(BUILD_ASAN)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	 scripts/run-tests $(BUILD_ASAN)

# libFuzzer targets, each run for FUZZ_SECONDS from its seed corpus, with the
# library they call instrumented too; one line per target with its coverage,
# failing on a crash or on coverage under its floor (fuzz/min-coverage).
# FUZZ_MERGE=1 merges what the runs found into fuzz/corpus/ (-merge=1).
$(BUILD_FUZZ)/build.ninja:
	CC=clang meson setup $(BUILD_FUZZ) --buildtype=debug -Dfuzz=true -Dtests=false \
		-Db_sanitize=address,undefined -Db_lundef=false
fuzz: deps $(BUILD_FUZZ)/build.ninja
	@ninja -C $(BUILD_FUZZ)
	@FUZZ_MERGE=$(FUZZ_MERGE) scripts/run-fuzz $(BUILD_FUZZ) $(FUZZ_SECONDS)

bench: release
	@scripts/deps bench
	@bench/run $(BUILD_REL)/masthead
	@# issue 11: the WordPress import of 100,000 generated posts (time, peak memory)
	@bench/wpimport $(BUILD_REL)/masthead
	@bench/feeds $(BUILD_REL)/masthead # feeds and sitemaps (issue 9)
	@bench/views $(BUILD_REL)/masthead
	@# search at 100,000 articles (issue 9); BENCH_SEARCH=0 skips it
	@[ "$${BENCH_SEARCH:-1}" = 0 ] || bench/search $(BUILD_REL)/masthead
	@bench/newsletter.py $(BUILD_REL)/masthead

clean:
	rm -rf $(BUILD) $(BUILD_REL) $(BUILD_ASAN) $(BUILD_FUZZ)
