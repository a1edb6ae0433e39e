/*
 * lmdb_open.c - opening and closing a store on LMDB: the checks that the file is a whole bpmnrt
 * store of this schema, the creation of its tables, and the registry that gives every handle on
 * one file in this process the one environment LMDB allows (see the top of lmdb.c for why).
 */
#include "stores/lmdb_int.h"

#include <errno.h>
#include <fcntl.h>
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
/* st_open's answer when an existing store must be created in a write transaction. */
#define NEED_WRITE 1

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
        int rc = mdb_dbi_open(t->txn, st_table_names[i], MDB_CREATE, &t->s->e->dbi[i]);
        if (rc)
            return st_txn_fail(t, rc, "creating table", (st_table)i);
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
    int rc = mdb_dbi_open(t->txn, st_table_names[ST_META], 0, &s->e->dbi[ST_META]);
    if (rc == MDB_NOTFOUND) {
        MDB_dbi main;
        MDB_stat st;
        if ((rc = mdb_dbi_open(t->txn, NULL, 0, &main)) || (rc = mdb_stat(t->txn, main, &st)))
            return st_txn_fail(t, rc, "opening table", ST_META);
        if (st.ms_entries)
            return refuse(su, "%s: not a bpmnrt store (an LMDB file without bpmnrt's tables)",
                          s->path);
        return t->write ? create_tables(t) : NEED_WRITE;
    }
    if (rc == MDB_INCOMPATIBLE)
        return refuse(su, "%s: not a bpmnrt store (an LMDB file whose 'meta' is no table)",
                      s->path);
    if (rc)
        return st_txn_fail(t, rc, "opening table", ST_META);
    const void *v = NULL;
    size_t vl = 0;
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
        rc = mdb_dbi_open(t->txn, st_table_names[i], 0, &s->e->dbi[i]);
        if (rc == MDB_NOTFOUND || rc == MDB_INCOMPATIBLE)
            return refuse(su, "%s: not a bpmnrt store (no '%s' table)", s->path,
                          st_table_names[i]);
        if (rc)
            return st_txn_fail(t, rc, "opening table", (st_table)i);
    }
    return BPMN_OK;
}

/* Opens the environment and checks that the file is whole and is the one the registry knows it
 * as. A truncated file would open (LMDB reads only the two meta pages) and then fault on the
 * first page past its end. */
static int open_env(st_env *e, const st_options *o, size_t map, char *err, size_t errcap)
{
    unsigned flags = MDB_NOSUBDIR | MDB_NOTLS;
    if (o->nometasync)
        flags |= MDB_NOMETASYNC;
    if (o->nosync)
        flags |= MDB_NOSYNC;
    /* A file this process may read but not write opens for reading: the read commands work,
     * every write is refused saying why (st_begin). Its lock file may not be creatable either
     * (a read-only directory): then it is read without LMDB's locks, which is safe as long as
     * nothing writes it, and nothing can write a store whose lock file does not exist yet. */
    if (access(o->path, W_OK) != 0 && errno != ENOENT) {
        e->readonly = ST_RO_FILE;
        flags |= MDB_RDONLY;
    }
    int rc;
    for (;;) {
        if ((rc = mdb_env_create(&e->env))) {
            say(err, errcap, "%s: %s", o->path, strerror(rc));
            return rc == ENOMEM ? BPMN_ENOMEM : BPMN_EIO;
        }
        rc = mdb_env_set_mapsize(e->env, map);
        if (!rc)
            rc = mdb_env_set_maxdbs(e->env, ST_TABLE_COUNT);
        /* Read transactions at once over all processes: the HTTP server reads on a thread per
         * connection (up to 256 by default), LMDB's default of 126 is too few. The table lives
         * in the lock file, 64 bytes a slot; a lock file made smaller by an older bpmnrt keeps
         * its size while another process holds it open. */
        if (!rc)
            rc = mdb_env_set_maxreaders(e->env, ST_MAX_READERS);
        if (!rc)
            rc = mdb_env_open(e->env, o->path, flags, 0644);
        if (!(rc == EACCES || rc == EPERM || rc == EROFS) || (flags & MDB_NOLOCK))
            break;
        /* The lock file could not be opened or created: read the store without it. */
        mdb_env_close(e->env);
        e->env = NULL;
        char lock[4096];
        struct stat ls;
        snprintf(lock, sizeof lock, "%s-lock", o->path);
        if (stat(lock, &ls) == 0 && !(flags & MDB_RDONLY)) {
            flags |= MDB_RDONLY; /* a lock file we may not write: try to read with it */
            e->readonly = ST_RO_FILE;
        } else if (stat(lock, &ls) != 0) {
            flags |= MDB_RDONLY | MDB_NOLOCK;
            e->readonly = ST_RO_NOLOCK;
        } else {
            break;
        }
    }
    if (rc) {
        if (rc == MDB_INVALID)
            say(err, errcap, "%s: not a bpmnrt store (not an LMDB file, or its header is "
                             "damaged)", o->path);
        else if (rc == MDB_VERSION_MISMATCH)
            say(err, errcap, "%s: not a bpmnrt store (written by an incompatible LMDB version)",
                o->path);
        else if (rc == EACCES || rc == EPERM)
            say(err, errcap, "the store %s cannot be opened: permission denied", o->path);
        else
            st_describe(err, errcap, o->path, "opening", rc);
        return rc == ENOMEM ? BPMN_ENOMEM : BPMN_EIO;
    }
    MDB_envinfo info;
    MDB_stat st;
    struct stat fs;
    int fd;
    if ((rc = mdb_env_info(e->env, &info)) || (rc = mdb_env_stat(e->env, &st)) ||
        (rc = mdb_env_get_fd(e->env, &fd))) {
        st_describe(err, errcap, o->path, "opening", rc);
        return BPMN_EIO;
    }
    if (fstat(fd, &fs) != 0) {
        say(err, errcap, "%s: %s", o->path, strerror(errno));
        return BPMN_EIO;
    }
    if (fs.st_dev != e->dev || fs.st_ino != e->ino) {
        say(err, errcap, "%s: the file was replaced while it was being opened", o->path);
        return BPMN_EIO;
    }
    unsigned long long need = ((unsigned long long)info.me_last_pgno + 1) * st.ms_psize;
    if ((unsigned long long)fs.st_size < need) {
        say(err, errcap, "%s: not a bpmnrt store (truncated: %lld of %llu bytes)", o->path,
            (long long)fs.st_size, need);
        return BPMN_EIO;
    }
    /* The file records the largest map any process used; start there rather than grow again. */
    if ((rc = mdb_env_set_mapsize(e->env, 0)) == MDB_SUCCESS && st_map_size_now(e) < map)
        rc = mdb_env_set_mapsize(e->env, map);
    if (rc) {
        st_describe(err, errcap, o->path, "setting the map size", rc);
        return BPMN_EIO;
    }
    int dead;
    mdb_reader_check(e->env, &dead);
    return BPMN_OK;
}

/* Opens the environment of s (just created in the registry) and its tables. */
static int env_setup(st_store *s, const st_options *o, size_t map, char *err, size_t errcap)
{
    int rc = open_env(s->e, o, map, err, errcap);
    if (rc != BPMN_OK)
        return rc;
    setup su = {""};
    st_txn rt = {.s = s};
    rc = mdb_txn_begin(s->e->env, NULL, MDB_RDONLY, &rt.txn);
    if (rc) {
        st_describe(err, errcap, o->path, "reading", rc);
        return BPMN_EIO;
    }
    if ((rc = open_tables(&rt, &su)) == BPMN_OK) {
        /* Committing, not aborting, keeps the table handles for the environment. */
        if ((rc = mdb_txn_commit(rt.txn)) != MDB_SUCCESS) {
            st_describe(err, errcap, o->path, "reading", rc);
            return BPMN_EIO;
        }
        return BPMN_OK;
    }
    mdb_txn_abort(rt.txn);
    if (rc == NEED_WRITE)
        rc = st_run(s, open_tables, &su);
    if (rc != BPMN_OK)
        say(err, errcap, "%s", su.msg[0] ? su.msg : s->errmsg);
    return rc;
}

/* ---- the registry ----------------------------------------------------------------------- */

/* The environments open in this process, the one process-global of the library. LMDB's locks
 * are POSIX record locks, which belong to the process and not to a descriptor, so the process
 * may hold one environment per file and every handle on the file must share it. SQLite's unix
 * VFS meets the same problem the same way: a global list of inodes under a mutex, "one inode,
 * one lock owner". Keyed by device and inode rather than path, as two paths may name one file. */
static pthread_mutex_t registry_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t registry_settled = PTHREAD_COND_INITIALIZER; /* an opening env is done */
static st_env *registry;
/* In a child of fork(), its parent's environments: never closed nor freed, as LMDB's part must
 * not be touched, but kept reachable with the transactions left on them. */
static st_env *orphans;
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

/* Around fork() the registry is locked, so the child gets it whole. In the child, the
 * environments are the parent's: they leave the registry, marked inherited (see the top of the
 * file), and the child's st_open opens its own. */
static void fork_prepare(void)
{
    pthread_mutex_lock(&registry_mu);
}

static void fork_parent(void)
{
    pthread_mutex_unlock(&registry_mu);
}

static void fork_child(void)
{
    while (registry) {
        st_env *e = registry;
        registry = e->next;
        e->inherited = 1;
        e->next = orphans;
        orphans = e;
    }
    /* Threads of the parent waiting on it are not in the child. */
    pthread_cond_init(&registry_settled, NULL);
    pthread_mutex_unlock(&registry_mu);
}

static void install_fork_handlers(void)
{
    pthread_atfork(fork_prepare, fork_parent, fork_child);
}

/* The file's device and inode. A missing file is created first, to have an inode to key on;
 * without O_EXCL, so that two threads (or processes) creating it at once both name the one file
 * that results. The descriptor is closed again at once: LMDB locks only the lock file, which
 * this does not touch. */
static int file_id(const char *path, dev_t *dev, ino_t *ino, char *err, size_t errcap)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        int missing = errno == ENOENT;
        int fd = missing ? open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644) : -1;
        if (fd < 0 && missing && (errno == EACCES || errno == EROFS || errno == EPERM))
            say(err, errcap, "the store %s does not exist and cannot be created here (%s)", path,
                errno == EROFS ? "a read-only file system" : "permission denied");
        else if (fd < 0)
            say(err, errcap, "%s: %s", path, strerror(errno));
        if (fd < 0)
            return BPMN_EIO;
        int rc = fstat(fd, &st), saved = errno;
        close(fd);
        if (rc != 0) {
            say(err, errcap, "%s: %s", path, strerror(saved));
            return BPMN_EIO;
        }
    }
    *dev = st.st_dev;
    *ino = st.st_ino;
    return BPMN_OK;
}

/* Frees an environment no handle refers to any more, its LMDB part already closed. */
static void env_free(st_env *e)
{
    pthread_cond_destroy(&e->idle);
    pthread_mutex_destroy(&e->mu);
    free(e);
}

static void env_unlink(st_env *e)
{
    st_env **p = &registry;
    while (*p && *p != e)
        p = &(*p)->next;
    if (*p)
        *p = e->next;
}

/* Points s at the environment of the file at o->path: the one open in this process, or a new
 * one. Openers of a file that is being opened wait until it is ready; if it failed, each tries
 * for itself (and gets its own message). */
static int env_attach(st_store *s, const st_options *o, size_t map, size_t max, char *err,
                      size_t errcap)
{
    for (;;) {
        dev_t dev;
        ino_t ino;
        int rc = file_id(o->path, &dev, &ino, err, errcap);
        if (rc != BPMN_OK)
            return rc;
        pthread_mutex_lock(&registry_mu);
        st_env *e = registry;
        while (e && !(e->dev == dev && e->ino == ino))
            e = e->next;
        if (e) {
            e->refs++;
            while (e->state == ENV_OPENING)
                pthread_cond_wait(&registry_settled, &registry_mu);
            if (e->state == ENV_READY) {
                pthread_mutex_unlock(&registry_mu);
                pthread_mutex_lock(&e->mu);
                if (max > e->map_max)
                    e->map_max = max;
                pthread_mutex_unlock(&e->mu);
                s->e = e;
                return BPMN_OK;
            }
            int last = --e->refs == 0;
            pthread_mutex_unlock(&registry_mu);
            if (last)
                env_free(e);
            continue;
        }
        if (!(e = calloc(1, sizeof *e))) {
            pthread_mutex_unlock(&registry_mu);
            return BPMN_ENOMEM;
        }
        if (pthread_mutex_init(&e->mu, NULL) != 0) {
            pthread_mutex_unlock(&registry_mu);
            free(e);
            return BPMN_ENOMEM;
        }
        if (pthread_cond_init(&e->idle, NULL) != 0) {
            pthread_mutex_unlock(&registry_mu);
            pthread_mutex_destroy(&e->mu);
            free(e);
            return BPMN_ENOMEM;
        }
        e->dev = dev;
        e->ino = ino;
        e->map_max = max;
        e->refs = 1;
        e->state = ENV_OPENING;
        e->next = registry;
        registry = e;
        pthread_mutex_unlock(&registry_mu);

        s->e = e;
        rc = env_setup(s, o, map, err, errcap);
        /* The failed environment closes while still listed as opening, so that no other
         * opener can open the file a second time before it is closed. */
        if (rc != BPMN_OK && e->env) {
            mdb_env_close(e->env);
            e->env = NULL;
        }
        pthread_mutex_lock(&registry_mu);
        int last = 0;
        if (rc == BPMN_OK) {
            e->state = ENV_READY;
        } else {
            e->state = ENV_FAILED;
            env_unlink(e);
            last = --e->refs == 0;
            s->e = NULL;
        }
        pthread_cond_broadcast(&registry_settled);
        pthread_mutex_unlock(&registry_mu);
        if (last)
            env_free(e);
        return rc;
    }
}

/* Ends the handle's share of its environment; the last handle closes it. In a child of fork(),
 * an inherited handle only leaves its reset readers on the environment's list (see orphans),
 * without its mutex, which a thread of the parent may have held at the fork. */
static void env_detach(st_store *s)
{
    st_env *e = s->e;
    if (!e)
        return;
    if (e->inherited) {
        while (s->cache) {
            st_txn *t = s->cache;
            s->cache = t->next;
            t->prev = NULL;
            t->next = e->readers;
            e->readers = t;
        }
        pthread_mutex_lock(&registry_mu);
        e->refs--;
        pthread_mutex_unlock(&registry_mu);
        return;
    }
    pthread_mutex_lock(&e->mu);
    st_txn *cache = s->cache;
    s->cache = NULL;
    s->ncache = 0;
    pthread_mutex_unlock(&e->mu);
    while (cache) {
        st_txn *t = cache;
        cache = t->next;
        mdb_txn_abort(t->txn);
        free(t);
    }
    pthread_mutex_lock(&registry_mu);
    int last = --e->refs == 0;
    if (last) {
        env_unlink(e);
        /* Closed under the registry's lock: an opener of the same file must not open a second
         * environment on it before this one is gone. */
        mdb_env_close(e->env);
    }
    pthread_mutex_unlock(&registry_mu);
    if (last)
        env_free(e);
    s->e = NULL;
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
    if (!s || !(s->path = malloc(plen + 1))) {
        free(s);
        return BPMN_ENOMEM;
    }
    memcpy(s->path, o->path, plen + 1);
    pthread_once(&fork_once, install_fork_handlers);
    int rc = env_attach(s, o, map, max, err, errcap);
    if (rc != BPMN_OK) {
        free(s->path);
        free(s);
        return rc;
    }
    s->errmsg[0] = '\0';
    *out = s;
    return BPMN_OK;
}

void st_close(st_store *s)
{
    if (!s)
        return;
    env_detach(s);
    free(s->path);
    free(s);
}
