#include "pg/name_cache.hpp"

namespace poolopt::pg {

void resolve_names(NameCache &cache, NameKind kind, const Oid *oids, int count) {
    bool started = false;
    for (int i = 0; i < count; ++i) {
        Oid oid = oids[i];
        if (oid == InvalidOid || cache.find(oid)) continue;
        if (!started) {
            SetCurrentStatementStartTimestamp();
            StartTransactionCommand();
            started = true;
        }
        // Both catalogs are shared, so a worker connected to no database can read them.
        char *name =
            kind == NameKind::database ? get_database_name(oid) : GetUserNameFromId(oid, true);
        if (name) {
            cache.store(oid, name);
        } else {
            char fallback[32];
            snprintf(fallback, sizeof fallback, "oid %u", oid);
            cache.store(oid, fallback);
        }
    }
    if (started) CommitTransactionCommand();
}

}  // namespace poolopt::pg
