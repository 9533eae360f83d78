#ifndef EFFINITY_SQLITE_PAGE_CACHE_H
#define EFFINITY_SQLITE_PAGE_CACHE_H

/// Whether this process's SQLite runs with the page cache below (installed when the program is
/// loaded, before SQLite initializes; 0 when SQLite was configured otherwise first).
int effinity_page_cache_installed(void);

/// How many times a B-tree page swap's scratch page number was moved next to the end of an
/// in-memory database with pages of `pageSize` bytes (see SQLitePageCache.c), in this process.
unsigned long long effinity_page_cache_scratch_moves(int pageSize);

/// Whether SQLite's memory statistics were turned off before it initialized (see
/// SQLiteMemoryStatus.c: every allocation took a process-wide mutex to count them).
int effinity_sqlite_memory_status_off(void);

/// SQLite's count of the bytes it has allocated: 0 while its memory statistics are off.
long long effinity_sqlite_memory_used(void);

#endif
