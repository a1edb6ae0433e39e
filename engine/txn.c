/*
 * txn.c - the transaction discipline: one write transaction per operation (or the open batch),
 * history written with the state it describes, a map that grows when full, and read snapshots.
 */
#include <string.h>

#include "engine/engine.h"

typedef struct write_call {
    bpmn_engine *e;
    int (*fn)(bpmn_engine *e, void *ud);
    void *ud;
} write_call;

static int run_in_txn(st_txn *t, void *ud)
{
    write_call *w = ud;
    bpmn_engine *e = w->e;
    e->txn = t;
    e->hist.n = 0;
    e->hist.oom = 0;
    e->hist_rc = BPMN_OK;
    e->hist_count = 0;
    e->hist_instance = 0;
    e->run_calls = 0;
    e->runaway = 0;
    e->run_current = 0;
    int rc = w->fn(e, w->ud);
    if (e->runaway)
        rc = EN_RUNAWAY; /* whatever the operation made of en_run's failure */
    if (rc == BPMN_OK)
        rc = en_hist_flush(e);
    e->txn = NULL;
    return rc;
}

/* A batch cannot grow the map: LMDB remaps only while no transaction is open, and the batch is
 * one. So a batch that ran out of room has been aborted; the map grows now, so that running the
 * batch again fits (else it would fail the same way every time until some other write grew it). */
static int batch_full(bpmn_engine *e)
{
    if (st_grow(e->st) != BPMN_OK)
        return en_fail(e, BPMN_EFULL, "the batch does not fit in the store's map, which cannot "
                                      "grow (map_max); it was aborted: commit smaller batches");
    return en_fail(e, BPMN_EFULL, "the batch ran out of room in the store's map and was aborted; "
                                  "the map has grown: run the batch again");
}

int en_write(bpmn_engine *e, int (*fn)(bpmn_engine *e, void *ud), void *ud)
{
    e->err[0] = '\0';
    e->hist.a = e->a;
    write_call w = {e, fn, ud};
    if (e->batch) {
        int rc = run_in_txn(e->batch, &w);
        if (rc != BPMN_OK) {
            st_abort(e->batch);
            e->batch = NULL;
            if (rc == ST_EMAPFULL)
                rc = batch_full(e);
            else if (!e->err[0])
                en_fail(e, rc, "%s (the batch was aborted)",
                        rc == BPMN_EIO && st_errmsg(e->st)[0] ? st_errmsg(e->st)
                                                              : bpmn_strerror(rc));
        }
        return rc;
    }
    int rc = st_run(e->st, run_in_txn, &w);
    if (rc == EN_RUNAWAY) {
        /* A run passed limits.run_steps: everything it did (millions of steps and history
         * events, perhaps) is rolled back with the transaction, and the operation runs again
         * with that run stopping before its first step, in an incident. The store keeps what
         * came before the runaway and the incident, not the runaway. */
        e->runaway_call = e->runaway;
        e->err[0] = '\0';
        e->hist.n = 0; /* the rolled-back run's events, up to a million or more */
        if (e->hist.cap > (1u << 20)) {
            bm_free(e->a, e->hist.p);
            e->hist.p = NULL;
            e->hist.cap = 0;
        }
        rc = st_run(e->st, run_in_txn, &w);
        e->runaway_call = 0;
        if (rc == EN_RUNAWAY)
            rc = en_fail(e, BPMN_ESTATE, "the operation passed limits.run_steps again when run "
                                         "a second time; nothing was changed");
    }
    if (rc == ST_EMAPFULL)
        rc = st_errmsg(e->st)[0] /* the file, and the limit it reached */
                 ? en_fail(e, BPMN_EFULL, "the store reached its size limit (%s)", st_errmsg(e->st))
                 : en_fail(e, BPMN_EFULL, "the store reached its size limit");
    return en_status(e, rc);
}

typedef struct answer_call {
    int (*fn)(bpmn_engine *e, void *ud);
    void *ud;
    char *(*answer)(bpmn_engine *e, void *ud);
    char *out;
} answer_call;

static int with_answer(bpmn_engine *e, void *ud)
{
    answer_call *c = ud;
    int rc = c->fn(e, c->ud);
    if (rc != BPMN_OK)
        return rc;
    bm_free(e->a, c->out); /* a run retried after the map grew answers again */
    c->out = c->answer(e, c->ud);
    return c->out ? BPMN_OK : BPMN_ENOMEM;
}

int en_write_answer(bpmn_engine *e, int (*fn)(bpmn_engine *e, void *ud), void *ud,
                    char *(*answer)(bpmn_engine *e, void *ud), char **json_out)
{
    answer_call c = {fn, ud, answer, NULL};
    int rc = en_write(e, with_answer, &c);
    if (rc != BPMN_OK) {
        bm_free(e->a, c.out);
        return rc;
    }
    *json_out = c.out;
    return BPMN_OK;
}

int en_read_begin(bpmn_engine *e, st_txn **t)
{
    e->err[0] = '\0';
    if (e->batch) {
        *t = e->batch;
        return BPMN_OK;
    }
    /* The store names why it cannot read: a handle inherited across fork(), no reader slot. */
    return en_status(e, st_begin(e->st, 0, t));
}

void en_read_end(bpmn_engine *e, st_txn *t)
{
    if (t && t != e->batch)
        st_abort(t);
}

int bpmn_batch_begin(bpmn_engine *e)
{
    if (!e)
        return BPMN_EINVAL;
    if (e->batch)
        return en_fail(e, BPMN_EBUSY, "a batch is already open");
    e->err[0] = '\0';
    return en_status(e, st_begin(e->st, 1, &e->batch));
}

int bpmn_batch_commit(bpmn_engine *e)
{
    if (!e)
        return BPMN_EINVAL;
    if (!e->batch)
        return en_fail(e, BPMN_EBUSY, "no batch is open");
    st_txn *t = e->batch;
    e->batch = NULL;
    int rc = st_commit(t);
    if (rc == ST_EMAPFULL)
        rc = batch_full(e);
    return en_status(e, rc);
}

void bpmn_batch_abort(bpmn_engine *e)
{
    if (e && e->batch) {
        st_abort(e->batch);
        e->batch = NULL;
    }
}
