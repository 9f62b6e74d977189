#include "pg/setting_reads.hpp"

#include <cstdlib>

#include "pg/compat.hpp"

namespace poolopt::pg {
namespace {

const char *vartype_name(config_type type) {
    switch (type) {
        case PGC_BOOL:
            return "bool";
        case PGC_INT:
            return "integer";
        case PGC_REAL:
            return "real";
        case PGC_STRING:
            return "string";
        case PGC_ENUM:
            return "enum";
    }
    return "unknown";
}

// pg_settings.unit: only numeric settings have one.
void unit_name(int flags, char *out, size_t size) {
    switch (flags & GUC_UNIT) {
        case GUC_UNIT_BYTE:
            strlcpy(out, "B", size);
            return;
        case GUC_UNIT_KB:
            strlcpy(out, "kB", size);
            return;
        case GUC_UNIT_MB:
            strlcpy(out, "MB", size);
            return;
        case GUC_UNIT_BLOCKS:
            if (BLCKSZ < 1024)
                snprintf(out, size, "%dB", BLCKSZ);
            else
                snprintf(out, size, "%dkB", BLCKSZ / 1024);
            return;
        case GUC_UNIT_XBLOCKS:
            if (XLOG_BLCKSZ < 1024)
                snprintf(out, size, "%dB", XLOG_BLCKSZ);
            else
                snprintf(out, size, "%dkB", XLOG_BLCKSZ / 1024);
            return;
        case GUC_UNIT_MS:
            strlcpy(out, "ms", size);
            return;
        case GUC_UNIT_S:
            strlcpy(out, "s", size);
            return;
        case GUC_UNIT_MIN:
            strlcpy(out, "min", size);
            return;
        default:
            out[0] = '\0';
    }
}

// pg_settings prints real bounds with %g; the SQL path read them back from that text.
double as_printed(double value) {
    char text[64];
    snprintf(text, sizeof text, "%g", value);
    return strtod(text, nullptr);
}

// As pg_settings: hidden settings, and superuser-only ones for callers without
// pg_read_all_settings, are not shown.
bool shown(const config_generic *variable) {
    if (variable->flags & GUC_NO_SHOW_ALL) return false;
    if (variable->flags & GUC_CUSTOM_PLACEHOLDER) return false;
    return !(variable->flags & GUC_SUPERUSER_ONLY) ||
           has_privs_of_role(GetUserId(), ROLE_PG_READ_ALL_SETTINGS);
}

void fill_row(config_generic *variable, SettingText &row) {
    strlcpy(row.name, variable->name, sizeof row.name);
    strlcpy(row.vartype, vartype_name(variable->vartype), sizeof row.vartype);
    strlcpy(row.context, GucContext_Names[variable->context], sizeof row.context);
    row.pending_restart = (variable->status & GUC_PENDING_RESTART) != 0;
    switch (variable->vartype) {
        case PGC_BOOL: {
            auto *v = reinterpret_cast<config_bool *>(variable);
            strlcpy(row.reset_val, v->reset_val ? "on" : "off", sizeof row.reset_val);
            break;
        }
        case PGC_INT: {
            auto *v = reinterpret_cast<config_int *>(variable);
            unit_name(variable->flags, row.unit, sizeof row.unit);
            snprintf(row.reset_val, sizeof row.reset_val, "%d", v->reset_val);
            row.has_bounds = true;
            row.min_val = v->min;
            row.max_val = v->max;
            break;
        }
        case PGC_REAL: {
            auto *v = reinterpret_cast<config_real *>(variable);
            unit_name(variable->flags, row.unit, sizeof row.unit);
            snprintf(row.reset_val, sizeof row.reset_val, "%g", v->reset_val);
            row.has_bounds = true;
            row.min_val = as_printed(v->min);
            row.max_val = as_printed(v->max);
            break;
        }
        case PGC_STRING: {
            auto *v = reinterpret_cast<config_string *>(variable);
            strlcpy(row.reset_val, v->reset_val ? v->reset_val : "", sizeof row.reset_val);
            break;
        }
        case PGC_ENUM: {
            auto *v = reinterpret_cast<config_enum *>(variable);
            strlcpy(row.reset_val, config_enum_lookup_by_value(v, v->reset_val),
                    sizeof row.reset_val);
            break;
        }
    }
}

}  // namespace

void read_setting_variables(const char *const *names, int name_count, SettingTexts *out) {
    out->count = 0;
    for (int i = 0; i < name_count; ++i) {
        config_generic *variable = compat::find_setting(names[i]);
        if (!variable || !shown(variable)) continue;
        // Insertion in name order, as the view returns its rows.
        int at = out->count++;
        while (at > 0 && strcmp(out->rows[at - 1].name, variable->name) > 0) {
            out->rows[at] = out->rows[at - 1];
            --at;
        }
        out->rows[at] = SettingText{};
        fill_row(variable, out->rows[at]);
    }
}

}  // namespace poolopt::pg
