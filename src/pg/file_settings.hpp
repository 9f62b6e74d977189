// The configuration files' values of some settings, as pg_file_settings shows them.
#pragma once

#include "pg/catalog_reads.hpp"

namespace poolopt::pg {

// Sets has_file_value and file_value on the rows of `settings` that the configuration files
// set: the last value the files give, unless PostgreSQL reported an error for it, which
// means the value is not used — except for settings pending a restart, whose changed value
// is reported as the error "setting could not be applied" and is the pending value. Reads
// nothing unless the caller may execute pg_show_all_file_settings() (superuser, or an
// explicit grant, by default); sets settings.file_values_read when it did read. May raise
// an error.
void read_file_values(SettingTexts &settings);

}  // namespace poolopt::pg
