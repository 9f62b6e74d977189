// Shared by the libFuzzer targets: invariant checks that abort (libFuzzer then saves the
// input as a crash), and the split of one input into two texts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <utility>

// A parser that returns without crashing can still return nonsense: these turn a broken
// promise of its header into a finding.
#define FUZZ_CHECK(condition)                                                                      \
    do {                                                                                           \
        if (!(condition)) {                                                                        \
            std::fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #condition); \
            std::abort();                                                                          \
        }                                                                                          \
    } while (0)

namespace fuzz {

inline std::string_view as_text(const uint8_t *data, size_t size) {
    return {reinterpret_cast<const char *>(data), size};
}

// Two files in one input, separated by the first NUL byte (the second is empty without one).
inline std::pair<std::string_view, std::string_view> split_at_nul(std::string_view input) {
    size_t nul = input.find('\0');
    if (nul == std::string_view::npos) return {input, {}};
    return {input.substr(0, nul), input.substr(nul + 1)};
}

}  // namespace fuzz
