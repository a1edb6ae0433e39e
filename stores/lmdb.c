/*
 * lmdb.c - the store interface (stores/store.h) on LMDB. One environment per store file, one
 * named database per table, write transactions serialised by LMDB across threads and
 * processes, readers on snapshots that never block the writer.
 *
 * Threads. The environment is opened with MDB_NOTLS: a read transaction is not tied to the
 * thread that began it, so it may be handed to another thread (never used by two at once) and
 * a thread may hold several next to its write transaction. A write transaction must end in the
 * thread that began it (LMDB's writer lock is a mutex); a second st_begin(write) in that thread
 * is refused instead of deadlocking.
 *
 * Processes. LMDB allows one environment per file per process: a second mdb_env_open of the
 * same file in one process takes the lock file as its own (fcntl locks belong to the process),
 * resets the reader table under the first environment's readers, and closing it drops the first
 * one's lock. st_open refuses that case (on Linux, where it can be seen in /proc/locks).
 *
 * Map. LMDB maps the file at a fixed size. st_run grows it when a transaction runs out of
 * room, and any transaction begin adopts a size another process grew it to (MDB_MAP_RESIZED).
 * Both remap the file, which LMDB allows only while no transaction of this process is open, so
 * the store counts its open transactions and a remap waits until the others have ended.
 * When the map cannot grow (map_max) st_run returns ST_EMAPFULL, the reason in st_errmsg.
 *
 * Keys are 1 to 511 bytes (LMDB's limit); others are BPMN_EINVAL. In a write transaction any
 * write may move pages, so a value from st_get is stale after the next write in it.
 */
#include "stores/store.h"

#include <errno.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SCHEMA_VERSION 1
#define DEFAULT_MAP ((size_t)64 << 20)
#define DEFAULT_MAX ((size_t)64 << 30)
/* Reset read transactions kept for reuse: mdb_txn_renew skips an allocation and the search
 * for a reader slot, which is most of the cost of a short read. */
#define READER_CACHE 8
/* How often a begin adopts a map another process grew before giving up (each time it did
 * grow, so more than one round means a writer elsewhere keeps growing it). */
#define RESIZE_TRIES 8
/* st_open's answer when an existing store must be created in a write transaction. */
#define NEED_WRITE 1

static const char *const table_names[ST_TABLE_COUNT] = {
    "meta", "defs", "instances", "tasks", "jobs", "subs", "timers", "history", "index",
};

struct st_cursor {
    MDB_cursor *cur;   /* NULL once its transaction has ended */
    st_txn *t;
    st_table tb;
    st_cursor *prev, *next; /* the transaction's open cursors */
};

struct st_txn {
    st_store *s;
    MDB_txn *txn;
    st_cursor *cursors; /* closed when the transaction ends, so st_cursor_close stays safe */
    int write;
    int mapfull;        /* a write hit MDB_MAP_FULL; LMDB answers MDB_BAD_TXN from then on */
    pthread_t owner;    /* readers: the thread that began it */
    st_txn *prev, *next; /* readers: the list of open ones, or the cache of reset ones */
};

struct st_store {
    MDB_env *env;
    MDB_dbi dbi[ST_TABLE_COUNT];
    size_t map_max;
    char *path;
    pthread_mutex_t mu;   /* guards everything below */
    pthread_cond_t idle;  /* broadcast when active drops to 0 while a remap waits */
    unsigned active;      /* transactions of this process open or beginning */
    unsigned waiting;     /* threads waiting to remap */
    int has_writer;
    pthread_t writer;     /* the thread holding the write transaction */
    st_txn *readers;      /* open read transactions */
    st_txn *cache;        /* reset read transactions */
    unsigned ncache;
    st_txn wtxn;          /* the write transaction: one at a time, so never allocated */
    char errmsg[320];
};

/* Writes a message into a caller's buffer (st_open's err); either may be absent. */
static void say(char *buf, size_t cap, const char *fmt, ...)
{
    if (!buf || !cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
}

/* Records the reason of the last failure for st_errmsg. Never called with mu held. */
static void set_err(st_store *s, const char *fmt, ...)
{
    pthread_mutex_lock(&s->mu);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->errmsg, sizeof s->errmsg, fmt, ap);
    va_end(ap);
    pthread_mutex_unlock(&s->mu);
}

/* The reason of the last failure on this store ("" if none): not declared in store.h (yet). */
const char *st_errmsg(const st_store *s)
{
    return s ? s->errmsg : "no store";
}

static int status_of(int rc)
{
    switch (rc) {
    case MDB_SUCCESS:
        return BPMN_OK;
    case MDB_NOTFOUND:
        return BPMN_ENOTFOUND;
    case MDB_MAP_FULL:
        return ST_EMAPFULL;
    case ENOMEM:
        return BPMN_ENOMEM;
    /* The caller's mistakes: a key not above the last one for st_append, an empty or
     * over-long key (MDB_BAD_VALSIZE), a write in a read transaction (EACCES). */
    case MDB_KEYEXIST:
    case MDB_BAD_VALSIZE:
    case EINVAL:
    case EACCES:
        return BPMN_EINVAL;
    default:
        return BPMN_EIO;
    }
}

/* The slow path of every operation. NOTFOUND is an answer, not a failure. */
static int txn_fail(st_txn *t, int rc, const char *op, st_table tb)
{
    if (rc == MDB_NOTFOUND)
        return BPMN_ENOTFOUND;
    if (rc == MDB_MAP_FULL || (rc == MDB_BAD_TXN && t->mapfull)) {
        t->mapfull = 1;
        return ST_EMAPFULL;
    }
    if (rc == MDB_KEYEXIST)
        set_err(t->s, "%s: %s %s: the key is not greater than the last one", t->s->path, op,
                table_names[tb]);
    else
        set_err(t->s, "%s: %s %s: %s", t->s->path, op, table_names[tb], mdb_strerror(rc));
    return status_of(rc);
}

/* Ends a transaction's share of the process: the last one out lets a waiting remap go. */
static void leave(st_store *s)
{
    pthread_mutex_lock(&s->mu);
    if (--s->active == 0 && s->waiting)
        pthread_cond_broadcast(&s->idle);
    pthread_mutex_unlock(&s->mu);
}

static size_t map_size_now(st_store *s)
{
    MDB_envinfo info;
    mdb_env_info(s->env, &info);
    return info.me_mapsize;
}

/* Remaps the file at size bytes (0: the size another process recorded). LMDB unmaps the old
 * map, so every other transaction of this process must have ended first; a reader held by the
 * calling thread would never end, so that case is refused. seen is the size the caller found
 * too small: when another thread grew the map meanwhile, nothing is left to do. */
static int remap(st_store *s, size_t size, size_t seen)
{
    pthread_t self = pthread_self();
    pthread_mutex_lock(&s->mu);
    for (st_txn *r = s->readers; r; r = r->next) {
        if (pthread_equal(r->owner, self)) {
            pthread_mutex_unlock(&s->mu);
            set_err(s, "%s: the map must be resized, which cannot happen while this thread "
                       "holds a read transaction", s->path);
            return BPMN_EIO;
        }
    }
    s->waiting++;
    while (s->active)
        pthread_cond_wait(&s->idle, &s->mu);
    s->waiting--;
    int rc = 0;
    if (size == 0 || map_size_now(s) == seen)
        rc = mdb_env_set_mapsize(s->env, size);
    pthread_mutex_unlock(&s->mu);
    if (rc) {
        set_err(s, "%s: resizing the map to %zu bytes: %s", s->path, size, mdb_strerror(rc));
        return rc == ENOMEM ? BPMN_ENOMEM : BPMN_EIO;
    }
    return BPMN_OK;
}

/* Closes the cursors LMDB would free (write) or leave dangling (read) at the end. */
static void close_cursors(st_txn *t)
{
    for (st_cursor *c = t->cursors; c; c = c->next) {
        mdb_cursor_close(c->cur);
        c->cur = NULL;
        c->t = NULL;
    }
    t->cursors = NULL;
}

static int begin_fail(st_store *s, int rc)
{
    if (rc == MDB_MAP_RESIZED)
        set_err(s, "%s: another process keeps growing the map", s->path);
    else
        set_err(s, "%s: beginning a transaction: %s", s->path, mdb_strerror(rc));
    return rc == ENOMEM ? BPMN_ENOMEM : BPMN_EIO;
}

static int begin_write(st_store *s, st_txn **out)
{
    pthread_t self = pthread_self();
    for (int tries = 0;; tries++) {
        pthread_mutex_lock(&s->mu);
        if (s->has_writer && pthread_equal(s->writer, self)) {
            pthread_mutex_unlock(&s->mu);
            set_err(s, "%s: this thread already holds the write transaction", s->path);
            return BPMN_EINVAL;
        }
        s->active++;
        pthread_mutex_unlock(&s->mu);
        MDB_txn *txn;
        int rc = mdb_txn_begin(s->env, NULL, 0, &txn);
        if (rc == MDB_SUCCESS) {
            pthread_mutex_lock(&s->mu);
            s->has_writer = 1;
            s->writer = self;
            pthread_mutex_unlock(&s->mu);
            /* Holding LMDB's writer lock makes wtxn ours until the commit or abort. */
            s->wtxn = (st_txn){.s = s, .txn = txn, .write = 1};
            *out = &s->wtxn;
            return BPMN_OK;
        }
        leave(s);
        if (rc != MDB_MAP_RESIZED || tries == RESIZE_TRIES)
            return begin_fail(s, rc);
        if ((rc = remap(s, 0, 0)) != BPMN_OK)
            return rc;
    }
}

static int begin_read(st_store *s, st_txn **out)
{
    for (int tries = 0;; tries++) {
        pthread_mutex_lock(&s->mu);
        st_txn *t = s->cache;
        if (t) {
            s->cache = t->next;
            s->ncache--;
        }
        s->active++;
        pthread_mutex_unlock(&s->mu);
        if (!t && !(t = calloc(1, sizeof *t))) {
            leave(s);
            return BPMN_ENOMEM;
        }
        int rc = t->txn ? mdb_txn_renew(t->txn) : mdb_txn_begin(s->env, NULL, MDB_RDONLY, &t->txn);
        if (rc == MDB_SUCCESS) {
            t->s = s;
            t->cursors = NULL;
            t->write = 0;
            t->mapfull = 0;
            t->owner = pthread_self();
            t->prev = NULL;
            pthread_mutex_lock(&s->mu);
            t->next = s->readers;
            if (s->readers)
                s->readers->prev = t;
            s->readers = t;
            pthread_mutex_unlock(&s->mu);
            *out = t;
            return BPMN_OK;
        }
        /* A failed renew leaves the transaction reset, a failed begin leaves none. */
        if (t->txn)
            mdb_txn_abort(t->txn);
        free(t);
        leave(s);
        if (rc != MDB_MAP_RESIZED || tries == RESIZE_TRIES)
            return begin_fail(s, rc);
        if ((rc = remap(s, 0, 0)) != BPMN_OK)
            return rc;
    }
}

int st_begin(st_store *s, int write, st_txn **out)
{
    if (!out)
        return BPMN_EINVAL;
    *out = NULL;
    if (!s)
        return BPMN_EINVAL;
    return write ? begin_write(s, out) : begin_read(s, out);
}

static int end_write(st_txn *t, int commit)
{
    st_store *s = t->s;
    MDB_txn *txn = t->txn;
    int mapfull = t->mapfull;
    close_cursors(t);
    /* Last touch of wtxn: once LMDB lets the writer lock go, the next writer refills it. */
    t->txn = NULL;
    pthread_mutex_lock(&s->mu);
    s->has_writer = 0;
    pthread_mutex_unlock(&s->mu);
    int rc = MDB_SUCCESS;
    if (commit)
        rc = mdb_txn_commit(txn);
    else
        mdb_txn_abort(txn);
    leave(s);
    if (rc == MDB_SUCCESS)
        return BPMN_OK;
    if (rc == MDB_MAP_FULL || (rc == MDB_BAD_TXN && mapfull))
        return ST_EMAPFULL;
    set_err(s, "%s: commit: %s", s->path, mdb_strerror(rc));
    return status_of(rc);
}

static void end_read(st_txn *t)
{
    st_store *s = t->s;
    close_cursors(t);
    mdb_txn_reset(t->txn);
    int keep;
    pthread_mutex_lock(&s->mu);
    if (t->prev)
        t->prev->next = t->next;
    else
        s->readers = t->next;
    if (t->next)
        t->next->prev = t->prev;
    keep = s->ncache < READER_CACHE;
    if (keep) {
        t->next = s->cache;
        s->cache = t;
        s->ncache++;
    }
    if (--s->active == 0 && s->waiting)
        pthread_cond_broadcast(&s->idle);
    pthread_mutex_unlock(&s->mu);
    if (!keep) {
        mdb_txn_abort(t->txn);
        free(t);
    }
}

int st_commit(st_txn *t)
{
    if (!t)
        return BPMN_EINVAL;
    if (t->write)
        return end_write(t, 1);
    end_read(t);
    return BPMN_OK;
}

void st_abort(st_txn *t)
{
    if (!t)
        return;
    if (t->write)
        end_write(t, 0);
    else
        end_read(t);
}

int st_get(st_txn *t, st_table tb, const void *key, size_t klen, const void **val, size_t *vlen)
{
    if (!t || (unsigned)tb >= ST_TABLE_COUNT)
        return BPMN_EINVAL;
    MDB_val k = {klen, (void *)key}, v;
    int rc = mdb_get(t->txn, t->s->dbi[tb], &k, &v);
    if (rc)
        return txn_fail(t, rc, "get from", tb);
    if (val)
        *val = v.mv_data;
    if (vlen)
        *vlen = v.mv_size;
    return BPMN_OK;
}

static int put(st_txn *t, st_table tb, const void *key, size_t klen, const void *val,
               size_t vlen, unsigned flags)
{
    if (!t || (unsigned)tb >= ST_TABLE_COUNT)
        return BPMN_EINVAL;
    MDB_val k = {klen, (void *)key}, v = {vlen, (void *)val};
    int rc = mdb_put(t->txn, t->s->dbi[tb], &k, &v, flags);
    if (rc)
        return txn_fail(t, rc, flags & MDB_APPEND ? "append to" : "put into", tb);
    return BPMN_OK;
}

int st_put(st_txn *t, st_table tb, const void *key, size_t klen, const void *val, size_t vlen)
{
    return put(t, tb, key, klen, val, vlen, 0);
}

int st_append(st_txn *t, st_table tb, const void *key, size_t klen, const void *val, size_t vlen)
{
    return put(t, tb, key, klen, val, vlen, MDB_APPEND);
}

int st_del(st_txn *t, st_table tb, const void *key, size_t klen)
{
    if (!t || (unsigned)tb >= ST_TABLE_COUNT)
        return BPMN_EINVAL;
    MDB_val k = {klen, (void *)key};
    int rc = mdb_del(t->txn, t->s->dbi[tb], &k, NULL);
    if (rc)
        return txn_fail(t, rc, "delete from", tb);
    return BPMN_OK;
}

int st_cursor_open(st_txn *t, st_table tb, st_cursor **out)
{
    if (!out)
        return BPMN_EINVAL;
    *out = NULL;
    if (!t || (unsigned)tb >= ST_TABLE_COUNT)
        return BPMN_EINVAL;
    st_cursor *c = malloc(sizeof *c);
    if (!c)
        return BPMN_ENOMEM;
    int rc = mdb_cursor_open(t->txn, t->s->dbi[tb], &c->cur);
    if (rc) {
        free(c);
        return txn_fail(t, rc, "cursor on", tb);
    }
    c->t = t;
    c->tb = tb;
    c->prev = NULL;
    c->next = t->cursors;
    if (t->cursors)
        t->cursors->prev = c;
    t->cursors = c;
    *out = c;
    return BPMN_OK;
}

static int cursor_get(st_cursor *c, MDB_val *k, MDB_cursor_op op, const void **ko, size_t *kl,
                      const void **vo, size_t *vl)
{
    if (!c || !c->cur)
        return BPMN_EINVAL;
    MDB_val v;
    int rc = mdb_cursor_get(c->cur, k, &v, op);
    if (rc)
        return txn_fail(c->t, rc, "scan of", c->tb);
    if (ko)
        *ko = k->mv_data;
    if (kl)
        *kl = k->mv_size;
    if (vo)
        *vo = v.mv_data;
    if (vl)
        *vl = v.mv_size;
    return BPMN_OK;
}

int st_cursor_seek(st_cursor *c, const void *key, size_t klen, const void **k, size_t *kl,
                   const void **v, size_t *vl)
{
    MDB_val kv = {klen, (void *)key};
    return cursor_get(c, &kv, klen ? MDB_SET_RANGE : MDB_FIRST, k, kl, v, vl);
}

int st_cursor_next(st_cursor *c, const void **k, size_t *kl, const void **v, size_t *vl)
{
    MDB_val kv = {0, NULL};
    return cursor_get(c, &kv, MDB_NEXT, k, kl, v, vl);
}

int st_cursor_del(st_cursor *c)
{
    if (!c || !c->cur)
        return BPMN_EINVAL;
    int rc = mdb_cursor_del(c->cur, 0);
    if (rc)
        return txn_fail(c->t, rc, "delete from", c->tb);
    return BPMN_OK;
}

void st_cursor_close(st_cursor *c)
{
    if (!c)
        return;
    if (c->cur) {
        if (c->prev)
            c->prev->next = c->next;
        else
            c->t->cursors = c->next;
        if (c->next)
            c->next->prev = c->prev;
        mdb_cursor_close(c->cur);
    }
    free(c);
}

/* Grows the map after a transaction ran out of room at seen bytes; ST_EMAPFULL at map_max. */
static int grow(st_store *s, size_t seen)
{
    if (seen >= s->map_max) {
        set_err(s, "%s: the store is full: its map reached the limit of %zu bytes (map_max)",
                s->path, s->map_max);
        return ST_EMAPFULL;
    }
    size_t target = seen > s->map_max / 2 ? s->map_max : seen * 2;
    return remap(s, target, seen);
}

/* The retry promised by the interface is the run right after the growth. When other writers
 * committed between the two runs (seen as a newer transaction id), they may have taken the new
 * room, so the map grows once more; it grows every round, so this ends at map_max. */
int st_run(st_store *s, int (*fn)(st_txn *t, void *ud), void *ud)
{
    if (!s || !fn)
        return BPMN_EINVAL;
    size_t failed_id = 0;
    for (;;) {
        st_txn *t;
        int rc = st_begin(s, 1, &t);
        if (rc != BPMN_OK)
            return rc;
        /* Stable while we hold a transaction: a remap waits for every one to end. */
        size_t seen = map_size_now(s);
        size_t id = mdb_txn_id(t->txn);
        rc = fn(t, ud);
        if (rc == BPMN_OK) {
            rc = st_commit(t);
        } else {
            if (t->mapfull) /* whatever fn made of it, the transaction ran out of room */
                rc = ST_EMAPFULL;
            st_abort(t);
        }
        if (rc != ST_EMAPFULL)
            return rc;
        if (id == failed_id) {
            set_err(s, "%s: the transaction does not fit in the map even after growing it to "
                       "%zu bytes", s->path, seen);
            return ST_EMAPFULL;
        }
        failed_id = id;
        if ((rc = grow(s, seen)) != BPMN_OK)
            return rc;
    }
}

size_t st_map_size(const st_store *s)
{
    if (!s)
        return 0;
    st_store *m = (st_store *)s; /* the mutex is not part of the store's value */
    pthread_mutex_lock(&m->mu);
    size_t n = map_size_now(m);
    pthread_mutex_unlock(&m->mu);
    return n;
}

/* ---- opening ---------------------------------------------------------------------------- */

typedef struct setup {
    char msg[256]; /* why the file was refused */
} setup;

static int refuse(setup *su, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(su->msg, sizeof su->msg, fmt, ap);
    va_end(ap);
    return BPMN_EIO;
}

static int create_tables(st_txn *t)
{
    for (int i = 0; i < ST_TABLE_COUNT; i++) {
        int rc = mdb_dbi_open(t->txn, table_names[i], MDB_CREATE, &t->s->dbi[i]);
        if (rc)
            return txn_fail(t, rc, "creating table", (st_table)i);
    }
    uint8_t v[8];
    st_be64(v, SCHEMA_VERSION);
    return st_put(t, ST_META, "schema", 6, v, sizeof v);
}

/* Opens the tables of an existing store, or creates them in a new one (an LMDB file whose main
 * database is empty: just created, or created by a process that failed before this point).
 * Runs first in a read transaction, so that opening a store does not wait for a writer. */
static int open_tables(st_txn *t, void *ud)
{
    setup *su = ud;
    st_store *s = t->s;
    int rc = mdb_dbi_open(t->txn, table_names[ST_META], 0, &s->dbi[ST_META]);
    if (rc == MDB_NOTFOUND) {
        MDB_dbi main;
        MDB_stat st;
        if ((rc = mdb_dbi_open(t->txn, NULL, 0, &main)) || (rc = mdb_stat(t->txn, main, &st)))
            return txn_fail(t, rc, "opening table", ST_META);
        if (st.ms_entries)
            return refuse(su, "%s: not a bpmnrt store (an LMDB file without bpmnrt's tables)",
                          s->path);
        return t->write ? create_tables(t) : NEED_WRITE;
    }
    if (rc == MDB_INCOMPATIBLE)
        return refuse(su, "%s: not a bpmnrt store (an LMDB file whose 'meta' is no table)",
                      s->path);
    if (rc)
        return txn_fail(t, rc, "opening table", ST_META);
    const void *v;
    size_t vl;
    rc = st_get(t, ST_META, "schema", 6, &v, &vl);
    if (rc == BPMN_ENOTFOUND)
        return refuse(su, "%s: not a bpmnrt store (no schema version)", s->path);
    if (rc)
        return rc;
    if (vl != 8)
        return refuse(su, "%s: not a bpmnrt store (a schema version of %zu bytes)", s->path, vl);
    uint64_t version = st_rd64(v);
    if (version != SCHEMA_VERSION)
        return refuse(su, "%s: schema version %llu, this bpmnrt reads %d", s->path,
                      (unsigned long long)version, SCHEMA_VERSION);
    for (int i = ST_META + 1; i < ST_TABLE_COUNT; i++) {
        rc = mdb_dbi_open(t->txn, table_names[i], 0, &s->dbi[i]);
        if (rc == MDB_NOTFOUND || rc == MDB_INCOMPATIBLE)
            return refuse(su, "%s: not a bpmnrt store (no '%s' table)", s->path,
                          table_names[i]);
        if (rc)
            return txn_fail(t, rc, "opening table", (st_table)i);
    }
    return BPMN_OK;
}

#ifdef __linux__
/* True when this process already holds a POSIX lock on the lock file, i.e. has the store open
 * (see the top of the file). Compares the inode and not the device: /proc/locks names the
 * device the lock lives on, which on overlay file systems is not the one stat reports. */
static int open_in_this_process(const char *lockpath)
{
    struct stat st;
    if (stat(lockpath, &st) != 0)
        return 0;
    FILE *f = fopen("/proc/locks", "r");
    if (!f)
        return 0;
    char line[256], kind[16];
    long pid;
    unsigned long long ino;
    int found = 0;
    /* "1: POSIX  ADVISORY  READ 1234 08:01:5678 0 0"; a blocked request has "->" after "1:". */
    while (!found && fgets(line, sizeof line, f)) {
        if (strstr(line, "->"))
            continue;
        if (sscanf(line, "%*d: %15s %*s %*s %ld %*x:%*x:%llu", kind, &pid, &ino) == 3 &&
            strcmp(kind, "POSIX") == 0 && pid == (long)getpid() &&
            ino == (unsigned long long)st.st_ino)
            found = 1;
    }
    fclose(f);
    return found;
}
#else
static int open_in_this_process(const char *lockpath)
{
    (void)lockpath;
    return 0;
}
#endif

/* Opens the environment and checks that the file is whole. A truncated file would open
 * (LMDB reads only the two meta pages) and then fault on the first page past its end. */
static int open_env(st_store *s, const st_options *o, size_t map, char *err, size_t errcap)
{
    int rc = mdb_env_create(&s->env);
    if (rc) {
        say(err, errcap, "%s: %s", o->path, mdb_strerror(rc));
        return rc == ENOMEM ? BPMN_ENOMEM : BPMN_EIO;
    }
    unsigned flags = MDB_NOSUBDIR | MDB_NOTLS;
    if (o->nometasync)
        flags |= MDB_NOMETASYNC;
    if (o->nosync)
        flags |= MDB_NOSYNC;
    if ((rc = mdb_env_set_mapsize(s->env, map)) ||
        (rc = mdb_env_set_maxdbs(s->env, ST_TABLE_COUNT)) ||
        (rc = mdb_env_open(s->env, o->path, flags, 0644))) {
        if (rc == MDB_INVALID)
            say(err, errcap, "%s: not a bpmnrt store (not an LMDB file, or its header is "
                             "damaged)", o->path);
        else if (rc == MDB_VERSION_MISMATCH)
            say(err, errcap, "%s: not a bpmnrt store (written by an incompatible LMDB version)",
                o->path);
        else
            say(err, errcap, "%s: %s", o->path, mdb_strerror(rc));
        return rc == ENOMEM ? BPMN_ENOMEM : BPMN_EIO;
    }
    MDB_envinfo info;
    MDB_stat st;
    struct stat fs;
    int fd;
    if ((rc = mdb_env_info(s->env, &info)) || (rc = mdb_env_stat(s->env, &st)) ||
        (rc = mdb_env_get_fd(s->env, &fd))) {
        say(err, errcap, "%s: %s", o->path, mdb_strerror(rc));
        return BPMN_EIO;
    }
    if (fstat(fd, &fs) != 0) {
        say(err, errcap, "%s: %s", o->path, strerror(errno));
        return BPMN_EIO;
    }
    unsigned long long need = ((unsigned long long)info.me_last_pgno + 1) * st.ms_psize;
    if ((unsigned long long)fs.st_size < need) {
        say(err, errcap, "%s: not a bpmnrt store (truncated: %lld of %llu bytes)", o->path,
            (long long)fs.st_size, need);
        return BPMN_EIO;
    }
    /* The file records the largest map any process used; start there rather than grow again. */
    if ((rc = mdb_env_set_mapsize(s->env, 0)) == MDB_SUCCESS && map_size_now(s) < map)
        rc = mdb_env_set_mapsize(s->env, map);
    if (rc) {
        say(err, errcap, "%s: setting the map size: %s", o->path, mdb_strerror(rc));
        return BPMN_EIO;
    }
    int dead;
    mdb_reader_check(s->env, &dead);
    return BPMN_OK;
}

static void destroy(st_store *s)
{
    while (s->cache) {
        st_txn *t = s->cache;
        s->cache = t->next;
        mdb_txn_abort(t->txn);
        free(t);
    }
    if (s->env)
        mdb_env_close(s->env);
    pthread_cond_destroy(&s->idle);
    pthread_mutex_destroy(&s->mu);
    free(s->path);
    free(s);
}

int st_open(const st_options *o, st_store **out, char *err, size_t errcap)
{
    say(err, errcap, "%s", "");
    if (!out)
        return BPMN_EINVAL;
    *out = NULL;
    if (!o || !o->path || !o->path[0]) {
        say(err, errcap, "no store path given");
        return BPMN_EINVAL;
    }
    size_t map = o->map_size ? o->map_size : DEFAULT_MAP;
    size_t max = o->map_max ? o->map_max : DEFAULT_MAX;
    if (map > max) {
        say(err, errcap, "%s: map_size %zu exceeds map_max %zu", o->path, map, max);
        return BPMN_EINVAL;
    }
    size_t plen = strlen(o->path);
    st_store *s = calloc(1, sizeof *s);
    char *lockpath = malloc(plen + sizeof "-lock");
    if (!s || !lockpath || !(s->path = malloc(plen + 1))) {
        free(lockpath);
        free(s);
        return BPMN_ENOMEM;
    }
    memcpy(s->path, o->path, plen + 1);
    memcpy(lockpath, o->path, plen);
    memcpy(lockpath + plen, "-lock", sizeof "-lock");
    int busy = open_in_this_process(lockpath);
    free(lockpath);
    if (busy) {
        say(err, errcap, "%s: already open in this process (LMDB allows one environment per "
                         "file per process; share the open store)", o->path);
        free(s->path);
        free(s);
        return BPMN_EIO;
    }
    s->map_max = max;
    if (pthread_mutex_init(&s->mu, NULL) != 0 || pthread_cond_init(&s->idle, NULL) != 0) {
        free(s->path);
        free(s);
        return BPMN_ENOMEM;
    }
    int rc = open_env(s, o, map, err, errcap);
    if (rc == BPMN_OK) {
        setup su = {""};
        st_txn rt = {.s = s};
        rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &rt.txn);
        if (rc) {
            say(err, errcap, "%s: %s", o->path, mdb_strerror(rc));
            rc = BPMN_EIO;
        } else if ((rc = open_tables(&rt, &su)) == BPMN_OK) {
            /* Committing, not aborting, keeps the table handles for the environment. */
            if ((rc = mdb_txn_commit(rt.txn)) != MDB_SUCCESS) {
                say(err, errcap, "%s: %s", o->path, mdb_strerror(rc));
                rc = BPMN_EIO;
            }
        } else {
            mdb_txn_abort(rt.txn);
            if (rc == NEED_WRITE)
                rc = st_run(s, open_tables, &su);
            if (rc != BPMN_OK)
                say(err, errcap, "%s", su.msg[0] ? su.msg : s->errmsg);
        }
    }
    if (rc != BPMN_OK) {
        destroy(s);
        return rc;
    }
    s->errmsg[0] = '\0';
    *out = s;
    return BPMN_OK;
}

void st_close(st_store *s)
{
    if (s)
        destroy(s);
}
