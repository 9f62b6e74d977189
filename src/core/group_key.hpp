// Identity of one client pool as the server sees it: (database, role, application_name,
// client address). Fixed-size, NUL-padded text so that keys can be compared and hashed as
// bytes and stored in shared memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

namespace poolopt::core {

// NAMEDATALEN is 64 in every PostgreSQL build we target; names longer than the server
// allows cannot occur, longer application names are truncated by the server itself.
constexpr size_t kNameBytes = 64;
// Enough for the text form of any IPv6 address ("ffff:...:255.255.255.255").
constexpr size_t kAddressBytes = 48;

struct GroupKey {
    char database[kNameBytes];
    char role[kNameBytes];
    char application[kNameBytes];
    char client_addr[kAddressBytes];  // empty for Unix-socket and local connections
};
static_assert(std::is_trivially_copyable_v<GroupKey>);

// Copies each part, truncating at its field size and zero-filling the rest so that equal
// identities are equal byte for byte.
GroupKey make_group_key(std::string_view database, std::string_view role,
                        std::string_view application, std::string_view client_addr);

inline bool operator==(const GroupKey &a, const GroupKey &b) {
    return std::memcmp(&a, &b, sizeof(GroupKey)) == 0;
}
inline bool operator!=(const GroupKey &a, const GroupKey &b) {
    return !(a == b);
}

struct GroupKeyHash {
    size_t operator()(const GroupKey &key) const noexcept;
};

}  // namespace poolopt::core
