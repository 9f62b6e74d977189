# pool_optimizer: PGXS build of a C++17 extension.
#   make && make install      build and install into the PostgreSQL found by PG_CONFIG
#   make unittest             build and run the GoogleTest suite of src/core (no PostgreSQL needed)
#   make installcheck         pg_regress against a throw-away instance with the library preloaded
# The full test run (dependencies, install, every suite) is scripts/test.sh.

EXTENSION  = pool_optimizer
MODULE_big = pool_optimizer
# DATA stays on one line: scripts/check-package.sh and test/packaging/check_meta.pl read it so.
DATA       = pool_optimizer--1.0.sql pool_optimizer--1.0--1.1.sql pool_optimizer--1.1--1.2.sql pool_optimizer--1.2--1.3.sql pool_optimizer--1.3--1.4.sql
PGFILEDESC = "pool_optimizer - measured connection pool and server setting recommendations"

CORE_SRCS = $(sort $(wildcard src/core/*.cpp))
PG_SRCS   = $(sort $(wildcard src/pg/*.cpp))
OBJS      = $(CORE_SRCS:.cpp=.o) $(PG_SRCS:.cpp=.o)

CXX_STD = -std=c++17
PG_CPPFLAGS = -I$(srcdir)/src
# -MMD -MP: header dependencies. PGXS tracks none, and a stale object compiled against an
# old shared-memory layout corrupts shared memory silently.
PG_CXXFLAGS := $(CXX_STD) -Wno-register -Wall -Wextra -Wshadow=compatible-local -Wno-unused-parameter -Wno-missing-field-initializers -MMD -MP
SHLIB_LINK += -lstdc++

REGRESS      = setup functions gucs pools settings security upgrade
# UTF8 whatever the locale: psql aligns the non-ASCII reasons (−, ×) by characters.
REGRESS_OPTS = --temp-config=$(srcdir)/test/regress.conf --temp-instance=$(REGRESS_INSTANCE) --encoding=UTF8
REGRESS_INSTANCE ?= ./tmp_check

EXTRA_CLEAN = $(OBJS:.o=.d) tmp_check results regression.diffs regression.out test/build

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# Debian builds PostgreSQL with LLVM, so PGXS also emits bitcode for every .cpp with
# clang, through COMPILE.cxx.bc, which never sees PG_CXXFLAGS. Without the same -std
# clang compiles C++14 and our C++17 fails; -Wno-register silences PostgreSQL headers.
COMPILE.cxx.bc = $(CLANG) -xc++ $(CXX_STD) -Wno-register -Wno-ignored-attributes $(BITCODE_CXXFLAGS) $(CPPFLAGS) -flto=thin -emit-llvm -c

-include $(OBJS:.o=.d)

# Bitcode follows its object, so that a header change rebuilds both.
$(OBJS:.o=.bc): %.bc: %.o

# src/core must stay free of PostgreSQL: a static check, run before every build.
check-core-purity:
	@if grep -nE '#include *[<"](postgres|fmgr|utils/|access/|storage/|catalog/|miscadmin|pgstat|executor/|nodes/|libpq/|postmaster/|tcop/|funcapi)' src/core/*.hpp src/core/*.cpp; then \
	  echo "src/core must not include PostgreSQL headers (see DESIGN.md, Layout)"; exit 1; fi
all: check-core-purity

# ---- C++ unit tests (GoogleTest) -------------------------------------------------
# Each source compiles to its own object (in parallel with -j), once plain and once under
# AddressSanitizer and UndefinedBehaviorSanitizer.
UNIT_SRCS = $(sort $(wildcard test/unit/*.cpp))
UNIT_ALL_SRCS = $(UNIT_SRCS) $(CORE_SRCS)
UNIT_CXXFLAGS ?= -O1 -g
SANITIZE_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
UNIT_COMPILE = $(CXX) $(CXX_STD) -Wall -Wextra -Isrc -DFIXTURE_DIR=\"$(abspath test/fixtures)\" -MMD -MP
UNIT_OBJS = $(patsubst %.cpp,test/build/plain/%.o,$(UNIT_ALL_SRCS))
SANITIZED_OBJS = $(patsubst %.cpp,test/build/sanitized/%.o,$(UNIT_ALL_SRCS))

test/build/plain/%.o: %.cpp
	@mkdir -p $(dir $@)
	$(UNIT_COMPILE) $(UNIT_CXXFLAGS) -c -o $@ $<

test/build/sanitized/%.o: %.cpp
	@mkdir -p $(dir $@)
	$(UNIT_COMPILE) -O1 -g $(SANITIZE_FLAGS) -c -o $@ $<

-include $(UNIT_OBJS:.o=.d) $(SANITIZED_OBJS:.o=.d)

test/build/run_unit_tests: $(UNIT_OBJS)
	$(CXX) -o $@ $^ -lgtest -lgtest_main -pthread

test/build/run_unit_tests_sanitized: $(SANITIZED_OBJS)
	$(CXX) $(SANITIZE_FLAGS) -o $@ $^ -lgtest -lgtest_main -pthread

unittest: test/build/run_unit_tests
	test/build/run_unit_tests

unittest-sanitized: test/build/run_unit_tests_sanitized
	test/build/run_unit_tests_sanitized

.PHONY: unittest unittest-sanitized check-core-purity


# ---- Fuzzing (libFuzzer) -----------------------------------------------------------
# Every test/fuzz/fuzz_*.cpp is a target against the pure parsers of src/core, built by
# clang with libFuzzer, AddressSanitizer and UndefinedBehaviorSanitizer (any report
# aborts). `make fuzz FUZZ_SECONDS=N` runs each for N seconds from its seed corpus in
# test/fuzz/corpus/<target> (new inputs go to test/build/fuzz/corpus, never to the seeds)
# and fails on the first crash, leak, UB, invariant broken or input slower than 10 s.
FUZZ_CXX ?= clang++-14
FUZZ_SECONDS ?= 20
FUZZ_SANITIZE = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_COMPILE = $(FUZZ_CXX) $(CXX_STD) -Wall -Wextra -Isrc -O1 -g $(FUZZ_SANITIZE) -MMD -MP
FUZZ_DIR = test/build/fuzz
FUZZ_TARGETS = $(patsubst test/fuzz/%.cpp,%,$(sort $(wildcard test/fuzz/fuzz_*.cpp)))
FUZZ_CORE_OBJS = $(patsubst %.cpp,$(FUZZ_DIR)/%.o,$(CORE_SRCS))

$(FUZZ_DIR)/src/core/%.o: src/core/%.cpp
	@mkdir -p $(dir $@)
	$(FUZZ_COMPILE) -fsanitize=fuzzer-no-link -c -o $@ $<

# An archive, so that each target links only the objects it uses.
$(FUZZ_DIR)/libcore.a: $(FUZZ_CORE_OBJS)
	rm -f $@ && ar rcs $@ $^

$(FUZZ_DIR)/fuzz_%: test/fuzz/fuzz_%.cpp $(FUZZ_DIR)/libcore.a
	$(FUZZ_COMPILE) -fsanitize=fuzzer -o $@ $< $(FUZZ_DIR)/libcore.a

-include $(FUZZ_CORE_OBJS:.o=.d) $(addsuffix .d,$(addprefix $(FUZZ_DIR)/,$(FUZZ_TARGETS)))

fuzz-build: $(addprefix $(FUZZ_DIR)/,$(FUZZ_TARGETS))

# The log of each run is kept; its last lines (coverage, executions) are printed.
fuzz-run-%: $(FUZZ_DIR)/%
	@rm -rf $(FUZZ_DIR)/corpus/$* && mkdir -p $(FUZZ_DIR)/corpus/$* $(FUZZ_DIR)/artifacts
	@if $< -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_DIR)/artifacts/$*- $(FUZZ_DIR)/corpus/$* test/fuzz/corpus/$* \
	    > $(FUZZ_DIR)/$*.log 2>&1; then \
	  echo "$*: $$(grep -E '^#[0-9]+[[:space:]]+DONE' $(FUZZ_DIR)/$*.log | tail -1)" \
	    "$$(grep -E 'stat::(number_of_executed_units|average_exec_per_sec)' $(FUZZ_DIR)/$*.log | tr -s ' \n' ' ')"; \
	else tail -60 $(FUZZ_DIR)/$*.log; echo "$*: FAILED (log: $(FUZZ_DIR)/$*.log)"; exit 1; fi

fuzz: $(addprefix fuzz-run-,$(FUZZ_TARGETS))

.PHONY: fuzz fuzz-build

# ---- Micro-benchmark of the sampling core (Google Benchmark; bench/aggregation.sh) ------
MICRO_DIR = test/build/micro
$(MICRO_DIR)/aggregation: bench/micro/aggregation.cpp $(CORE_SRCS)
	@mkdir -p $(dir $@)
	$(CXX) $(CXX_STD) -O2 -DNDEBUG -Wall -Wextra -Isrc -o $@ $^ -lbenchmark -pthread

micro-bench: $(MICRO_DIR)/aggregation

.PHONY: micro-bench

# ---- Release tarball ------------------------------------------------------------------
# pool_optimizer-<META.json version>.tar.gz of the committed tree (git archive: uncommitted
# changes are not in it). .gitattributes leaves debian/ out, so that the tarball also
# serves as Debian's orig tarball. scripts/check-package.sh builds from it.
DIST_VERSION = $(shell perl -MJSON::PP -0777 -ne 'print decode_json($$_)->{version}' META.json)
DIST_NAME = $(EXTENSION)-$(DIST_VERSION)
DIST_DIR ?= .
dist:
	@git diff --quiet HEAD || echo "dist: uncommitted changes are not in the tarball"
	git archive --format=tar.gz --prefix=$(DIST_NAME)/ -o $(DIST_DIR)/$(DIST_NAME).tar.gz HEAD
.PHONY: dist
