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

std::string number(double value) {
    if (std::isnan(value)) return "unknown";
    if (std::isinf(value)) return value > 0 ? "infinite" : "-infinite";
    if (value == 0.0) return "0";
    std::string out;
    if (value < 0.0) {
        out += '-';
        value = -value;
    }
    // Below 0.001 %.3g would print an exponent, which reads as noise in a reason.
    if (value < 0.001) return out.empty() ? "< 0.001" : "> -0.001";
    if (value >= 999.5) {
        if (value >= 9.0e18) return out + "more than 9e18";
        append_part(out, std::llround(value));
        return out;
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
    append_part(out, scaled / scale);
    int64_t fraction = scaled % scale;
    if (fraction == 0) return out;
    int digits = decimals;
    while (fraction % 10 == 0) {
        fraction /= 10;
        --digits;
    }
    std::string fraction_digits;
    append_part(fraction_digits, fraction);
    out += '.';
    out.append(static_cast<size_t>(digits) - fraction_digits.size(), '0');
    out += fraction_digits;
    return out;
}

std::string duration(double seconds) {
    if (std::isfinite(seconds) && std::fabs(seconds) < 0.001) {
        return number(seconds * 1e6) + " µs";
    }
    if (std::isfinite(seconds) && std::fabs(seconds) < 1.0) return number(seconds * 1e3) + " ms";
    return number(seconds) + " s";
}

std::string percent(double share) {
    return number(share * 100.0) + " %";
}

std::string bytes(uint64_t bytes) {
    const double value = static_cast<double>(bytes);
    constexpr double kKiB = 1024.0, kMiB = kKiB * 1024.0, kGiB = kMiB * 1024.0,
                     kTiB = kGiB * 1024.0;
    if (value >= kTiB) return number(value / kTiB) + " TB";
    if (value >= kGiB) return number(value / kGiB) + " GB";
    if (value >= kMiB) return number(value / kMiB) + " MB";
    if (value >= kKiB) return number(value / kKiB) + " kB";
    return text(bytes, " bytes");
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
