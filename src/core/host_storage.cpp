// Storage probe: is the data directory on rotating disks? Answers from sysfs, below a root so
// tests can point it at fixture trees.
#include "core/host_probe.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "core/text_parse.hpp"

namespace poolopt::core {

namespace {

using text_parse::describe_errno;

// A sysfs attribute: one short line, returned without its newline.
std::optional<std::string> read_attribute(const std::string &path, int &error) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        error = errno;
        return std::nullopt;
    }
    char buffer[64];
    ssize_t got;
    do {
        got = ::read(fd, buffer, sizeof buffer);
    } while (got < 0 && errno == EINTR);
    error = got < 0 ? errno : 0;
    ::close(fd);
    if (got < 0) return std::nullopt;
    return std::string(text_parse::trim(std::string_view(buffer, static_cast<size_t>(got))));
}

std::string base_name(const std::string &path) {
    return path.substr(path.rfind('/') + 1);
}

std::optional<std::string> resolve(const std::string &path, int &error) {
    char *resolved = ::realpath(path.c_str(), nullptr);
    if (!resolved) {
        error = errno;
        return std::nullopt;
    }
    std::string result(resolved);
    std::free(resolved);
    return result;
}

std::vector<std::string> list_directory(const std::string &path) {
    std::vector<std::string> names;
    DIR *directory = ::opendir(path.c_str());
    if (!directory) return names;
    try {
        while (dirent *entry = ::readdir(directory)) {
            std::string name = entry->d_name;
            if (name != "." && name != "..") names.push_back(std::move(name));
        }
    } catch (...) {
        ::closedir(directory);
        throw;
    }
    ::closedir(directory);
    std::sort(names.begin(), names.end());
    return names;
}

struct Verdict {
    StorageKind kind = StorageKind::unknown;
    std::string how;
    bool virtual_disk = false;
};

// `device` is a resolved sysfs block device directory.
Verdict classify_block_device(const std::string &device, int depth) {
    std::string name = base_name(device);
    if (depth > 8) return {StorageKind::unknown, name + ": devices stacked too deep", false};

    struct stat status;
    if (::stat((device + "/partition").c_str(), &status) == 0) {
        Verdict disk = classify_block_device(device.substr(0, device.rfind('/')), depth + 1);
        disk.how = name + ", partition of " + disk.how;
        return disk;
    }

    std::vector<std::string> slaves = list_directory(device + "/slaves");
    if (!slaves.empty()) {
        Verdict stacked{StorageKind::ssd, name + " over [", false};
        bool any_unknown = false, any_hdd = false;
        for (size_t i = 0; i < slaves.size(); ++i) {
            int error = 0;
            auto slave = resolve(device + "/slaves/" + slaves[i], error);
            Verdict part =
                slave ? classify_block_device(*slave, depth + 1)
                      : Verdict{StorageKind::unknown,
                                slaves[i] + ": cannot resolve: " + describe_errno(error), false};
            any_hdd |= part.kind == StorageKind::hdd;
            any_unknown |= part.kind == StorageKind::unknown;
            stacked.virtual_disk |= part.virtual_disk;
            stacked.how += (i ? "; " : "") + part.how;
        }
        stacked.how += "]";
        stacked.kind = any_hdd       ? StorageKind::hdd
                       : any_unknown ? StorageKind::unknown
                                     : StorageKind::ssd;
        return stacked;
    }

    Verdict disk;
    disk.virtual_disk =
        device.find("/virtio") != std::string::npos || name.compare(0, 3, "xvd") == 0;
    int error = 0;
    auto rotational = read_attribute(device + "/queue/rotational", error);
    if (!rotational) {
        disk.how = name + ": cannot read queue/rotational: " + describe_errno(error);
    } else if (*rotational == "0") {
        disk.kind = StorageKind::ssd;
        disk.how = name + ": queue/rotational=0";
    } else if (*rotational == "1") {
        disk.kind = StorageKind::hdd;
        disk.how = name + ": queue/rotational=1";
        if (disk.virtual_disk) disk.how += " (virtual disk: often 1 on SSD-backed volumes)";
    } else {
        disk.how = name + ": cannot parse queue/rotational: expected 0 or 1";
    }
    return disk;
}

}  // namespace

StorageGuess detect_storage(const std::string &root, unsigned dev_major,
                            unsigned dev_minor) noexcept {
    StorageGuess guess;
    try {
        std::string base = root;
        while (!base.empty() && base.back() == '/') base.pop_back();
        std::string link =
            "/sys/dev/block/" + std::to_string(dev_major) + ":" + std::to_string(dev_minor);
        int error = 0;
        auto device = resolve(base + link, error);
        if (!device) {
            guess.how = "cannot resolve " + link + ": " + describe_errno(error);
            return guess;
        }
        Verdict verdict = classify_block_device(*device, 0);
        guess.kind = verdict.kind;
        guess.device = base_name(*device);
        guess.how = link + " -> " + verdict.how;
        guess.virtual_disk = verdict.virtual_disk;
    } catch (...) {
        guess = StorageGuess{};
        try {
            guess.how = "storage probe failed: out of memory";
        } catch (...) {
        }
    }
    return guess;
}

StorageGuess detect_storage_of_path(const std::string &root, const std::string &path) noexcept {
    struct stat status;
    if (::stat(path.c_str(), &status) != 0) {
        int error = errno;
        StorageGuess guess;
        try {
            guess.how = "cannot stat " + path + ": " + describe_errno(error);
        } catch (...) {
        }
        return guess;
    }
    return detect_storage(root, major(status.st_dev), minor(status.st_dev));
}

const char *storage_kind_name(StorageKind kind) noexcept {
    switch (kind) {
        case StorageKind::ssd:
            return "ssd";
        case StorageKind::hdd:
            return "hdd";
        case StorageKind::unknown:
            break;
    }
    return "unknown";
}

std::optional<uint64_t> filesystem_size_bytes(const std::string &path) noexcept {
    struct statvfs status;
    if (::statvfs(path.c_str(), &status) != 0 || status.f_blocks == 0) return std::nullopt;
    return static_cast<uint64_t>(status.f_blocks) * static_cast<uint64_t>(status.f_frsize);
}

}  // namespace poolopt::core
