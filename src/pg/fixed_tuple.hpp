// Rows whose columns are all fixed-width and passed by value (int4, int8, float8, bool,
// timestamptz: pool_samples()), formed without heap_form_tuple()'s per-column generic
// work. For 3600 rows of 29 columns heap_compute_data_size() and heap_fill_tuple() took
// about 80 % of pool_samples(); here each column is one aligned store.
//
// The tuple is laid out exactly as heap_form_tuple() lays it out (header, null bitmap
// when a column is NULL, MAXALIGNed t_hoff, each value at att_align_nominal() of its
// attalign, padding zeroed), then handed to tuplestore_puttuple(), which copies it as it
// copies any tuple. Each call forms the first row without and the first row with NULLs
// with heap_form_tuple() too, takes its infomask bits (the 15.20 build here sets 0x0C00
// in them) and raises an error on any other difference, so a layout change in another
// release cannot go unnoticed.
//
// Plain data with no destructor, like RowBuilder.
#pragma once

#include "pg/postgres_headers.hpp"

namespace poolopt::pg {

struct FixedTupleForm {
    static constexpr int kMaxColumns = 48;
    int natts;
    int16 attlen[kMaxColumns];
    char attalign[kMaxColumns];
    char *buffer;  // HEAPTUPLESIZE + the largest tuple, reused row after row
    size_t buffer_bytes;
    uint16 infomask;  // besides HEAP_HASNULL: what heap_form_tuple() sets, learnt from it
    bool checked_without_nulls;
    bool checked_with_nulls;
};

// Prepares `form` for `desc`; false (and `form` unused) when a column is not fixed-width
// by value, or there are more than kMaxColumns.
bool prepare_fixed_tuple_form(FixedTupleForm *form, TupleDesc desc);

// Appends one row to `store`, as tuplestore_putvalues() would.
void put_fixed_tuple(FixedTupleForm *form, Tuplestorestate *store, TupleDesc desc,
                     const Datum *values, const bool *nulls);

}  // namespace poolopt::pg
