// Filling one row of a materialized set-returning function. Plain data with no
// destructor, so PostgreSQL may raise an error at any point while it is alive.
#pragma once

#include <cmath>

#include "pg/compat.hpp"
#include "pg/fixed_tuple.hpp"
#include "pg/time_units.hpp"

namespace poolopt::pg {

struct RowBuilder {
    static constexpr int kMaxColumns = 48;
    Datum values[kMaxColumns];
    bool nulls[kMaxColumns];
    int count = 0;
    enum class Form { unknown, fixed, generic } form = Form::unknown;
    FixedTupleForm fixed;  // when every column is fixed-width by value

    void null() { nulls[count] = true, values[count++] = Datum(0); }
    void put(Datum d) { nulls[count] = false, values[count++] = d; }
    void int4(int32 v) { put(Int32GetDatum(v)); }
    void int8(int64 v) { put(Int64GetDatum(v)); }
    void boolean(bool v) { put(BoolGetDatum(v)); }
    // NaN means "unknown" in shared memory; SQL shows NULL.
    void float8(double v) { std::isnan(v) ? null() : put(Float8GetDatum(v)); }
    void text(const char *s) { put(CStringGetTextDatum(s)); }
    void text_or_null(const char *s) { (s && *s) ? text(s) : null(); }
    void inet_or_null(const char *s) {
        (s && *s) ? put(DirectFunctionCall1(inet_in, CStringGetDatum(s))) : null();
    }
    void timestamp(int64_t unix_micros) {
        unix_micros ? put(TimestampTzGetDatum(timestamptz_from_unix_micros(unix_micros))) : null();
    }
    void emit(FunctionCallInfo fcinfo) {
        auto *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
        if (count != rsinfo->setDesc->natts)
            elog(ERROR, "pool_optimizer: row has %d columns, the function declares %d", count,
                 rsinfo->setDesc->natts);
        if (form == Form::unknown)
            form = prepare_fixed_tuple_form(&fixed, rsinfo->setDesc) ? Form::fixed : Form::generic;
        if (form == Form::fixed)
            put_fixed_tuple(&fixed, rsinfo->setResult, rsinfo->setDesc, values, nulls);
        else
            tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
        count = 0;
    }
};

}  // namespace poolopt::pg
