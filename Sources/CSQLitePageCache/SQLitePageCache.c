// SQLite's default page cache (pcache1), with one change for in-memory databases: the scratch
// page number of a B-tree page swap is taken just past the database's last page instead of the
// page after the 1 GiB "pending byte".
//
// Why: when SQLite balances a B-tree (`balance_nonroot`) it sorts the new pages by swapping
// their numbers through a scratch number, `PENDING_BYTE / page_size + 1` (262,145 with the
// emulator's 4 KiB pages, 65,537 with 16 KiB). The cache then remembers that number as the
// largest key it has held, so at the next commit `pcache1Truncate(database size + 1)` believes
// pages past the end may exist and walks the whole hash table looking for them. An in-memory database keeps every page in that table:
// each commit after a balance cost time in proportion to the database (1 ms at 500 MB, a tenth
// of a `POST /v1/subscriptions`), until the database passes 1 GiB. A file database's cache is
// bounded, so the scan is small there; its caches (purgeable ones) are left exactly as SQLite
// made them.
//
// Everything else is SQLite's own pcache1, called through the methods SQLite returns for
// SQLITE_CONFIG_GETPCACHE2. The scratch number only ever lives between three consecutive
// `xRekey` calls (A -> scratch, B -> A, scratch -> B) and the `xFetch` that `sqlite3PcacheMove`
// makes before each to look for a page already holding the target number; a number one past
// the largest page the cache holds is equally unused, and it leaves the cache's largest key at
// the database's end.
#include <sqlite3.h>
#include <stdatomic.h>

typedef struct {
    sqlite3_pcache *inner;
    int purgeable;
    unsigned scratch;      // the number SQLite uses as scratch for this page size
    unsigned largest;      // no page of this cache has a larger number
    unsigned mapped;       // where the scratch page is kept while in use (0: not in use)
    int sizeIndex;         // of the page size in scratchMoves (-1: not a valid SQLite page size)
} WrappedCache;

static sqlite3_pcache_methods2 inner;
static int installed = 0;
// Scratch moves by page size (512 << index), so a test can count its own database's moves with
// a page size no other database of the process uses.
static _Atomic unsigned long long scratchMoves[8];

static int sizeIndex(int pageSize) {
    for (int i = 0; i < 8; i++) if ((512 << i) == pageSize) return i;
    return -1;
}

static unsigned translate(WrappedCache *c, unsigned key) {
    if (c->purgeable || key != c->scratch) return key;
    if (c->mapped == 0) {
        c->mapped = c->largest + 1;
        if (c->sizeIndex >= 0) atomic_fetch_add_explicit(&scratchMoves[c->sizeIndex], 1, memory_order_relaxed);
    }
    return c->mapped;
}

static void noteKey(WrappedCache *c, unsigned key) {
    if (key > c->largest) c->largest = key;
}

static int wInit(void *arg) { return inner.xInit(inner.pArg); }
static void wShutdown(void *arg) { if (inner.xShutdown) inner.xShutdown(inner.pArg); }

static sqlite3_pcache *wCreate(int szPage, int szExtra, int bPurgeable) {
    WrappedCache *c = sqlite3_malloc(sizeof(WrappedCache));
    if (!c) return 0;
    c->inner = inner.xCreate(szPage, szExtra, bPurgeable);
    if (!c->inner) { sqlite3_free(c); return 0; }
    c->purgeable = bPurgeable;
    // The pending byte is at 1 GiB unless a test build moved it (SQLITE_TESTCTRL_PENDING_BYTE).
    c->scratch = (unsigned)(0x40000000u / (unsigned)szPage) + 1;
    c->largest = 0;
    c->mapped = 0;
    c->sizeIndex = sizeIndex(szPage);
    return (sqlite3_pcache *)c;
}

static void wCachesize(sqlite3_pcache *p, int n) { inner.xCachesize(((WrappedCache *)p)->inner, n); }
static int wPagecount(sqlite3_pcache *p) { return inner.xPagecount(((WrappedCache *)p)->inner); }

static sqlite3_pcache_page *wFetch(sqlite3_pcache *p, unsigned key, int createFlag) {
    WrappedCache *c = (WrappedCache *)p;
    unsigned k = translate(c, key);
    sqlite3_pcache_page *page = inner.xFetch(c->inner, k, createFlag);
    if (page && k == key) noteKey(c, key);
    return page;
}

static void wUnpin(sqlite3_pcache *p, sqlite3_pcache_page *page, int discard) {
    inner.xUnpin(((WrappedCache *)p)->inner, page, discard);
}

static void wRekey(sqlite3_pcache *p, sqlite3_pcache_page *page, unsigned oldKey, unsigned newKey) {
    WrappedCache *c = (WrappedCache *)p;
    unsigned from = translate(c, oldKey), to = translate(c, newKey);
    inner.xRekey(c->inner, page, from, to);
    if (!c->purgeable && oldKey == c->scratch) c->mapped = 0;  // the scratch page has its final number
    if (to == newKey) noteKey(c, newKey);
}

static void wTruncate(sqlite3_pcache *p, unsigned limit) {
    WrappedCache *c = (WrappedCache *)p;
    inner.xTruncate(c->inner, limit);
    // Pages at `limit` and above are gone (limit is at least 1: page numbers start at 1).
    if (limit > 0 && c->largest >= limit) c->largest = limit - 1;
}

static void wDestroy(sqlite3_pcache *p) {
    WrappedCache *c = (WrappedCache *)p;
    inner.xDestroy(c->inner);
    sqlite3_free(c);
}

static void wShrink(sqlite3_pcache *p) {
    if (inner.xShrink) inner.xShrink(((WrappedCache *)p)->inner);
}

__attribute__((constructor)) static void installPageCache(void) {
    if (sqlite3_config(SQLITE_CONFIG_GETPCACHE2, &inner) != SQLITE_OK || inner.xFetch == 0) return;
    static sqlite3_pcache_methods2 wrapped;
    wrapped.iVersion = 1;
    wrapped.pArg = 0;
    wrapped.xInit = wInit;
    wrapped.xShutdown = wShutdown;
    wrapped.xCreate = wCreate;
    wrapped.xCachesize = wCachesize;
    wrapped.xPagecount = wPagecount;
    wrapped.xFetch = wFetch;
    wrapped.xUnpin = wUnpin;
    wrapped.xRekey = wRekey;
    wrapped.xTruncate = wTruncate;
    wrapped.xDestroy = wDestroy;
    wrapped.xShrink = wShrink;
    installed = sqlite3_config(SQLITE_CONFIG_PCACHE2, &wrapped) == SQLITE_OK;
}

int effinity_page_cache_installed(void) { return installed; }
unsigned long long effinity_page_cache_scratch_moves(int pageSize) {
    int i = sizeIndex(pageSize);
    return i < 0 ? 0 : atomic_load(&scratchMoves[i]);
}
