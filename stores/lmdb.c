/*
 * lmdb.c - the store interface (stores/store.h) on LMDB. One environment per store file and
 * process, one named database per table, write transactions serialised by LMDB across threads
 * and processes, readers on snapshots that never block the writer.
 *
 * Threads. The environment is opened with MDB_NOTLS: a read transaction is not tied to the
 * thread that began it, so it may be handed to another thread (never used by two at once) and
 * a thread may hold several next to its write transaction. A write transaction must end in the
 * thread that began it (LMDB's writer lock is a mutex); a second st_begin(write) in that thread,
 * through any handle on the file, is refused instead of deadlocking.
 *
 * Handles. LMDB allows one environment per file per process: a second mdb_env_open of the same
 * file takes the lock file as its own (POSIX locks belong to the process), resets the reader
 * table under the first environment's readers, and closing either drops the other's locks. So
 * every st_store opened on one file in this process shares one st_env, found in a registry by
 * the file's device and inode: the environment, its table handles, the map and the count of
 * open transactions. A handle keeps only its write transaction, its reset read transactions
 * and its last error. The environment closes with its last handle. It keeps the flags of the
 * handle that opened it (nometasync, nosync); map_max is the largest any handle asked for; a
 * later handle's map_size is ignored, as the map is already open and grows on demand.
 *
 * Processes. Other processes open their own environment and meet this one in the lock file. A
 * child of fork() must not use its parent's environment (its reader slots and locks are the
 * parent's), so a fork handler takes the parent's environments out of the child's registry: a
 * st_open in the child opens a fresh one. A handle the child inherited refuses st_begin with
 * BPMN_EIO; st_abort and st_close on it end bpmnrt's part without calling LMDB (ending a reader
 * there would free the parent's reader slot, and closing the environment would drop the locks
 * of the child's own environment on the file), and what LMDB allocated stays, reachable.
 *
 * Map. LMDB maps the file at a fixed size. st_run grows it when a transaction runs out of
 * room, and any transaction begin adopts a size another process grew it to (MDB_MAP_RESIZED).
 * Both remap the file, which LMDB allows only while no transaction of this process is open in
 * the environment, so the st_env counts the open transactions of all its handles and a remap
 * waits until the others have ended. When the map cannot grow (map_max) st_run returns
 * ST_EMAPFULL, the reason in st_errmsg.
 *
 * Keys are 1 to 511 bytes (LMDB's limit); others are BPMN_EINVAL. In a write transaction any
 * write may move pages, so a value from st_get is stale after the next write in it.
 *
 * Opening a store, its tables and the process-wide registry of environments are in
 * lmdb_open.c; the structures both files share are in lmdb_int.h.
 */
#include "stores/lmdb_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* Reset read transactions kept for reuse: mdb_txn_renew skips an allocation and the search
 * for a reader slot, which is most of the cost of a short read. */
#define READER_CACHE 8
/* How often a begin adopts a map another process grew before giving up (each time it did
 * grow, so more than one round means a writer elsewhere keeps growing it). */
#define RESIZE_TRIES 8

const char *const st_table_names[ST_TABLE_COUNT] = {
    "meta", "defs", "instances", "tasks", "jobs", "subs", "timers", "history", "index",
};

/* Records the reason of the last failure for st_errmsg. Never called with mu held. In a child
 * of fork() the inherited mutex may be held by a thread that is not there, so it is left be. */
static void set_err(st_store *s, const char *fmt, ...)
{
    int lock = !s->e->inherited;
    if (lock)
        pthread_mutex_lock(&s->e->mu);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->errmsg, sizeof s->errmsg, fmt, ap);
    va_end(ap);
    if (lock)
        pthread_mutex_unlock(&s->e->mu);
}

/* The reason of the last failure on this store ("" if none). */
const char *st_errmsg(const st_store *s)
{
    return s ? s->errmsg : "no store";
}

/* Whether the file system holding path has (next to) no room left. LMDB reports a short write
 * of its pages as EIO, not ENOSPC, so a disk that filled up during a commit looks like a failing
 * device; the free space tells them apart. Less than 1 MiB free counts as full: a commit that
 * failed for want of room has used up what there was. */
static int device_full(const char *path)
{
    struct statvfs v;
    if (statvfs(path, &v) != 0)
        return 0;
    unsigned long long blocks = geteuid() == 0 ? v.f_bfree : v.f_bavail;
    return blocks * (unsigned long long)v.f_frsize < (1ull << 20);
}

void st_describe(char *buf, size_t cap, const char *path, const char *doing, int rc)
{
    if (rc == ENOSPC || (rc == EIO && device_full(path))) {
        snprintf(buf, cap, "no space left on the device holding %s", path);
    } else if (rc == EDQUOT) {
        snprintf(buf, cap, "the disk quota is used up on the device holding %s", path);
    } else if (rc == EROFS) {
        snprintf(buf, cap, "the store %s is read-only (a read-only file system)", path);
    } else if (rc == EACCES || rc == EPERM) {
        snprintf(buf, cap, "%s: %s: permission denied", path, doing);
    } else if (rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND) {
        snprintf(buf, cap, "the store %s is damaged: %s found a page that is not what it should "
                           "be", path, doing);
    } else if (rc == MDB_PANIC) {
        snprintf(buf, cap, "the store %s had a fatal error; every program using it must close "
                           "it and open it again", path);
    } else if (rc == MDB_READERS_FULL) {
        snprintf(buf, cap, "too many processes and threads are reading the store %s at once",
                 path);
    } else if (rc == MDB_TXN_FULL) {
        snprintf(buf, cap, "%s: %s: the operation changes too much of the store at once", path,
                 doing);
    } else if (rc == MDB_MAP_FULL) {
        snprintf(buf, cap, "the store %s is full", path);
    } else {
        /* LMDB's own codes read "MDB_NAME: Text": the name means nothing to a user. */
        const char *why = rc > 0 ? strerror(rc) : mdb_strerror(rc);
        if (strncmp(why, "MDB_", 4) == 0 && strstr(why, ": "))
            why = strstr(why, ": ") + 2;
        snprintf(buf, cap, "%s: %s: %s", path, doing, why);
    }
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
int st_txn_fail(st_txn *t, int rc, const char *op, st_table tb)
{
    if (rc == MDB_NOTFOUND)
        return BPMN_ENOTFOUND;
    if (rc == MDB_MAP_FULL || (rc == MDB_BAD_TXN && t->mapfull)) {
        t->mapfull = 1;
        return ST_EMAPFULL;
    }
    if (rc == MDB_KEYEXIST)
        set_err(t->s, "%s: %s %s: the key is not greater than the last one", t->s->path, op,
                st_table_names[tb]);
    else if (rc != MDB_BAD_TXN || !t->failed) { /* the first failure says why */
        char doing[64], why[sizeof t->s->errmsg];
        snprintf(doing, sizeof doing, "%s %s", op, st_table_names[tb]);
        st_describe(why, sizeof why, t->s->path, doing, rc);
        set_err(t->s, "%s", why);
    }
    if (rc != MDB_KEYEXIST)
        t->failed = 1;
    return status_of(rc);
}

void st_set_fault(st_store *s, int (*fn)(void *ud, int op), void *ud)
{
    if (s) {
        s->fault = fn;
        s->fault_ud = ud;
    }
}

/* The LMDB code an operation of a write transaction fails with before reaching LMDB: the
 * injected fault, or MDB_BAD_TXN once a fault broke the transaction (LMDB refuses every call
 * on a transaction whose write failed, and so does this). 0: go on. */
static int faulted(st_txn *t, int op)
{
    if (!t->write)
        return 0;
    if (t->faulted)
        return MDB_BAD_TXN;
    int rc = t->s->fault && op >= 0 ? t->s->fault(t->s->fault_ud, op) : 0;
    if (rc) {
        t->faulted = 1;
        if (rc == MDB_MAP_FULL)
            t->mapfull = 1;
    }
    return rc;
}

/* Ends a transaction's share of the process: the last one out lets a waiting remap go. */
static void leave(st_env *e)
{
    pthread_mutex_lock(&e->mu);
    if (--e->active == 0 && e->waiting)
        pthread_cond_broadcast(&e->idle);
    pthread_mutex_unlock(&e->mu);
}

size_t st_map_size_now(st_env *e)
{
    MDB_envinfo info;
    mdb_env_info(e->env, &info);
    return info.me_mapsize;
}

/* Remaps the file at size bytes (0: the size another process recorded). LMDB unmaps the old
 * map, so every other transaction of this process in the environment, through any handle, must
 * have ended first; a reader held by the calling thread would never end, so that case is
 * refused. seen is the size the caller found too small: when another thread grew the map
 * meanwhile, nothing is left to do. */
static int remap(st_store *s, size_t size, size_t seen)
{
    st_env *e = s->e;
    pthread_t self = pthread_self();
    pthread_mutex_lock(&e->mu);
    for (st_txn *r = e->readers; r; r = r->next) {
        if (pthread_equal(r->owner, self)) {
            pthread_mutex_unlock(&e->mu);
            set_err(s, "%s: the map must be resized, which cannot happen while this thread "
                       "holds a read transaction", s->path);
            return BPMN_EIO;
        }
    }
    e->waiting++;
    while (e->active)
        pthread_cond_wait(&e->idle, &e->mu);
    e->waiting--;
    int rc = 0;
    if (size == 0 || st_map_size_now(e) == seen)
        rc = mdb_env_set_mapsize(e->env, size);
    pthread_mutex_unlock(&e->mu);
    if (rc) {
        set_err(s, "%s: resizing the map to %zu bytes: %s", s->path, size, mdb_strerror(rc));
        return rc == ENOMEM ? BPMN_ENOMEM : BPMN_EIO;
    }
    return BPMN_OK;
}

/* Closes the cursors LMDB would free (write) or leave dangling (read) at the end; in a child
 * of fork() only detaches them (see the top of the file). */
static void close_cursors(st_txn *t)
{
    int inherited = t->s->e->inherited;
    for (st_cursor *c = t->cursors; c; c = c->next) {
        if (!inherited)
            mdb_cursor_close(c->cur);
        c->cur = NULL;
        c->t = NULL;
    }
    t->cursors = NULL;
}

static int begin_fail(st_store *s, int rc)
{
    if (rc == MDB_MAP_RESIZED) {
        set_err(s, "%s: another process keeps growing the map", s->path);
    } else {
        char why[sizeof s->errmsg];
        st_describe(why, sizeof why, s->path, "beginning a transaction", rc);
        set_err(s, "%s", why);
    }
    return rc == ENOMEM ? BPMN_ENOMEM : BPMN_EIO;
}

/* A store opened read-only refuses to write, before LMDB would (with EACCES), saying why. */
static int refuse_write(st_store *s)
{
    if (s->e->readonly == ST_RO_NOLOCK)
        set_err(s, "the store %s is read-only: its lock file cannot be created in its directory",
                s->path);
    else
        set_err(s, "the store %s is read-only", s->path);
    return BPMN_EIO;
}

static int begin_write(st_store *s, st_txn **out)
{
    st_env *e = s->e;
    pthread_t self = pthread_self();
    for (int tries = 0;; tries++) {
        pthread_mutex_lock(&e->mu);
        if (e->has_writer && pthread_equal(e->writer, self)) {
            pthread_mutex_unlock(&e->mu);
            set_err(s, "%s: this thread already holds the write transaction", s->path);
            return BPMN_EINVAL;
        }
        e->active++;
        pthread_mutex_unlock(&e->mu);
        MDB_txn *txn;
        int rc = mdb_txn_begin(e->env, NULL, 0, &txn);
        if (rc == MDB_SUCCESS) {
            pthread_mutex_lock(&e->mu);
            e->has_writer = 1;
            e->writer = self;
            pthread_mutex_unlock(&e->mu);
            /* Holding LMDB's writer lock makes wtxn ours until the commit or abort. */
            s->wtxn = (st_txn){.s = s, .txn = txn, .write = 1};
            *out = &s->wtxn;
            return BPMN_OK;
        }
        leave(e);
        if (rc != MDB_MAP_RESIZED || tries == RESIZE_TRIES)
            return begin_fail(s, rc);
        if ((rc = remap(s, 0, 0)) != BPMN_OK)
            return rc;
    }
}

static int begin_read(st_store *s, st_txn **out)
{
    st_env *e = s->e;
    for (int tries = 0;; tries++) {
        pthread_mutex_lock(&e->mu);
        st_txn *t = s->cache;
        if (t) {
            s->cache = t->next;
            s->ncache--;
        }
        e->active++;
        pthread_mutex_unlock(&e->mu);
        if (!t && !(t = calloc(1, sizeof *t))) {
            leave(e);
            return BPMN_ENOMEM;
        }
        int rc = t->txn ? mdb_txn_renew(t->txn) : mdb_txn_begin(e->env, NULL, MDB_RDONLY, &t->txn);
        if (rc == MDB_SUCCESS) {
            t->s = s;
            t->cursors = NULL;
            t->write = 0;
            t->mapfull = 0;
            t->failed = 0;
            t->owner = pthread_self();
            t->prev = NULL;
            pthread_mutex_lock(&e->mu);
            t->next = e->readers;
            if (e->readers)
                e->readers->prev = t;
            e->readers = t;
            pthread_mutex_unlock(&e->mu);
            *out = t;
            return BPMN_OK;
        }
        /* A failed renew leaves the transaction reset, a failed begin leaves none. */
        if (t->txn)
            mdb_txn_abort(t->txn);
        free(t);
        leave(e);
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
    if (s->e->inherited) {
        set_err(s, "%s: this handle was opened by the parent process; a child of fork() must "
                   "open the store itself", s->path);
        return BPMN_EIO;
    }
    if (write && s->e->readonly)
        return refuse_write(s);
    return write ? begin_write(s, out) : begin_read(s, out);
}

static int end_write(st_txn *t, int commit)
{
    st_store *s = t->s;
    st_env *e = s->e;
    MDB_txn *txn = t->txn;
    int mapfull = t->mapfull;
    int rc = commit ? faulted(t, ST_OP_COMMIT) : 0;
    if (rc) /* as LMDB: a commit that fails has aborted the transaction */
        commit = 0;
    mapfull = mapfull || t->mapfull;
    close_cursors(t);
    /* Last touch of wtxn: once LMDB lets the writer lock go, the next writer refills it. */
    t->txn = NULL;
    pthread_mutex_lock(&e->mu);
    e->has_writer = 0;
    pthread_mutex_unlock(&e->mu);
    if (commit)
        rc = mdb_txn_commit(txn);
    else
        mdb_txn_abort(txn);
    leave(e);
    if (rc == MDB_SUCCESS)
        return BPMN_OK;
    if (rc == MDB_MAP_FULL || (rc == MDB_BAD_TXN && mapfull))
        return ST_EMAPFULL;
    char why[sizeof s->errmsg];
    st_describe(why, sizeof why, s->path, "commit", rc);
    set_err(s, "%s", why);
    return status_of(rc);
}

static void end_read(st_txn *t)
{
    st_store *s = t->s;
    st_env *e = s->e;
    close_cursors(t);
    mdb_txn_reset(t->txn);
    int keep;
    pthread_mutex_lock(&e->mu);
    if (t->prev)
        t->prev->next = t->next;
    else
        e->readers = t->next;
    if (t->next)
        t->next->prev = t->prev;
    keep = s->ncache < READER_CACHE;
    if (keep) {
        t->next = s->cache;
        s->cache = t;
        s->ncache++;
    }
    if (--e->active == 0 && e->waiting)
        pthread_cond_broadcast(&e->idle);
    pthread_mutex_unlock(&e->mu);
    if (!keep) {
        mdb_txn_abort(t->txn);
        free(t);
    }
}

/* A transaction the child of fork() inherited ends without LMDB: a reader stays on the
 * inherited environment's list of readers, with LMDB's part of it (see orphans). */
static int end_inherited(st_txn *t)
{
    set_err(t->s, "%s: this transaction was begun by the parent process", t->s->path);
    close_cursors(t);
    if (t->write)
        t->txn = NULL;
    return BPMN_EIO;
}

int st_commit(st_txn *t)
{
    if (!t)
        return BPMN_EINVAL;
    if (t->s->e->inherited)
        return end_inherited(t);
    if (t->write)
        return end_write(t, 1);
    end_read(t);
    return BPMN_OK;
}

void st_abort(st_txn *t)
{
    if (!t)
        return;
    if (t->s->e->inherited)
        end_inherited(t);
    else if (t->write)
        end_write(t, 0);
    else
        end_read(t);
}

int st_get(st_txn *t, st_table tb, const void *key, size_t klen, const void **val, size_t *vlen)
{
    if (!t || (unsigned)tb >= ST_TABLE_COUNT)
        return BPMN_EINVAL;
    MDB_val k = {klen, (void *)key}, v;
    int rc = faulted(t, -1);
    if (!rc)
        rc = mdb_get(t->txn, t->s->e->dbi[tb], &k, &v);
    if (rc)
        return st_txn_fail(t, rc, "get from", tb);
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
    int rc = faulted(t, flags & MDB_APPEND ? ST_OP_APPEND : ST_OP_PUT);
    if (!rc)
        rc = mdb_put(t->txn, t->s->e->dbi[tb], &k, &v, flags);
    if (rc)
        return st_txn_fail(t, rc, flags & MDB_APPEND ? "append to" : "put into", tb);
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
    int rc = faulted(t, ST_OP_DEL);
    if (!rc)
        rc = mdb_del(t->txn, t->s->e->dbi[tb], &k, NULL);
    if (rc)
        return st_txn_fail(t, rc, "delete from", tb);
    return BPMN_OK;
}

int st_cursor_open(st_txn *t, st_table tb, st_cursor **out)
{
    if (!out)
        return BPMN_EINVAL;
    *out = NULL;
    if (!t || (unsigned)tb >= ST_TABLE_COUNT)
        return BPMN_EINVAL;
    int rc = faulted(t, -1);
    if (rc)
        return st_txn_fail(t, rc, "cursor on", tb);
    st_cursor *c = malloc(sizeof *c);
    if (!c)
        return BPMN_ENOMEM;
    rc = mdb_cursor_open(t->txn, t->s->e->dbi[tb], &c->cur);
    if (rc) {
        free(c);
        return st_txn_fail(t, rc, "cursor on", tb);
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
    int rc = faulted(c->t, -1);
    if (!rc)
        rc = mdb_cursor_get(c->cur, k, &v, op);
    if (rc)
        return st_txn_fail(c->t, rc, "scan of", c->tb);
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
    int rc = faulted(c->t, ST_OP_DEL);
    if (!rc)
        rc = mdb_cursor_del(c->cur, 0);
    if (rc)
        return st_txn_fail(c->t, rc, "delete from", c->tb);
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
    pthread_mutex_lock(&s->e->mu);
    size_t max = s->e->map_max; /* a handle opening meanwhile may raise it */
    pthread_mutex_unlock(&s->e->mu);
    if (seen >= max) {
        set_err(s, "%s: the store is full: its map reached the limit of %zu bytes (map_max)",
                s->path, max);
        return ST_EMAPFULL;
    }
    size_t target = seen > max / 2 ? max : seen * 2;
    return remap(s, target, seen);
}

int st_grow(st_store *s)
{
    if (!s || s->e->inherited)
        return BPMN_EINVAL;
    pthread_mutex_lock(&s->e->mu);
    size_t seen = st_map_size_now(s->e);
    pthread_mutex_unlock(&s->e->mu);
    return grow(s, seen);
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
        size_t seen = st_map_size_now(s->e);
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
    if (!s || s->e->inherited)
        return 0;
    pthread_mutex_lock(&s->e->mu);
    size_t n = st_map_size_now(s->e);
    pthread_mutex_unlock(&s->e->mu);
    return n;
}
