#include "core/pool_support.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "core/queueing.hpp"

namespace poolopt::core::pool_support {

double finite_non_negative(double value) noexcept {
    return std::isfinite(value) && value > 0.0 ? value : 0.0;
}

double share(double value) noexcept {
    if (!(value > 0.0)) return 0.0;
    return std::min(value, 1.0);
}

std::optional<double> known_share(std::optional<double> value) noexcept {
    if (!value || std::isnan(*value)) return std::nullopt;
    return share(*value);
}

int64_t floor_tolerant(double value) noexcept {
    if (!(value > 0.0)) return 0;
    if (value >= 9.0e18) return std::numeric_limits<int64_t>::max();
    return static_cast<int64_t>(std::floor(value + 1e-9));
}

int32_t clamp_to_int32(int64_t value) noexcept {
    return static_cast<int32_t>(std::clamp<int64_t>(value, std::numeric_limits<int32_t>::min(),
                                                    std::numeric_limits<int32_t>::max()));
}

int32_t whole_cores(double cpus) noexcept {
    if (!(cpus > 0.0)) return 1;
    if (cpus >= kMaxServers) return kMaxServers;
    // Tolerance: a cgroup quota of 200001/100000 is two CPUs, not three.
    return static_cast<int32_t>(std::ceil(cpus - 1e-9));
}

bool client_on_this_host(std::string_view client_addr) noexcept {
    if (client_addr.empty() || client_addr == "::1") return true;
    constexpr std::string_view kMappedPrefix = "::ffff:";
    if (client_addr.substr(0, kMappedPrefix.size()) == kMappedPrefix)
        client_addr.remove_prefix(kMappedPrefix.size());
    return client_addr.substr(0, 4) == "127.";
}

namespace {

// Up to kCapacity characters held inline: a figure is printed here, then appended.
class Printed {
  public:
    static constexpr size_t kCapacity = 46;
    void append(std::string_view part) noexcept {
        const size_t n = std::min(part.size(), kCapacity - size_);
        std::memcpy(chars_ + size_, part.data(), n);
        size_ = static_cast<uint8_t>(size_ + n);
    }
    void append(int64_t whole) noexcept {
        char digits[24];
        const std::to_chars_result written = std::to_chars(digits, digits + sizeof(digits), whole);
        append(std::string_view(digits, static_cast<size_t>(written.ptr - digits)));
    }
    std::string_view view() const noexcept { return std::string_view(chars_, size_); }

  private:
    char chars_[kCapacity];
    uint8_t size_ = 0;
};

void print_number(Printed &out, double value) noexcept {
    if (std::isnan(value)) return out.append("unknown");
    if (std::isinf(value)) return out.append(value > 0 ? "infinite" : "-infinite");
    if (value == 0.0) return out.append("0");
    const bool negative = value < 0.0;
    if (negative) value = -value;
    // Below 0.001 %.3g would print an exponent, which reads as noise in a reason.
    if (value < 0.001) return out.append(negative ? "> -0.001" : "< 0.001");
    if (negative) out.append("-");
    if (value >= 999.5) {
        if (value >= 9.0e18) return out.append("more than 9e18");
        return out.append(static_cast<int64_t>(std::llround(value)));
    }
    // Three significant digits: as many decimals as that leaves once rounded (9.996 is
    // "10", not "10.0"), trailing zeros dropped, as %.3g does.
    const int decimals = value >= 99.95      ? 0
                         : value >= 9.995    ? 1
                         : value >= 0.9995   ? 2
                         : value >= 0.09995  ? 3
                         : value >= 0.009995 ? 4
                                             : 5;
    int64_t scale = 1;
    for (int i = 0; i < decimals; ++i) scale *= 10;
    const int64_t scaled = std::llround(value * static_cast<double>(scale));
    out.append(scaled / scale);
    int64_t fraction = scaled % scale;
    if (fraction == 0) return;
    int digits = decimals;
    while (fraction % 10 == 0) {
        fraction /= 10;
        --digits;
    }
    char fraction_digits[8];
    const std::to_chars_result written =
        std::to_chars(fraction_digits, fraction_digits + sizeof(fraction_digits), fraction);
    const int written_digits = static_cast<int>(written.ptr - fraction_digits);
    out.append(".");
    for (int i = written_digits; i < digits; ++i) out.append("0");
    out.append(std::string_view(fraction_digits, static_cast<size_t>(written_digits)));
}

void print_duration(Printed &out, double seconds) noexcept {
    const bool finite = std::isfinite(seconds);
    if (finite && std::fabs(seconds) < 0.001) {
        print_number(out, seconds * 1e6);
        out.append(" µs");
    } else if (finite && std::fabs(seconds) < 1.0) {
        print_number(out, seconds * 1e3);
        out.append(" ms");
    } else {
        print_number(out, seconds);
        out.append(" s");
    }
}

void print_bytes(Printed &out, double value) noexcept {
    constexpr double kKiB = 1024.0, kMiB = kKiB * 1024.0, kGiB = kMiB * 1024.0,
                     kTiB = kGiB * 1024.0;
    constexpr struct {
        double size;
        const char *unit;
    } kUnits[] = {{kTiB, " TB"}, {kGiB, " GB"}, {kMiB, " MB"}, {kKiB, " kB"}};
    for (const auto &unit : kUnits) {
        if (value < unit.size) continue;
        print_number(out, value / unit.size);
        return out.append(unit.unit);
    }
    out.append(static_cast<int64_t>(value));
    out.append(" bytes");
}

}  // namespace

void Figure::print_to(std::string &out) const {
    Printed printed;
    switch (kind_) {
        case Kind::number:
            print_number(printed, value_);
            break;
        case Kind::duration:
            print_duration(printed, value_);
            break;
        case Kind::percent:
            print_number(printed, value_ * 100.0);
            printed.append(" %");
            break;
        case Kind::bytes:
            print_bytes(printed, value_);
            break;
    }
    out += printed.view();
}

bool operator==(const Figure &figure, std::string_view text) {
    return std::string(figure) == text;
}

std::string operator+(const Figure &figure, const char *tail) {
    return text(figure, tail);
}

std::string operator+(const std::string &head, const Figure &figure) {
    return text(head, figure);
}

std::string database_and_role(const std::string &database, const std::string &role) {
    return "database " + (database.empty() ? std::string("(any)") : database) + ", role " +
           (role.empty() ? std::string("(any)") : role);
}

std::string join(const std::vector<std::string> &parts, const char *separator) {
    size_t length = 0;
    for (const std::string &part : parts) length += part.size() + std::strlen(separator);
    std::string joined;
    joined.reserve(length);
    for (const std::string &part : parts) {
        if (part.empty()) continue;
        if (!joined.empty()) joined += separator;
        joined += part;
    }
    return joined;
}

}  // namespace poolopt::core::pool_support
