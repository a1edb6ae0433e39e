/*
 * lmdb_int.h - what the two halves of the LMDB store share: the structures behind the opaque
 * handles of store.h and the few helpers both call. lmdb.c runs transactions, tables and
 * cursors; lmdb_open.c opens a store and keeps the registry of environments. Private to
 * stores/.
 */
#ifndef BPMN_LMDB_INT_H
#define BPMN_LMDB_INT_H

#include "stores/store.h"

#include <lmdb.h>
#include <pthread.h>
#include <sys/types.h>

/* The names of the tables, in st_table order: LMDB's names of the databases. */
extern const char *const st_table_names[ST_TABLE_COUNT];

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
    int faulted;        /* an injected fault failed a write: the transaction is broken, as LMDB
                           leaves one after a failed write (st_set_fault) */
    int failed;         /* a call failed: a later MDB_BAD_TXN is its consequence, not news */
    pthread_t owner;    /* readers: the thread that began it */
    st_txn *prev, *next; /* readers: the list of open ones, or the cache of reset ones */
};

/* The environment of one store file in this process, shared by every handle on the file. */
typedef struct st_env st_env;
struct st_env {
    MDB_env *env;
    MDB_dbi dbi[ST_TABLE_COUNT];
    dev_t dev;            /* the file, as stat names it: the registry's key */
    ino_t ino;
    /* Under registry_mu: */
    unsigned refs;        /* handles on it, and openers waiting for it to open */
    int state;            /* ENV_OPENING, ENV_READY or ENV_FAILED */
    st_env *next;         /* the registry */
    int inherited;        /* set in a child of fork() only, before the child runs on */
    int readonly;         /* opened MDB_RDONLY (ST_RO_*): this process may read the file but
                             not write it; every write transaction is refused, saying so */
    pthread_mutex_t mu;   /* guards everything below, and each handle's cache and errmsg */
    pthread_cond_t idle;  /* broadcast when active drops to 0 while a remap waits */
    size_t map_max;
    unsigned active;      /* transactions of this process open or beginning, all handles */
    unsigned waiting;     /* threads waiting to remap */
    int has_writer;
    pthread_t writer;     /* the thread holding the write transaction */
    st_txn *readers;      /* open read transactions of all handles */
};

enum { ENV_OPENING, ENV_READY, ENV_FAILED };

/* Why an environment is read-only: the file is not writable, or its lock file cannot be made
 * (a directory this process may not write), so it is read without LMDB's locks. */
enum { ST_RO_NO = 0, ST_RO_FILE, ST_RO_NOLOCK };

struct st_store {
    st_env *e;
    char *path;
    st_txn *cache;        /* reset read transactions of this handle */
    unsigned ncache;
    st_txn wtxn;          /* the write transaction: one at a time, so never allocated */
    char errmsg[320];
    int (*fault)(void *ud, int op); /* st_set_fault: asked before each write and commit */
    void *fault_ud;
};

/* The slow path of every operation. NOTFOUND is an answer, not a failure. */
int st_txn_fail(st_txn *t, int rc, const char *op, st_table tb);
/* Words a failure of LMDB or of the system (rc) in bpmnrt's terms into buf, naming the store's
 * path once: a full disk, a read-only store, a damaged file, too many readers; anything else as
 * "PATH: DOING: reason". doing says what failed ("commit", "put into history"). */
void st_describe(char *buf, size_t cap, const char *path, const char *doing, int rc);
/* The size the environment is mapped at now. */
size_t st_map_size_now(st_env *e);

#endif
