/*
 * store.h - the store interface: ordered key/value tables, read and write transactions, range
 * scans. The engine only talks to this interface; stores/lmdb.c implements it on LMDB. Keys
 * compare as raw bytes (memcmp order, shorter first on a common prefix), so integers in keys are
 * written big-endian.
 *
 * Errors are bpmnrt status codes (BPMN_OK, BPMN_ENOTFOUND, BPMN_EIO, BPMN_ENOMEM, ...) plus
 * ST_EMAPFULL, which st_run() handles by growing the map and retrying once.
 */
#ifndef BPMN_STORE_H
#define BPMN_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "bpmnrt.h"

#define ST_EMAPFULL (-100)

typedef enum st_table {
    ST_META = 0,   /* schema version, counters */
    ST_DEFS,       /* process id \0 version(u32 BE) -> deployment record */
    ST_INSTANCES,  /* instance id (u64 BE) -> instance record */
    ST_TASKS,      /* task id (u64 BE) -> task record */
    ST_JOBS,       /* job id (u64 BE) -> job record */
    ST_SUBS,       /* subscription key -> record (messages, signals) */
    ST_TIMERS,     /* due time (i64 BE, ms) + timer id (u64 BE) -> timer record */
    ST_HISTORY,    /* seq (u64 BE) -> history event */
    ST_INDEX,      /* secondary indexes: any key layout the engine chooses -> small value */
    ST_TABLE_COUNT
} st_table;

/* Handles on one file in one process share its environment (see st_open): map_size, nometasync
 * and nosync are those of the handle that opened it, map_max the largest any handle gave. */
typedef struct st_options {
    const char *path;        /* file path of the store (see st_open) */
    size_t map_size;         /* initial map size in bytes; 0 = 64 MiB */
    size_t map_max;          /* growth limit in bytes; 0 = 64 GiB */
    int nometasync;          /* 1: MDB_NOMETASYNC (last commit may be lost on OS crash, never
                                corrupted); default full sync */
    int nosync;              /* 1: MDB_NOSYNC, for benchmarks and tests only */
} st_options;

typedef struct st_store st_store;
typedef struct st_txn st_txn;
typedef struct st_cursor st_cursor;

/* Opens (creating if needed) the store at o->path, a single file (MDB_NOSUBDIR; the lock file
 * is path + "-lock"). Clears stale readers. Checks the schema version stored in ST_META
 * (writes it on a new store); a store of another schema version or a file that is not an LMDB
 * store is refused with BPMN_EIO and a message in err.
 *
 * Any number of handles, in any threads, may open the same file in one process: they share one
 * LMDB environment (LMDB allows one per file per process), found by the file's device and
 * inode, and see each other's commits like those of other processes. Each handle has its own
 * write transaction slot, reader cache and error message; the write lock, the map and its
 * growth are the environment's. A child of fork() opens its own environment: a handle it
 * inherited refuses st_begin (BPMN_EIO) and may only have its transactions ended and be
 * closed. The path must not be replaced by another file while the store is open. */
int st_open(const st_options *o, st_store **out, char *err, size_t errcap);
/* Every transaction begun on s must have ended. The environment closes with its last handle.
 * NULL is a no-op. */
void st_close(st_store *s);

/* Transactions. A write transaction is exclusive across threads, handles and processes; a
 * thread holding one gets BPMN_EINVAL for a second on any handle of the same file. st_commit
 * and st_abort free the transaction in every case. */
int st_begin(st_store *s, int write, st_txn **out);
int st_commit(st_txn *t);
void st_abort(st_txn *t);

/* The value pointer of st_get stays valid until the transaction ends or the next write to it. */
int st_get(st_txn *t, st_table tb, const void *key, size_t klen, const void **val, size_t *vlen);
int st_put(st_txn *t, st_table tb, const void *key, size_t klen, const void *val, size_t vlen);
/* Appends a key greater than every key in the table (MDB_APPEND): faster for sequences. */
int st_append(st_txn *t, st_table tb, const void *key, size_t klen, const void *val, size_t vlen);
int st_del(st_txn *t, st_table tb, const void *key, size_t klen); /* ENOTFOUND if absent */

/* Range scans: st_cursor_seek positions at the first key >= key (klen 0: the first key); next
 * moves on. Both return BPMN_ENOTFOUND at the end. Key and value pointers are valid until the
 * cursor moves or the transaction ends. */
int st_cursor_open(st_txn *t, st_table tb, st_cursor **out);
int st_cursor_seek(st_cursor *c, const void *key, size_t klen, const void **k, size_t *kl,
                   const void **v, size_t *vl);
int st_cursor_next(st_cursor *c, const void **k, size_t *kl, const void **v, size_t *vl);
int st_cursor_del(st_cursor *c); /* deletes the current entry (write transactions) */
void st_cursor_close(st_cursor *c); /* NULL is a no-op */

/* Runs fn in one write transaction and commits it. When fn, a put or the commit reports
 * ST_EMAPFULL, the transaction is aborted, the map grows (doubling, up to map_max) and fn runs
 * once more in a fresh transaction. fn returns a status; any non-OK status aborts and is
 * returned. fn must be re-runnable: it may keep no state from the aborted attempt. */
int st_run(st_store *s, int (*fn)(st_txn *t, void *ud), void *ud);

/* Fault injection, for tests: fn is asked before every put, append, delete and commit of a write
 * transaction on this handle (op: an st_op) and answers 0 to go on or an LMDB or errno code
 * (MDB_MAP_FULL, ENOSPC, EIO, ...) that the call then fails with, as if LMDB had returned it. As
 * with LMDB, a transaction whose write failed refuses every later call (MDB_BAD_TXN) and its
 * commit aborts it. A MAP_FULL is handled as a real one (st_run grows the map and retries). fn
 * NULL turns it off. */
typedef enum st_op { ST_OP_PUT = 0, ST_OP_APPEND, ST_OP_DEL, ST_OP_COMMIT } st_op;
void st_set_fault(st_store *s, int (*fn)(void *ud, int op), void *ud);

/* Grows the map once, as st_run does (doubling, up to map_max; ST_EMAPFULL there): for a
 * transaction that ran out of room and could not grow it itself (a batch). The calling thread
 * must hold no transaction on the file; the others' transactions in this process are waited
 * for. */
int st_grow(st_store *s);

/* The reason of the last failure on this handle, naming the file ("" if none yet). */
const char *st_errmsg(const st_store *s);

/* Current map size in bytes (for tests and benchmarks); 0 for NULL or an inherited handle. */
size_t st_map_size(const st_store *s);

/* Big-endian helpers for keys. */
static inline void st_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}
static inline uint64_t st_rd64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

/* Reader slots of a store (LMDB's lock table): read transactions open at once across every
 * process and thread. */
#define ST_MAX_READERS 1024

#endif
