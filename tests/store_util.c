/*
 * store_util.c - the fixtures of the store suites (see store_util.h).
 */
#include <dirent.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stores/store.h"
#include "test_util.h"
#include "store_util.h"

void tmp_make(tmp *t)
{
    snprintf(t->dir, sizeof t->dir, "/tmp/test_store.XXXXXX");
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(t->dir));
    snprintf(t->path, sizeof t->path, "%s/store.db", t->dir);
}

void tmp_remove(tmp *t)
{
    DIR *d = opendir(t->dir);
    if (d) {
        struct dirent *e;
        char p[400];
        while ((e = readdir(d))) {
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
                snprintf(p, sizeof p, "%s/%s", t->dir, e->d_name);
                unlink(p);
            }
        }
        closedir(d);
    }
    rmdir(t->dir);
}

st_store *stu_open_at(const char *path, size_t map, size_t max)
{
    st_options o = {path, map, max, 0, 0};
    st_store *s = NULL;
    char err[256];
    int rc = st_open(&o, &s, err, sizeof err);
    if (rc != BPMN_OK)
        fprintf(stderr, "st_open: %s\n", err);
    CU_ASSERT_EQUAL_FATAL(rc, BPMN_OK);
    return s;
}

/* Opens path expecting a refusal; returns the message. */
void stu_open_refused(const char *path, int want, const char *text)
{
    st_options o = {path, 0, 0, 0, 0};
    st_store *s = (st_store *)&o; /* must come back NULL */
    char err[256] = "unset";
    int rc = st_open(&o, &s, err, sizeof err);
    CU_ASSERT_EQUAL(rc, want);
    CU_ASSERT_PTR_NULL(s);
    if (!strstr(err, text))
        fprintf(stderr, "message: %s (wanted %s)\n", err, text);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, text));
    st_close(s);
}

int stu_get_str(st_txn *t, st_table tb, const char *key, const char *want)
{
    const void *v;
    size_t vl;
    int rc = st_get(t, tb, key, strlen(key), &v, &vl);
    if (rc != BPMN_OK)
        return rc;
    return vl == strlen(want) && memcmp(v, want, vl) == 0 ? BPMN_OK : BPMN_EINVAL;
}

int stu_put_str(st_txn *t, st_table tb, const char *key, const char *val)
{
    return st_put(t, tb, key, strlen(key), val, strlen(val));
}


void stu_fill_value(uint8_t *v, size_t n, uint64_t id)
{
    for (size_t i = 0; i < n; i++)
        v[i] = (uint8_t)(id * 31 + i);
}

int stu_fill(st_txn *t, void *ud)
{
    filler *f = ud;
    uint8_t k[8], v[4096];
    f->calls++;
    for (uint64_t i = f->first; i < f->first + f->n; i++) {
        st_be64(k, i);
        stu_fill_value(v, f->vlen, i);
        int rc = st_put(t, ST_HISTORY, k, 8, v, f->vlen);
        if (rc != BPMN_OK)
            return rc;
    }
    return BPMN_OK;
}

/* How many of the keys first..first+n-1 hold the value fill wrote. */
uint64_t stu_count_filled(st_store *s, uint64_t first, uint64_t n, size_t vlen)
{
    st_txn *t;
    uint8_t k[8], want[4096];
    uint64_t found = 0;
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 0, &t), BPMN_OK);
    for (uint64_t i = first; i < first + n; i++) {
        const void *v;
        size_t vl;
        st_be64(k, i);
        stu_fill_value(want, vlen, i);
        if (st_get(t, ST_HISTORY, k, 8, &v, &vl) == BPMN_OK && vl == vlen &&
            memcmp(v, want, vl) == 0)
            found++;
    }
    st_abort(t);
    return found;
}

/* Runs fn(path) in a child process, a second process on the same store; 0 when all its checks
 * held. The verdict comes back through a pipe, not the exit status, which valgrind replaces when
 * the child ends holding the parent's memory (it must not free the parent's store). The alarm
 * turns a child blocked by the parent's reader into a failure, not a hang. */
int stu_in_child(int (*fn)(const char *path), const char *path)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        alarm(30);
        char verdict = fn(path) == 0 ? 'k' : 'x';
        _exit(write(fds[1], &verdict, 1) == 1 ? 0 : 1);
    }
    close(fds[1]);
    char verdict = 0;
    if (pid < 0 || read(fds[0], &verdict, 1) != 1)
        verdict = 0;
    close(fds[0]);
    if (pid > 0)
        waitpid(pid, NULL, 0);
    return verdict == 'k' ? 0 : 1;
}

void *stu_hold_a_reader(void *ud)
{
    slow_reader *sr = ud;
    st_txn *r;
    sr->ok = st_begin(sr->s, 0, &r) == BPMN_OK;
    if (write(sr->fds[1], "x", 1) != 1)
        sr->ok = 0;
    if (sr->ok) {
        nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
        sr->ok = stu_get_str(r, ST_SUBS, "before", "growth") == BPMN_OK;
        st_abort(r);
    }
    return NULL;
}

/* Writes 50 batches of its own keys, reading back the previous batch between writes. */
void *stu_write_and_read(void *ud)
{
    worker *w = ud;
    w->ok = 1;
    for (uint64_t i = 0; i < 50 && w->ok; i++) {
        filler f = {w->first + i * 10, 10, 1000, 0};
        int rc = st_run(w->s, stu_fill, &f);
        if (rc != BPMN_OK) {
            fprintf(stderr, "worker: %d %s\n", rc, st_errmsg(w->s));
            w->ok = 0;
        }
        st_txn *r;
        const void *v;
        size_t vl;
        uint8_t k[8];
        st_be64(k, f.first);
        if (st_begin(w->s, 0, &r) != BPMN_OK)
            w->ok = 0;
        else if (st_get(r, ST_HISTORY, k, 8, &v, &vl) != BPMN_OK || vl != 1000)
            w->ok = 0;
        st_abort(r);
    }
    return NULL;
}

