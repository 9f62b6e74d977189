// The one place where C++ meets PostgreSQL's error handling.
//
// PostgreSQL reports errors with longjmp; C++ unwinds with exceptions. Two rules follow:
//  1. Every entry point PostgreSQL calls runs its C++ body inside `guarded`, which catches
//     every exception, copies the message into a fixed buffer, and raises the PostgreSQL
//     error only after the try block has ended, when no C++ object is alive in its frame.
//  2. C++ code that must call something that may ereport does it through `call_postgres`,
//     which catches the longjmp with PG_TRY, restores the error state, and throws
//     PostgresError once it is back in C++ territory.
// No other file uses try/catch around PostgreSQL or PG_TRY around C++.
#pragma once

#include <cstring>
#include <exception>
#include <new>
#include <stdexcept>

#include "pg/postgres_headers.hpp"

namespace poolopt::pg {

class PostgresError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

namespace detail {
// Room for the message of the exception being turned into an ERROR. Static, so that the
// frame that raises the ERROR owns nothing that needs a destructor.
inline char boundary_message[512];

inline void remember(const char *what) {
    std::strncpy(boundary_message, what ? what : "unknown error", sizeof boundary_message - 1);
    boundary_message[sizeof boundary_message - 1] = '\0';
}
}  // namespace detail

// Runs body() and returns its value; any C++ exception becomes ereport(ERROR) naming
// `where`. body may itself ereport (that longjmps straight through this frame, which
// holds nothing with a destructor).
template <typename Result, typename Body>
Result guarded(const char *where, Body &&body) {
    bool failed = false;
    bool out_of_memory = false;
    try {
        return body();
    } catch (const std::bad_alloc &) {
        failed = out_of_memory = true;
    } catch (const std::exception &error) {
        failed = true;
        detail::remember(error.what());
    } catch (...) {
        failed = true;
        detail::remember("unknown C++ exception");
    }
    if (failed && out_of_memory)
        ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory in %s", where)));
    ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
                    errmsg("pool_optimizer: %s failed: %s", where, detail::boundary_message)));
    pg_unreachable();
}

// For hooks that must never raise: the exception is logged at `elevel` (WARNING or LOG)
// and swallowed. Returns false when the body threw.
template <typename Body>
bool guarded_quietly(const char *where, int elevel, Body &&body) noexcept {
    bool failed = false;
    try {
        body();
    } catch (const std::exception &error) {
        failed = true;
        detail::remember(error.what());
    } catch (...) {
        failed = true;
        detail::remember("unknown C++ exception");
    }
    if (failed) elog(elevel, "pool_optimizer: %s failed: %s", where, detail::boundary_message);
    return !failed;
}

// Calls PostgreSQL from C++ code; an ERROR it raises comes back as PostgresError.
template <typename Fn>
void call_postgres(Fn &&fn) {
    MemoryContext caller_context = CurrentMemoryContext;
    bool failed = false;
    PG_TRY();
    { fn(); }
    PG_CATCH();
    {
        MemoryContextSwitchTo(caller_context);
        ErrorData *error = CopyErrorData();
        FlushErrorState();
        detail::remember(error->message);
        FreeErrorData(error);
        failed = true;
    }
    PG_END_TRY();
    if (failed) throw PostgresError(detail::boundary_message);
}

}  // namespace poolopt::pg
