// The pg_settings columns the settings advisor uses, read from PostgreSQL's variables
// directly: the pg_settings view builds every one of the ~350 settings per query.
#pragma once

#include "pg/catalog_reads.hpp"

namespace poolopt::pg {

// Fills out->rows (capacity name_count) and out->count with the settings of `names` this
// server has and shows the caller, as pg_settings shows them, in pg_settings' order.
void read_setting_variables(const char *const *names, int name_count, SettingTexts *out);

}  // namespace poolopt::pg
