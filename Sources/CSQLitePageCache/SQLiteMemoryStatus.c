// Turns off SQLite's memory statistics (SQLITE_CONFIG_MEMSTATUS) before SQLite initializes.
//
// Why: with statistics on (Debian's build default) every sqlite3_malloc and sqlite3_free takes
// a process-wide mutex to count the bytes, which nothing in this program reads (no
// sqlite3_memory_used, sqlite3_status or heap limit is used). SQLite's own documentation lists
// turning them off among the options that make it faster. In `perf` of a year-long clock
// advance (`effinity bench clock`) the mutex's lock and unlock were 2% of the samples, 0.15%
// with statistics off (the advance's time moved less than its run-to-run noise).
#include <sqlite3.h>

static int memoryStatusOff = 0;

__attribute__((constructor)) static void turnOffMemoryStatus(void) {
    memoryStatusOff = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK;
}

int effinity_sqlite_memory_status_off(void) { return memoryStatusOff; }
long long effinity_sqlite_memory_used(void) { return sqlite3_memory_used(); }
