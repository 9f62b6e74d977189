// Rows whose columns are all fixed-width and passed by value (int4, int8, float8, bool,
// timestamptz: pool_samples()), formed without heap_form_tuple()'s per-column generic
// work. For 3600 rows of 29 columns heap_compute_data_size() and heap_fill_tuple() took
// about 80 % of pool_samples(); here each column is one store at a precomputed offset.
//
// The tuple is laid out exactly as heap_form_tuple() lays it out (header, null bitmap
// when a column is NULL, MAXALIGNed t_hoff, each value at att_align_nominal() of its
// attalign, padding zeroed), then handed to tuplestore_puttuple(), which copies it as it
// copies any tuple. The offsets are computed once per pattern of NULLs. The first rows of
// each new pattern (up to kChecks per call) are formed with heap_form_tuple() too; this
// takes its infomask bits (the 15.20 build here sets 0x0C00
// in them) and raises an error on any other difference, so a layout change in another
// release cannot go unnoticed.
//
// Plain data with no destructor, like RowBuilder.
#pragma once

#include "pg/postgres_headers.hpp"

namespace poolopt::pg {

struct FixedTupleForm {
    static constexpr int kMaxColumns = 48;  // the null pattern is a 64-bit mask
    static constexpr int kChecks = 8;       // patterns compared with heap_form_tuple() per call
    int natts;
    int16 attlen[kMaxColumns];
    char attalign[kMaxColumns];
    char *buffer;  // HEAPTUPLESIZE + the largest tuple, reused row after row
    size_t buffer_bytes;
    uint16 infomask;  // besides HEAP_HASNULL: what heap_form_tuple() sets, learnt from it
    int checks_left;
    // The layout of the last pattern of NULLs (bit i: column i is NULL).
    bool laid_out;
    uint64_t pattern;
    size_t hoff, data_bytes;
    int16 offset[kMaxColumns];  // -1 for a NULL
    uint8 bits[(kMaxColumns + 7) / 8];
};

// Prepares `form` for `desc`; false (and `form` unused) when a column is not fixed-width
// by value, or there are more than kMaxColumns.
bool prepare_fixed_tuple_form(FixedTupleForm *form, TupleDesc desc);

// Appends one row to `store`, as tuplestore_putvalues() would.
void put_fixed_tuple(FixedTupleForm *form, Tuplestorestate *store, TupleDesc desc,
                     const Datum *values, const bool *nulls);

}  // namespace poolopt::pg
