# pool_optimizer: PGXS build of a C++17 extension.
#   make && make install      build and install into the PostgreSQL found by PG_CONFIG
#   make unittest             build and run the GoogleTest suite of src/core (no PostgreSQL needed)
#   make installcheck         pg_regress against a throw-away instance with the library preloaded
# The full test run (dependencies, install, every suite) is scripts/test.sh.

EXTENSION  = pool_optimizer
MODULE_big = pool_optimizer
DATA       = pool_optimizer--1.0.sql
PGFILEDESC = "pool_optimizer - measured connection pool and server setting recommendations"

CORE_SRCS = $(sort $(wildcard src/core/*.cpp))
PG_SRCS   = $(sort $(wildcard src/pg/*.cpp))
OBJS      = $(CORE_SRCS:.cpp=.o) $(PG_SRCS:.cpp=.o)

CXX_STD = -std=c++17
PG_CPPFLAGS = -I$(srcdir)/src
PG_CXXFLAGS := $(CXX_STD) -Wno-register -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
SHLIB_LINK += -lstdc++

REGRESS      = setup functions gucs settings privileges
REGRESS_OPTS = --temp-config=$(srcdir)/test/regress.conf --temp-instance=$(REGRESS_INSTANCE)
REGRESS_INSTANCE ?= ./tmp_check

EXTRA_CLEAN = tmp_check results regression.diffs regression.out test/unit/run_unit_tests test/unit/run_unit_tests_sanitized

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# Debian builds PostgreSQL with LLVM, so PGXS also emits bitcode for every .cpp with
# clang, through COMPILE.cxx.bc, which never sees PG_CXXFLAGS. Without the same -std
# clang compiles C++14 and our C++17 fails; -Wno-register silences PostgreSQL headers.
COMPILE.cxx.bc = $(CLANG) -xc++ $(CXX_STD) -Wno-register -Wno-ignored-attributes $(BITCODE_CXXFLAGS) $(CPPFLAGS) -flto=thin -emit-llvm -c

# PGXS tracks no header dependencies: every object is rebuilt when any header changes, as
# a shared-memory struct changed in only some objects would silently break its layout.
$(OBJS) $(OBJS:.o=.bc): $(wildcard src/core/*.hpp src/pg/*.hpp)

# src/core must stay free of PostgreSQL: a static check, run before every build.
check-core-purity:
	@if grep -nE '#include *[<"](postgres|fmgr|utils/|access/|storage/|catalog/|miscadmin|pgstat|executor/|nodes/|libpq/|postmaster/|tcop/|funcapi)' src/core/*.hpp src/core/*.cpp; then \
	  echo "src/core must not include PostgreSQL headers (see DESIGN.md, Layout)"; exit 1; fi
all: check-core-purity

# ---- C++ unit tests (GoogleTest) -------------------------------------------------
UNIT_SRCS = $(sort $(wildcard test/unit/*.cpp))
UNIT_CXXFLAGS ?= -O1 -g
test/unit/run_unit_tests: $(UNIT_SRCS) $(CORE_SRCS) $(wildcard src/core/*.hpp)
	$(CXX) $(CXX_STD) $(UNIT_CXXFLAGS) -Wall -Wextra -Isrc -DFIXTURE_DIR=\"$(abspath test/fixtures)\" -o $@ $(UNIT_SRCS) $(CORE_SRCS) -lgtest -lgtest_main -pthread

unittest: test/unit/run_unit_tests
	cd test/unit && ./run_unit_tests

.PHONY: unittest check-core-purity

# The same unit tests under AddressSanitizer and UndefinedBehaviorSanitizer.
test/unit/run_unit_tests_sanitized: $(UNIT_SRCS) $(CORE_SRCS) $(wildcard src/core/*.hpp)
	$(CXX) $(CXX_STD) -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
	  -Wall -Wextra -Isrc -DFIXTURE_DIR=\"$(abspath test/fixtures)\" -o $@ $(UNIT_SRCS) $(CORE_SRCS) -lgtest -lgtest_main -pthread

unittest-sanitized: test/unit/run_unit_tests_sanitized
	cd test/unit && ./run_unit_tests_sanitized

.PHONY: unittest-sanitized
