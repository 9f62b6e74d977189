// File I/O for the statistics file. Both ends run in the postmaster, with no other
// process attached (before any has started, or after all have exited), so the region is
// read and written without the LWLock, which the postmaster cannot take anyway.
//
// Everything here must stay below ERROR: an ERROR in the postmaster is a FATAL, which at
// start would refuse to start the server. Hence plain POSIX I/O and malloc (no fd.c
// wrappers or palloc that may raise), problems reported at WARNING or LOG, and no C++
// object with a destructor anywhere (rule 2 of boundary.hpp holds trivially).
#include "pg/event_queue.hpp"

#include "pg/persistence.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include "core/stats_file.hpp"
#include "pg/gucs.hpp"

extern "C" {
#include "common/file_perm.h"
#include "port/pg_crc32c.h"
#include "storage/fd.h"
}

namespace poolopt::pg {

namespace {

#define POOL_OPTIMIZER_STAT_FILE PGSTAT_STAT_PERMANENT_DIRECTORY "/pool_optimizer.stat"
constexpr const char *kStatFile = POOL_OPTIMIZER_STAT_FILE;
constexpr const char *kStatTempFile = POOL_OPTIMIZER_STAT_FILE ".tmp";

// PostgreSQL's CRC-32C (SSE 4.2 or ARMv8 instructions where the CPU has them); the same
// function as core::crc32c_portable.
uint32_t postgres_crc32c(const void *bytes, size_t size) {
    pg_crc32c crc;
    INIT_CRC32C(crc);
    COMP_CRC32C(crc, bytes, size);
    FIN_CRC32C(crc);
    return crc;
}

core::StatsFileShape expected_shape(const SharedView &view) {
    return core::StatsFileShape{uint32_t(PG_VERSION_NUM / 100),
                                uint32_t(sizeof(core::GroupTableHeader)),
                                uint32_t(sizeof(core::GroupEntry)),
                                uint32_t(sizeof(AdjustmentRecord)), view.state->max_pools};
}

void warn_ignored(const char *reason) {
    ereport(WARNING,
            (errmsg("pool_optimizer: ignoring statistics file \"%s\": %s", kStatFile, reason),
             errdetail("Pool statistics and the adaptation history start afresh.")));
}

// Reads the whole file into a malloc'ed buffer. False with errno set on failure.
bool read_whole_file(int fd, unsigned char **out, size_t *size) {
    off_t end = lseek(fd, 0, SEEK_END);
    if (end < 0 || lseek(fd, 0, SEEK_SET) < 0) return false;
    auto *buffer = static_cast<unsigned char *>(malloc(end > 0 ? size_t(end) : 1));
    if (!buffer) {
        errno = ENOMEM;
        return false;
    }
    size_t done = 0;
    while (done < size_t(end)) {
        ssize_t n = read(fd, buffer + done, size_t(end) - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int saved = errno;
            free(buffer);
            errno = saved;
            return false;
        }
        if (n == 0) break;  // shrank under us: the check reports it as truncated
        done += size_t(n);
    }
    *out = buffer;
    *size = done;
    return true;
}

bool write_all(int fd, const void *bytes, size_t size) {
    const auto *p = static_cast<const unsigned char *>(bytes);
    while (size > 0) {
        ssize_t n = write(fd, p, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (n == 0) errno = ENOSPC;
            return false;
        }
        p += n;
        size -= size_t(n);
    }
    return true;
}

void apply_loaded(const SharedView &view, const unsigned char *file,
                  const core::StatsFileSections &sections) {
    std::memcpy(&view.state->groups, file + sections.group_header, sizeof(core::GroupTableHeader));
    std::memcpy(view.groups, file + sections.group_entries,
                sizeof(core::GroupEntry) * view.state->max_pools);
    core::restart_loaded_table(&view.state->groups, view.groups, view.state->max_pools);
    AdjustmentRecord record;
    for (uint32_t i = 0; i < sections.adjustment_count; ++i) {
        std::memcpy(&record, file + sections.adjustments + size_t(i) * sizeof record,
                    sizeof record);
        record.reason[sizeof record.reason - 1] = '\0';
        view.adjustments->push(record);
    }
    ereport(LOG, (errmsg("pool_optimizer: loaded statistics of %u pool groups and %u pool "
                         "adjustments from \"%s\"",
                         view.state->groups.in_use, sections.adjustment_count, kStatFile)));
}

// An entry point PostgreSQL calls (boundary rule 1): nothing in it throws, it allocates
// with malloc and calls only functions that report below ERROR.
extern "C" void save_statistics(int code, Datum) {
    // A crash exit (code != 0) leaves a region that a dying worker may have been writing.
    if (code != 0 || !gucs::save) return;
    const SharedView *view = shared();
    if (!view) return;

    // Payload: the group table header and entries as they are, then the adjustment ring's
    // readable records, oldest first.
    const core::StatsFileShape shape = expected_shape(*view);
    const uint32_t ring_capacity = view->adjustments->capacity();
    const size_t most =
        sizeof(core::StatsFileHeader) + size_t(core::stats_payload_bytes(shape, ring_capacity));
    auto *file = static_cast<unsigned char *>(malloc(most));
    if (!file) {
        ereport(LOG,
                (errmsg("pool_optimizer: out of memory saving statistics to \"%s\"", kStatFile)));
        return;
    }
    unsigned char *payload = file + sizeof(core::StatsFileHeader);
    size_t at = 0;
    std::memcpy(payload + at, &view->state->groups, sizeof(core::GroupTableHeader));
    at += sizeof(core::GroupTableHeader);
    std::memcpy(payload + at, view->groups, sizeof(core::GroupEntry) * shape.max_pools);
    at += sizeof(core::GroupEntry) * shape.max_pools;
    uint32_t adjustments = 0;
    view->adjustments->for_each_since(0, [&](uint64_t, const AdjustmentRecord &record) {
        if (adjustments == ring_capacity) return;
        std::memcpy(payload + at, &record, sizeof record);
        at += sizeof record;
        adjustments++;
    });
    core::StatsFileHeader header =
        core::make_stats_header(shape, adjustments, payload, postgres_crc32c);
    std::memcpy(file, &header, sizeof header);
    const size_t total = sizeof header + size_t(header.payload_bytes);

    int fd = open(kStatTempFile, O_WRONLY | O_CREAT | O_TRUNC | PG_BINARY, pg_file_create_mode);
    bool written = fd >= 0 && write_all(fd, file, total);
    int saved_errno = errno;
    if (fd >= 0 && close(fd) != 0 && written) {
        written = false;
        saved_errno = errno;
    }
    free(file);
    if (!written) {
        errno = saved_errno;
        ereport(LOG, (errcode_for_file_access(),
                      errmsg("pool_optimizer: could not write statistics file \"%s\": %m",
                             kStatTempFile)));
        unlink(kStatTempFile);
        return;
    }
    // fsyncs the file, renames it, fsyncs the directory; reports at LOG, never raises.
    if (durable_rename(kStatTempFile, kStatFile, LOG) != 0) unlink(kStatTempFile);
}

}  // namespace

void save_statistics_at_exit() {
    on_shmem_exit(save_statistics, 0);
}

void load_saved_statistics(const SharedView &view) {
    // Unlike pg_stat_statements, a file found while saving is off is removed unread: left
    // in place, it would bring back stale figures whenever saving is turned on again.
    if (!gucs::save) {
        if (unlink(kStatFile) == 0)
            ereport(LOG, (errmsg("pool_optimizer: removed \"%s\" unread: "
                                 "pool_optimizer.save is off",
                                 kStatFile)));
        return;
    }
    int fd = open(kStatFile, O_RDONLY | PG_BINARY, 0);
    if (fd < 0) {
        if (errno != ENOENT)
            ereport(WARNING,
                    (errcode_for_file_access(),
                     errmsg("pool_optimizer: could not open statistics file \"%s\": %m", kStatFile),
                     errdetail("Pool statistics and the adaptation history start afresh.")));
        return;  // no file: a first start, or the last exit was not clean
    }
    unsigned char *file = nullptr;
    size_t size = 0;
    bool read_ok = read_whole_file(fd, &file, &size);
    int saved_errno = errno;
    close(fd);
    if (!read_ok) {
        errno = saved_errno;
        ereport(WARNING,
                (errcode_for_file_access(),
                 errmsg("pool_optimizer: could not read statistics file \"%s\": %m", kStatFile),
                 errdetail("Pool statistics and the adaptation history start afresh.")));
    } else {
        core::StatsFileSections sections{};
        char why[256];
        if (core::check_stats_file(file, size, expected_shape(view), postgres_crc32c, &sections,
                                   why, sizeof why))
            apply_loaded(view, file, sections);
        else
            warn_ignored(why);
    }
    free(file);
    // Loaded or not, the file has served: a crash before the next clean exit must not bring
    // back figures older than those lost, and a bad file must not warn at every start.
    if (unlink(kStatFile) != 0 && errno != ENOENT)
        ereport(LOG, (errcode_for_file_access(),
                      errmsg("pool_optimizer: could not remove \"%s\": %m", kStatFile)));
}

}  // namespace poolopt::pg
