/*
 * store_util.h - what the store suites share: temporary store directories, opening a store or
 * checking that opening is refused, small reads and writes, filling a store with numbered values,
 * and running a check in a child process (store_util.c).
 */
#ifndef BPMNRT_STORE_UTIL_H
#define BPMNRT_STORE_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "stores/store.h"

/* Implemented in stores/lmdb.c, proposed for store.h: the reason of the last failure. */
const char *st_errmsg(const st_store *s);

#define KIB ((size_t)1024)
#define MIB (KIB * 1024)

typedef struct tmp {
    char dir[64];
    char path[96];
} tmp;

/* A thread holding a read transaction open for 100 ms (stu_hold_a_reader): it writes to fds[1]
 * once the reader is open. */
typedef struct slow_reader {
    st_store *s;
    int fds[2];
    int ok;
} slow_reader;

/* A thread writing keys of its own from first on (stu_write_and_read). */
typedef struct worker {
    st_store *s;
    uint64_t first;
    int ok;
} worker;

/* Writes n values of vlen bytes under keys first.. (u64 BE); counts its calls. */
typedef struct filler {
    uint64_t first, n;
    size_t vlen;
    int calls;
} filler;

void tmp_make(tmp *t);
void tmp_remove(tmp *t);
st_store *stu_open_at(const char *path, size_t map, size_t max);
void stu_open_refused(const char *path, int want, const char *text);
int stu_get_str(st_txn *t, st_table tb, const char *key, const char *want);
int stu_put_str(st_txn *t, st_table tb, const char *key, const char *val);
void stu_fill_value(uint8_t *v, size_t n, uint64_t id);
int stu_fill(st_txn *t, void *ud);
uint64_t stu_count_filled(st_store *s, uint64_t first, uint64_t n, size_t vlen);
int stu_in_child(int (*fn)(const char *path), const char *path);
void *stu_hold_a_reader(void *ud);
void *stu_write_and_read(void *ud);

#define CHILD_CHECK(x)                                                                   \
    do {                                                                                 \
        if (!(x)) {                                                                      \
            fprintf(stderr, "child: line %d: %s\n", __LINE__, #x);                       \
            bad = 1;                                                                     \
            goto out;                                                                    \
        }                                                                                \
    } while (0)

#endif
