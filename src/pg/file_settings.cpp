// pg_show_all_file_settings(), the function behind pg_file_settings, called directly: the
// same rows without planning a query on the view, which cost a fresh session more than the
// files' parse itself (bench/RESULTS.md, cold latency of setting_recommendations()).
#include "pg/file_settings.hpp"

extern "C" {
#include <sys/stat.h>

#include "executor/executor.h"
#include "utils/fmgroids.h"
}

#include "pg/compat.hpp"
#include "pg/shmem.hpp"
#include "pg/time_units.hpp"

namespace poolopt::pg {
namespace {

// pg_file_settings' columns, 1-based: sourcefile, sourceline, seqno, name, setting, applied,
// error.
constexpr AttrNumber kFileColumn = 1;
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

// The files read and the advised settings' values, as one parse found them: what goes into
// the shared cache (shmem.hpp, FileValueCache). overflow: more than the cache holds.
struct ParsedFiles {
    FileValueCache cache;
    bool overflow;
};

// Size and modification time; false when the file cannot be read (then it is never cached).
bool stamp_file(const char *path, CachedConfigFile *stamp) {
    struct stat st;
    if (stat(path, &st) != 0) return false;
    stamp->size = st.st_size;
    stamp->mtime_sec = st.st_mtim.tv_sec;
    stamp->mtime_nsec = st.st_mtim.tv_nsec;
    return true;
}

void add_file(ParsedFiles &parsed, const char *path) {
    FileValueCache &cache = parsed.cache;
    for (int i = 0; i < cache.file_count; ++i)
        if (strcmp(cache.files[i].path, path) == 0) return;
    if (cache.file_count == kCachedConfigFiles || strlen(path) >= MAXPGPATH) {
        parsed.overflow = true;
        return;
    }
    CachedConfigFile &file = cache.files[cache.file_count];
    strlcpy(file.path, path, sizeof file.path);
    // A file that does not exist (postgresql.auto.conf before any ALTER SYSTEM) is stamped
    // as size -1: its creation is a change.
    if (!stamp_file(path, &file)) file.size = -1, file.mtime_sec = file.mtime_nsec = 0;
    cache.file_count++;
}

void note_value(ParsedFiles &parsed, const char *name, const char *value, bool clean) {
    FileValueCache &cache = parsed.cache;
    CachedFileValue *entry = nullptr;
    for (int i = 0; i < cache.value_count && !entry; ++i)
        if (strcmp(cache.values[i].name, name) == 0) entry = &cache.values[i];
    if (!entry) {
        if (cache.value_count == kCachedFileValues) {
            parsed.overflow = true;
            return;
        }
        entry = &cache.values[cache.value_count++];
        strlcpy(entry->name, name, sizeof entry->name);
    }
    entry->has_any = true;
    strlcpy(entry->any, value, sizeof entry->any);
    if (!clean) return;
    entry->has_clean = true;
    strlcpy(entry->clean, value, sizeof entry->clean);
}

bool unchanged(const CachedConfigFile &file) {
    CachedConfigFile now;
    if (!stamp_file(file.path, &now)) now.size = -1, now.mtime_sec = now.mtime_nsec = 0;
    return now.size == file.size && now.mtime_sec == file.mtime_sec &&
           now.mtime_nsec == file.mtime_nsec;
}

// Copies the cached values into `settings` when every file is unchanged and the values are
// younger than kCacheSeconds. A file that held no setting when it was parsed (an empty
// include, a new file in an include_dir) is not watched: the age limit bounds how long its
// change can go unseen.
constexpr int64_t kCacheMicros = 60 * 1000000LL;

bool take_cached_values(const SharedView &view, SettingTexts &settings) {
    const int64_t now = unix_micros_now();
    LWLockAcquire(view.lock, LW_SHARED);
    const FileValueCache &cache = view.state->file_values;
    bool usable =
        cache.valid && now - cache.parsed_micros < kCacheMicros && now >= cache.parsed_micros;
    for (int i = 0; usable && i < cache.file_count; ++i) usable = unchanged(cache.files[i]);
    if (usable) {
        for (int i = 0; i < cache.value_count; ++i) {
            const CachedFileValue &value = cache.values[i];
            SettingText *row = row_named(settings, value.name);
            if (row == nullptr) continue;
            bool has = row->pending_restart ? value.has_any : value.has_clean;
            if (!has) continue;
            row->has_file_value = true;
            strlcpy(row->file_value, row->pending_restart ? value.any : value.clean,
                    sizeof row->file_value);
        }
        settings.file_values_read = true;
    }
    LWLockRelease(view.lock);
    return usable;
}

void store_cached_values(const SharedView &view, ParsedFiles &parsed) {
    parsed.cache.valid = true;
    parsed.cache.parsed_micros = unix_micros_now();
    LWLockAcquire(view.lock, LW_EXCLUSIVE);
    view.state->file_values = parsed.cache;
    LWLockRelease(view.lock);
}

}  // namespace

void read_file_values(SettingTexts &settings) {
    if (!compat::may_execute_function(F_PG_SHOW_ALL_FILE_SETTINGS)) return;
    const SharedView *view = shared();
    if (view && take_cached_values(*view, settings)) return;
    // Stamped before parsing: a file written while it is parsed then no longer matches.
    ParsedFiles parsed{};
    add_file(parsed, ConfigFileName);
    char auto_conf[MAXPGPATH];
    snprintf(auto_conf, sizeof auto_conf, "%s/%s", DataDir, PG_AUTOCONF_FILENAME);
    add_file(parsed, auto_conf);
    ExprContext *econtext = CreateStandaloneExprContext();
    ReturnSetInfo *rsinfo = call_show_all_file_settings(econtext);
    TupleTableSlot *slot = MakeSingleTupleTableSlot(rsinfo->setDesc, &TTSOpsMinimalTuple);
    // In file order (seqno): a later line overrides an earlier one.
    while (tuplestore_gettupleslot(rsinfo->setResult, true, false, slot)) {
        bool file_null, name_null, setting_null, error_null;
        Datum file = slot_getattr(slot, kFileColumn, &file_null);
        if (!file_null) add_file(parsed, TextDatumGetCString(file));
        Datum name = slot_getattr(slot, kNameColumn, &name_null);
        Datum setting = slot_getattr(slot, kSettingColumn, &setting_null);
        (void)slot_getattr(slot, kErrorColumn, &error_null);
        if (name_null || setting_null) continue;
        SettingText *row = row_named(settings, TextDatumGetCString(name));
        if (row == nullptr) continue;
        const char *value = TextDatumGetCString(setting);
        note_value(parsed, row->name, value, error_null);
        if (!(error_null || row->pending_restart)) continue;
        row->has_file_value = true;
        strlcpy(row->file_value, value, sizeof row->file_value);
    }
    ExecDropSingleTupleTableSlot(slot);
    tuplestore_end(rsinfo->setResult);
    FreeExprContext(econtext, true);
    settings.file_values_read = true;
    if (view && !parsed.overflow) store_cached_values(*view, parsed);
}

}  // namespace poolopt::pg
