/*
 * commit.c - group commit. Every operation of the server that changes the store is handed to
 * one writer thread, which runs the operations that arrived while the previous commit was
 * syncing together in one batch (bpmn_batch_begin .. bpmn_batch_commit): one fsync serves them
 * all, and each request is answered only after the commit holding it is durable. An operation
 * that fails aborts the batch (the engine's rule: a refused operation leaves the store
 * unchanged); it gets its own error and the others are run again without it, so one refused
 * operation in a group changes nothing for the rest.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/commit.h"

#define GROUP_MAX 256
/* After this many refusals in one group, the rest run one batch each: a group of mostly failing
 * operations does not replay the others over and over. */
#define GROUP_REPLAYS 4

struct sv_op {
    sv_write_fn fn;
    void *ud;
    int rc;
    char *json;
    char err[1024];
    int done;
    sv_op *next;
};

struct sv_committer {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t work, finished;
    sv_op *head, *tail;
    int stopping, started;
    bpmn_engine_options eo;
    char *path;
    unsigned long groups, ops; /* for /api/health */
};

static void fail_op(sv_op *op, bpmn_engine *e, int rc)
{
    op->rc = rc;
    const char *m = e ? bpmn_engine_errmsg(e) : "";
    snprintf(op->err, sizeof op->err, "%s", m && *m ? m : bpmn_strerror(rc));
    if (op->json) {
        free(op->json);
        op->json = NULL;
    }
}

/* Runs ops[0..n) in one batch, dropping refused ones and running the others again; returns
 * the number of refusals. */
static unsigned run_group(bpmn_engine *e, sv_op **ops, size_t n, unsigned replays_left)
{
    unsigned refused = 0, grown = 0;
    size_t live = n;
    while (live) {
        int rc = bpmn_batch_begin(e);
        if (rc != BPMN_OK) {
            for (size_t i = 0; i < n; i++)
                if (ops[i])
                    fail_op(ops[i], e, rc);
            return refused;
        }
        size_t bad = n;
        for (size_t i = 0; i < n; i++) {
            if (!ops[i])
                continue;
            free(ops[i]->json);
            ops[i]->json = NULL;
            rc = ops[i]->fn(e, ops[i]->ud, &ops[i]->json);
            if (rc == BPMN_EFULL && grown < 3) {
                /* The batch ran out of room in the map, which has grown since: the group is
                 * not at fault, it runs again (a store at map_max fails on the third time). */
                break;
            }
            if (rc != BPMN_OK) {
                fail_op(ops[i], e, rc);
                bad = i;
                break;
            }
        }
        if (rc == BPMN_EFULL && grown < 3) {
            bpmn_batch_abort(e);
            grown++;
            continue;
        }
        if (bad < n) {
            bpmn_batch_abort(e); /* a no-op when the engine aborted it already */
            ops[bad] = NULL;
            live--;
            refused++;
            if (refused >= replays_left) { /* the rest one at a time */
                for (size_t i = 0; i < n; i++) {
                    if (!ops[i])
                        continue;
                    sv_op *one[1] = {ops[i]};
                    run_group(e, one, 1, 1);
                    ops[i] = NULL;
                }
                return refused;
            }
            continue;
        }
        rc = bpmn_batch_commit(e);
        if (rc == BPMN_EFULL && grown < 3) {
            grown++;
            continue;
        }
        for (size_t i = 0; i < n; i++)
            if (ops[i]) {
                if (rc != BPMN_OK)
                    fail_op(ops[i], e, rc);
                else
                    ops[i]->rc = BPMN_OK;
            }
        return refused;
    }
    return refused;
}

static void *writer(void *arg)
{
    sv_committer *c = arg;
    char err[512] = "";
    bpmn_engine *e = NULL;
    bpmn_engine_options eo = c->eo;
    eo.path = c->path;
    if (bpmn_engine_open(&eo, &e, err, sizeof err) != BPMN_OK)
        e = NULL;
    sv_op *group[GROUP_MAX];
    for (;;) {
        pthread_mutex_lock(&c->mu);
        while (!c->head && !c->stopping)
            pthread_cond_wait(&c->work, &c->mu);
        if (!c->head && c->stopping) {
            pthread_mutex_unlock(&c->mu);
            break;
        }
        size_t n = 0;
        while (c->head && n < GROUP_MAX) {
            group[n++] = c->head;
            c->head = c->head->next;
        }
        if (!c->head)
            c->tail = NULL;
        c->groups++;
        c->ops += n;
        pthread_mutex_unlock(&c->mu);
        sv_op *all[GROUP_MAX];
        memcpy(all, group, n * sizeof *group);
        if (!e) {
            for (size_t i = 0; i < n; i++) {
                all[i]->rc = BPMN_EIO;
                snprintf(all[i]->err, sizeof all[i]->err, "the store cannot be opened: %s", err);
            }
        } else {
            run_group(e, group, n, GROUP_REPLAYS);
        }
        pthread_mutex_lock(&c->mu);
        for (size_t i = 0; i < n; i++)
            all[i]->done = 1;
        pthread_cond_broadcast(&c->finished);
        pthread_mutex_unlock(&c->mu);
    }
    bpmn_engine_close(e);
    return NULL;
}

sv_committer *sv_committer_start(const bpmn_engine_options *eo, const char *path)
{
    sv_committer *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->eo = *eo;
    c->path = strdup(path);
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->work, NULL);
    pthread_cond_init(&c->finished, NULL);
    if (!c->path || pthread_create(&c->thread, NULL, writer, c) != 0) {
        sv_committer_stop(c);
        return NULL;
    }
    c->started = 1;
    return c;
}

void sv_committer_stop(sv_committer *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->mu);
    c->stopping = 1;
    pthread_cond_broadcast(&c->work);
    pthread_mutex_unlock(&c->mu);
    if (c->started)
        pthread_join(c->thread, NULL); /* the queue is drained first */
    pthread_cond_destroy(&c->work);
    pthread_cond_destroy(&c->finished);
    pthread_mutex_destroy(&c->mu);
    free(c->path);
    free(c);
}

int sv_committer_run(sv_committer *c, sv_write_fn fn, void *ud, char **json_out, char *err,
                     size_t errcap)
{
    sv_op op;
    memset(&op, 0, sizeof op);
    op.fn = fn;
    op.ud = ud;
    pthread_mutex_lock(&c->mu);
    if (c->stopping) {
        pthread_mutex_unlock(&c->mu);
        snprintf(err, errcap, "the server is stopping");
        return BPMN_EBUSY;
    }
    if (c->tail)
        c->tail->next = &op;
    else
        c->head = &op;
    c->tail = &op;
    pthread_cond_signal(&c->work);
    while (!op.done)
        pthread_cond_wait(&c->finished, &c->mu);
    pthread_mutex_unlock(&c->mu);
    *json_out = op.json;
    snprintf(err, errcap, "%s", op.rc == BPMN_OK ? "" : op.err);
    return op.rc;
}

void sv_committer_stats(sv_committer *c, unsigned long *groups, unsigned long *ops)
{
    pthread_mutex_lock(&c->mu);
    *groups = c->groups;
    *ops = c->ops;
    pthread_mutex_unlock(&c->mu);
}
