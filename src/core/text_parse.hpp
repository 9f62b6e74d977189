// Small text helpers of the host probes: allocation-free, noexcept tokenising of the files
// Linux exposes under /proc and /sys, and the wording of errno.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace poolopt::core::text_parse {

inline bool is_blank(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

inline std::string_view trim(std::string_view text) noexcept {
    while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
    return text;
}

inline bool starts_with(std::string_view text, std::string_view prefix) noexcept {
    return text.substr(0, prefix.size()) == prefix;
}

// Takes the next line off the front of `rest`; false once `rest` is used up.
inline bool next_line(std::string_view &rest, std::string_view &line) noexcept {
    if (rest.empty()) return false;
    size_t end = rest.find('\n');
    if (end == std::string_view::npos) {
        line = rest;
        rest = {};
    } else {
        line = rest.substr(0, end);
        rest.remove_prefix(end + 1);
    }
    return true;
}

// Takes the next whitespace-separated field off the front of `rest`; false when none is left.
inline bool next_field(std::string_view &rest, std::string_view &field) noexcept {
    while (!rest.empty() && is_blank(rest.front())) rest.remove_prefix(1);
    if (rest.empty()) return false;
    size_t end = 0;
    while (end < rest.size() && !is_blank(rest[end])) ++end;
    field = rest.substr(0, end);
    rest.remove_prefix(end);
    return true;
}

// Takes the text up to the next `separator` off the front of `rest` (all of it when absent).
inline std::string_view next_piece(std::string_view &rest, char separator) noexcept {
    size_t end = rest.find(separator);
    std::string_view piece = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
    return piece;
}

// from_chars rather than strtoull/strtod: no locale, no leading sign or blanks accepted,
// and the whole field must be the number.
inline std::optional<uint64_t> parse_u64(std::string_view text) noexcept {
    uint64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

inline std::optional<int64_t> parse_i64(std::string_view text) noexcept {
    int64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

#if defined(__cpp_lib_to_chars) && __cpp_lib_to_chars >= 201611L
inline std::optional<double> parse_non_negative_double(std::string_view text) noexcept {
    double value = 0;
    auto [end, error] =
        std::from_chars(text.data(), text.data() + text.size(), value, std::chars_format::fixed);
    if (text.empty() || error != std::errc() || end != text.data() + text.size() ||
        !std::isfinite(value) || value < 0) {
        return std::nullopt;
    }
    return value;
}
#else
// Before GCC 11 (Debian bullseye, PostgreSQL 13) libstdc++ has no floating-point
// from_chars. The same grammar, digits with at most one '.', checked here, then strtod on a
// bounded copy: PostgreSQL keeps LC_NUMERIC at "C" in every backend, so '.' is the point.
inline std::optional<double> parse_non_negative_double(std::string_view text) noexcept {
    constexpr size_t kMaxDigits = 64;
    if (text.empty() || text.size() > kMaxDigits) return std::nullopt;
    bool point = false, digit = false;
    for (char c : text) {
        if (c == '.' && !point) {
            point = true;
        } else if (c >= '0' && c <= '9') {
            digit = true;
        } else {
            return std::nullopt;
        }
    }
    if (!digit) return std::nullopt;
    char copy[kMaxDigits + 1];
    text.copy(copy, text.size());
    copy[text.size()] = '\0';
    char *end = nullptr;
    double value = std::strtod(copy, &end);
    if (end != copy + text.size() || !std::isfinite(value)) return std::nullopt;
    return value;
}
#endif

// GNU strerror_r returns the message, XSI strerror_r fills the buffer: accept either.
[[maybe_unused]] inline const char *strerror_result(const char *message, const char *) noexcept {
    return message;
}
[[maybe_unused]] inline const char *strerror_result(int rc, const char *buffer) noexcept {
    return rc == 0 ? buffer : "unknown error";
}

// strerror_r rather than strerror, which is not thread-safe. May throw std::bad_alloc.
inline std::string describe_errno(int error) {
    char buffer[256] = {};
    return strerror_result(strerror_r(error, buffer, sizeof buffer), buffer);
}

}  // namespace poolopt::core::text_parse
