// What SQL functions read of the server outside shared memory: the advised settings (from
// their variables), the configuration files' values (file_settings.hpp), the size of the
// databases (through SPI, used until the worker has measured them) and the oldest open
// transaction (the backend status array). Never used by the worker, whose
// sampling path stays free of SQL. The SPI queries are constant
// and run with search_path = pg_catalog, pg_temp.
//
// Every result is plain data in palloc'd memory. These may raise an error at any point, so
// call them only from frames that hold no C++ object with a destructor.
#pragma once

#include "pg/postgres_headers.hpp"

namespace poolopt::pg {

// One pg_settings row as text; the file value is the last one the configuration files hold.
struct SettingText {
    char name[NAMEDATALEN];
    char vartype[16];
    char unit[16];
    char context[32];
    char reset_val[256];  // the server-wide value: a SET in this session does not change it
    bool has_bounds;      // min_val and max_val are set (numeric settings)
    double min_val, max_val;
    bool pending_restart;
    bool has_file_value;
    char file_value[256];
};

struct SettingTexts {
    SettingText *rows;
    int count;
    // pg_file_settings could be read (it needs superuser or an explicit grant by default).
    bool file_values_read;
};

// The pg_settings rows of `names` that this server has.
SettingTexts read_settings(const char *const *names, int name_count);

// Sum of pg_database_size() over the databases the caller may measure (all of them for
// superusers and pg_read_all_stats members, so for pg_monitor); -1 when none.
int64 read_database_size();

// The client backend other than the caller whose transaction has been open longest.
struct OldestTransaction {
    bool found;
    double age_seconds;
    int32 pid;
    char application_name[NAMEDATALEN];
    char state[32];
};
OldestTransaction read_oldest_transaction();

}  // namespace poolopt::pg
