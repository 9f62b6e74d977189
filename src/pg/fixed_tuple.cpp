#include "pg/fixed_tuple.hpp"

#include <cstring>

extern "C" {
#include "access/htup_details.h"
#include "access/tupmacs.h"
}

namespace poolopt::pg {

namespace {

size_t header_bytes(int natts, bool has_nulls) {
    size_t bytes = offsetof(HeapTupleHeaderData, t_bits);
    if (has_nulls) bytes += BITMAPLEN(natts);
    return MAXALIGN(bytes);
}

uint64_t null_pattern(const FixedTupleForm *form, const bool *nulls) {
    uint64_t pattern = 0;
    for (int i = 0; i < form->natts; ++i) pattern |= uint64_t(nulls[i]) << i;
    return pattern;
}

// Offsets, length and null bitmap for the rows with this pattern of NULLs: computed when
// the pattern changes, which in a run of rows is seldom.
void lay_out(FixedTupleForm *form, uint64_t pattern) {
    const int natts = form->natts;
    form->pattern = pattern;
    form->hoff = header_bytes(natts, pattern != 0);
    std::memset(form->bits, 0, sizeof form->bits);
    size_t at = 0;
    for (int i = 0; i < natts; ++i) {
        if (pattern & (uint64_t(1) << i)) {
            form->offset[i] = -1;  // its bitmap bit stays 0
            continue;
        }
        form->bits[i >> 3] |= uint8(1 << (i & 7));
        at = att_align_nominal(at, form->attalign[i]);
        form->offset[i] = int16(at);
        at += size_t(form->attlen[i]);
    }
    form->data_bytes = at;
}

// The tuple heap_form_tuple() would form, in form->buffer (zeroed first), laid out for
// form->pattern.
HeapTuple form_tuple(FixedTupleForm *form, TupleDesc desc, const Datum *values) {
    const int natts = form->natts;
    const bool has_nulls = form->pattern != 0;
    const size_t len = form->hoff + form->data_bytes;
    std::memset(form->buffer, 0, HEAPTUPLESIZE + len);
    HeapTuple tuple = reinterpret_cast<HeapTuple>(form->buffer);
    HeapTupleHeader td = reinterpret_cast<HeapTupleHeader>(form->buffer + HEAPTUPLESIZE);
    tuple->t_data = td;
    tuple->t_len = uint32(len);
    ItemPointerSetInvalid(&tuple->t_self);
    tuple->t_tableOid = InvalidOid;
    HeapTupleHeaderSetDatumLength(td, len);
    HeapTupleHeaderSetTypeId(td, desc->tdtypeid);
    HeapTupleHeaderSetTypMod(td, desc->tdtypmod);
    ItemPointerSetInvalid(&td->t_ctid);
    HeapTupleHeaderSetNatts(td, natts);
    td->t_hoff = uint8(form->hoff);
    td->t_infomask = form->infomask;
    if (has_nulls) {
        td->t_infomask |= HEAP_HASNULL;
        std::memcpy(td->t_bits, form->bits, BITMAPLEN(natts));
    }
    char *start = reinterpret_cast<char *>(td) + form->hoff;
    for (int i = 0; i < natts; ++i) {
        const int16 at = form->offset[i];
        if (at < 0) continue;
        store_att_byval(start + at, values[i], form->attlen[i]);
    }
    return tuple;
}

// A row of a new pattern of NULLs is formed by PostgreSQL too: the header's infomask bits
// are taken from it (minor releases have added bits there), the rest must match byte for
// byte.
HeapTuple checked_tuple(FixedTupleForm *form, TupleDesc desc, const Datum *values,
                        const bool *nulls) {
    HeapTuple reference =
        heap_form_tuple(desc, const_cast<Datum *>(values), const_cast<bool *>(nulls));
    form->infomask = reference->t_data->t_infomask & ~uint16(HEAP_HASNULL);
    HeapTuple ours = form_tuple(form, desc, values);
    uint32 differs_at = 0;
    if (reference->t_len == ours->t_len) {
        const char *a = reinterpret_cast<const char *>(reference->t_data);
        const char *b = reinterpret_cast<const char *>(ours->t_data);
        while (differs_at < ours->t_len && a[differs_at] == b[differs_at]) ++differs_at;
    }
    if (reference->t_len != ours->t_len || differs_at != ours->t_len)
        elog(ERROR,
             "pool_optimizer: fixed-width row differs from heap_form_tuple()'s (length %u, "
             "expected %u; first difference at byte %u)",
             ours->t_len, reference->t_len, differs_at);
    heap_freetuple(reference);
    return ours;
}

}  // namespace

bool prepare_fixed_tuple_form(FixedTupleForm *form, TupleDesc desc) {
    std::memset(form, 0, sizeof *form);
    if (desc->natts <= 0 || desc->natts > FixedTupleForm::kMaxColumns) return false;
    for (int i = 0; i < desc->natts; ++i) {
        Form_pg_attribute att = TupleDescAttr(desc, i);
        if (att->attisdropped || !att->attbyval || att->attlen <= 0 ||
            att->attlen > int16(sizeof(Datum)))
            return false;
        form->attlen[i] = att->attlen;
        form->attalign[i] = att->attalign;
    }
    form->natts = desc->natts;
    form->checks_left = FixedTupleForm::kChecks;
    // Upper bound: every column at 8-byte alignment and width.
    form->buffer_bytes =
        HEAPTUPLESIZE + header_bytes(desc->natts, true) + size_t(desc->natts) * 2 * sizeof(Datum);
    form->buffer = static_cast<char *>(palloc(form->buffer_bytes));
    return true;
}

void put_fixed_tuple(FixedTupleForm *form, Tuplestorestate *store, TupleDesc desc,
                     const Datum *values, const bool *nulls) {
    const uint64_t pattern = null_pattern(form, nulls);
    HeapTuple tuple;
    if (form->laid_out && pattern == form->pattern) {
        tuple = form_tuple(form, desc, values);
    } else {
        lay_out(form, pattern);
        form->laid_out = true;
        tuple = form->checks_left > 0 ? checked_tuple(form, desc, values, nulls)
                                      : form_tuple(form, desc, values);
        if (form->checks_left > 0) form->checks_left--;
    }
    tuplestore_puttuple(store, tuple);
}

}  // namespace poolopt::pg
