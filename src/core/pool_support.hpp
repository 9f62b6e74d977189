// Helpers shared by the pool engine's files (pool_engine, pool_budget, pool_hardware,
// pool_client_settings, pool_adaptation): cleaning measured figures, and writing them into
// reasons the way an operator reads them. Not part of the engine's interface.
#pragma once

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace poolopt::core::pool_support {

// A count or rate: NaN, negative and infinite figures count as 0, so one bad reading
// cannot turn a recommendation into NaN or infinity.
double finite_non_negative(double value) noexcept;
// A share: clamped to [0, 1]; NaN counts as 0.
double share(double value) noexcept;
// A share that may be unknown: NaN counts as unknown.
std::optional<double> known_share(std::optional<double> value) noexcept;
// floor(), forgiving the rounding error that makes 20 × 0.85 / 0.1 come out as 169.999….
int64_t floor_tolerant(double value) noexcept;
int32_t clamp_to_int32(int64_t value) noexcept;
// CPUs in whole cores, rounded up (a 1.5-CPU quota is 2), as a process counts them; unknown
// (not positive, NaN) counts as 1. At most kMaxServers.
int32_t whole_cores(double cpus) noexcept;
// The largest step the adaptation raises a pool by (+50 %, at least one connection), and the
// step the engine's measured curve moves by (pool_adaptation.cpp, pool_history.cpp).
inline int32_t largest_raise(int32_t current) noexcept {
    return std::max(1, current / 2);
}
// Whether a group's client runs on the database host: client_addr as pg_stat_activity
// shows it is empty (Unix socket) or a loopback address (127.0.0.0/8, ::1, or 127.x mapped
// into IPv6). A client on another address may still be local; it is counted as remote.
bool client_on_this_host(std::string_view client_addr) noexcept;

// A figure and how a reason prints it, formatted only where it is written (append_part),
// so notes that are not written (Notes(false)) cost no formatting.
class Figure {
  public:
    enum class Kind : uint8_t { number, duration, percent, bytes };
    constexpr Figure(Kind kind, double value) noexcept : kind_(kind), value_(value) {}
    void print_to(std::string &out) const;
    operator std::string() const {
        std::string out;
        print_to(out);
        return out;
    }

  private:
    Kind kind_;
    double value_;
};
bool operator==(const Figure &figure, std::string_view text);
std::string operator+(const Figure &figure, const char *tail);
std::string operator+(const std::string &head, const Figure &figure);

// About three significant digits and never an exponent, as %.3g would print them below
// 1000: 3.21, 412, 7.8, 0.05, 12345; values nearer 0 than 0.001 read "< 0.001".
constexpr Figure number(double value) noexcept {
    return Figure(Figure::Kind::number, value);
}
// Seconds as "30.8 µs" below a millisecond, "7.8 ms" below a second, "4.5 s" above.
constexpr Figure duration(double seconds) noexcept {
    return Figure(Figure::Kind::duration, seconds);
}
// A 0..1 share as "5 %", "0.5 %", "98 %".
constexpr Figure percent(double share) noexcept {
    return Figure(Figure::Kind::percent, share);
}
// Bytes as PostgreSQL's units read: "512 kB", "10 MB", "1.7 GB".
constexpr Figure bytes(uint64_t bytes) noexcept {
    return Figure(Figure::Kind::bytes, static_cast<double>(bytes));
}
// "database app, role alice".
std::string database_and_role(const std::string &database, const std::string &role);
// The parts that are not empty, with `separator` between them.
std::string join(const std::vector<std::string> &parts, const char *separator);
// "s" unless exactly one.
inline const char *plural(int64_t count) {
    return count == 1 ? "" : "s";
}

inline void append_part(std::string &out, const std::string &part) {
    out += part;
}
inline void append_part(std::string &out, const char *part) {
    out += part;
}
inline void append_part(std::string &out, const Figure &part) {
    part.print_to(out);
}
template <typename Integer>
constexpr bool kIsCount =
    std::is_integral_v<Integer> && !std::is_same_v<Integer, bool> && !std::is_same_v<Integer, char>;
template <typename Integer, std::enable_if_t<kIsCount<Integer>, int> = 0>
void append_part(std::string &out, Integer value) {
    char digits[24];
    const std::to_chars_result written = std::to_chars(digits, digits + sizeof(digits), value);
    out.append(digits, written.ptr);
}
// Floating-point figures go through number(), duration() or percent(), which decide how
// they read.
void append_part(std::string &out, double value) = delete;

inline size_t part_length(const std::string &part) {
    return part.size();
}
inline size_t part_length(const char *part) {
    return std::char_traits<char>::length(part);
}
constexpr size_t part_length(const Figure &) {
    return 12;  // most figures print within it; text() only reserves with it
}
template <typename Integer, std::enable_if_t<kIsCount<Integer>, int> = 0>
constexpr size_t part_length(Integer) {
    return 20;
}

// Text and whole numbers, concatenated with one allocation: text("pool of ", 6, " connections").
// Reasons for 256 groups take a fraction of a millisecond this way; with vsnprintf they took
// most of one.
template <typename... Parts>
std::string text(const Parts &...parts) {
    std::string out;
    out.reserve((part_length(parts) + ... + 0));
    (append_part(out, parts), ...);
    return out;
}

// A reason as its notes are made: each note goes straight after the last, "; " between
// them, so a reason costs one allocation instead of one per note and figure. Unwritten
// notes (`written` false) take nothing and stay empty, for callers that want figures only.
class Notes {
  public:
    explicit Notes(bool written = true) : written_(written) {
        if (written_) text_.reserve(kTypicalBytes);
    }
    // Starts a note.
    template <typename... Parts>
    void add(const Parts &...parts) {
        if (!written_) return;
        if (!text_.empty()) text_ += "; ";
        extend(parts...);
    }
    // Continues the last note.
    template <typename... Parts>
    void extend(const Parts &...parts) {
        if (written_) (append_part(text_, parts), ...);
    }
    std::string take() { return std::move(text_); }

  private:
    static constexpr size_t kTypicalBytes = 768;  // the longest reasons run to about 1 kB
    bool written_;
    std::string text_;
};

}  // namespace poolopt::core::pool_support
