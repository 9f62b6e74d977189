// Worker-local cache of database and role names by OID, so that the sampler resolves a
// name through the catalog only the first time it meets an OID.
#pragma once

#include "pg/postgres_headers.hpp"

#include "core/group_key.hpp"

namespace poolopt::pg {

// Direct-mapped, plain data: a collision replaces the older entry.
struct NameCache {
    static constexpr int kSlots = 1024;
    struct Entry {
        Oid oid;
        char name[core::kNameBytes];
    };
    Entry entries[kSlots];

    // Null when the OID is not cached.
    const char *find(Oid oid) const {
        const Entry &e = entries[oid % kSlots];
        return (oid != InvalidOid && e.oid == oid) ? e.name : nullptr;
    }
    void store(Oid oid, const char *name) {
        Entry &e = entries[oid % kSlots];
        e.oid = oid;
        strlcpy(e.name, name, sizeof e.name);
    }
};

enum class NameKind { database, role };

// Resolves every OID in `oids` that the cache lacks, in one transaction, storing the name
// (or "oid NNN" for a dropped object). Must be called outside a transaction.
void resolve_names(NameCache &cache, NameKind kind, const Oid *oids, int count);

}  // namespace poolopt::pg
