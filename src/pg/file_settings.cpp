// pg_show_all_file_settings(), the function behind pg_file_settings, called directly: the
// same rows without planning a query on the view, which cost a fresh session more than the
// files' parse itself (bench/RESULTS.md, cold latency of setting_recommendations()).
#include "pg/file_settings.hpp"

extern "C" {
#include "executor/executor.h"
#include "utils/fmgroids.h"
}

#include "pg/compat.hpp"

namespace poolopt::pg {
namespace {

// pg_file_settings' columns, 1-based: sourcefile, sourceline, seqno, name, setting, applied,
// error.
constexpr AttrNumber kNameColumn = 4;
constexpr AttrNumber kSettingColumn = 5;
constexpr AttrNumber kErrorColumn = 7;

SettingText *row_named(SettingTexts &settings, const char *name) {
    for (int i = 0; i < settings.count; ++i)
        if (pg_strcasecmp(settings.rows[i].name, name) == 0) return &settings.rows[i];
    return nullptr;
}

// Runs the function in Materialize mode and returns its tuple store.
ReturnSetInfo *call_show_all_file_settings(ExprContext *econtext) {
    FmgrInfo *flinfo = static_cast<FmgrInfo *>(palloc0(sizeof(FmgrInfo)));
    fmgr_info(F_PG_SHOW_ALL_FILE_SETTINGS, flinfo);
    auto *rsinfo = static_cast<ReturnSetInfo *>(palloc0(sizeof(ReturnSetInfo)));
    rsinfo->type = T_ReturnSetInfo;
    rsinfo->econtext = econtext;
    rsinfo->allowedModes = SFRM_Materialize;
    rsinfo->returnMode = SFRM_ValuePerCall;
    LOCAL_FCINFO(fcinfo, 0);
    InitFunctionCallInfoData(*fcinfo, flinfo, 0, InvalidOid, nullptr,
                             reinterpret_cast<Node *>(rsinfo));
    (void)FunctionCallInvoke(fcinfo);
    if (rsinfo->returnMode != SFRM_Materialize || rsinfo->setResult == nullptr ||
        rsinfo->setDesc == nullptr || rsinfo->setDesc->natts < kErrorColumn)
        elog(ERROR, "pool_optimizer: pg_show_all_file_settings() returned no table");
    return rsinfo;
}

}  // namespace

void read_file_values(SettingTexts &settings) {
    if (!compat::may_execute_function(F_PG_SHOW_ALL_FILE_SETTINGS)) return;
    ExprContext *econtext = CreateStandaloneExprContext();
    ReturnSetInfo *rsinfo = call_show_all_file_settings(econtext);
    TupleTableSlot *slot = MakeSingleTupleTableSlot(rsinfo->setDesc, &TTSOpsMinimalTuple);
    // In file order (seqno): a later line overrides an earlier one.
    while (tuplestore_gettupleslot(rsinfo->setResult, true, false, slot)) {
        bool name_null, setting_null, error_null;
        Datum name = slot_getattr(slot, kNameColumn, &name_null);
        Datum setting = slot_getattr(slot, kSettingColumn, &setting_null);
        (void)slot_getattr(slot, kErrorColumn, &error_null);
        if (name_null || setting_null) continue;
        SettingText *row = row_named(settings, TextDatumGetCString(name));
        if (row == nullptr || !(error_null || row->pending_restart)) continue;
        row->has_file_value = true;
        strlcpy(row->file_value, TextDatumGetCString(setting), sizeof row->file_value);
    }
    ExecDropSingleTupleTableSlot(slot);
    tuplestore_end(rsinfo->setResult);
    FreeExprContext(econtext, true);
    settings.file_values_read = true;
}

}  // namespace poolopt::pg
