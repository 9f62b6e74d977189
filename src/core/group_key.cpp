#include "core/group_key.hpp"

#include <algorithm>

namespace poolopt::core {

namespace {
void copy_field(char *field, size_t capacity, std::string_view text) {
    std::memset(field, 0, capacity);
    std::memcpy(field, text.data(), std::min(text.size(), capacity - 1));
}
}  // namespace

GroupKey make_group_key(std::string_view database, std::string_view role,
                        std::string_view application, std::string_view client_addr) {
    GroupKey key;
    copy_field(key.database, sizeof key.database, database);
    copy_field(key.role, sizeof key.role, role);
    copy_field(key.application, sizeof key.application, application);
    copy_field(key.client_addr, sizeof key.client_addr, client_addr);
    return key;
}

size_t GroupKeyHash::operator()(const GroupKey &key) const noexcept {
    // Keys are zero-padded, so hashing every byte is stable; eight at a time keeps a
    // lookup per backend per sample cheap.
    static_assert(sizeof(GroupKey) % sizeof(uint64_t) == 0);
    uint64_t hash = 1469598103934665603ULL;
    const auto *bytes = reinterpret_cast<const unsigned char *>(&key);
    for (size_t i = 0; i < sizeof(GroupKey); i += sizeof(uint64_t)) {
        uint64_t word;
        std::memcpy(&word, bytes + i, sizeof word);
        hash = (hash ^ word) * 1099511628211ULL;
        hash ^= hash >> 29;
    }
    return static_cast<size_t>(hash);
}

}  // namespace poolopt::core
