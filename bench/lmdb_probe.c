/*
 * lmdb_probe.c - the parts of engine_bench that use LMDB directly, never the engine: the commit
 * probes (LMDB's own rate, measured in turns with the engine or with each other, so that a noisy
 * disk weighs on both sides alike) and the per-table figures of a closed store.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <lmdb.h>

#include "engine_bench.h"

/* A probe environment: one 200-byte put under an 8-byte big-endian key per write transaction,
 * as lmdb_ceiling.c's commit_test does (shape NULL or "").
 *
 * A shape instead gives each transaction the writes of an engine operation, one letter per
 * table: 'c' two 8-byte counters in a counters table (the engine's "id" and "seq" in its meta
 * table), 'r' a 120-byte record under a new key (an instance), 'b' a 780-byte block appended
 * (the history of a straight-through start: 26 events of 29 bytes and a header), 's' a
 * 200-byte block appended instead (the same history in a compact encoding). "crb" is a
 * straight-through start; other shapes show what LMDB would do if the engine wrote less. */
int eb_probe_open(const options *o, unsigned flags, const char *shape, eb_probe *p, run_result *r)
{
    memset(p, 0, sizeof *p);
    if (eb_scratch_make(o, &p->s) != 0) {
        eb_say(r, "mkdtemp in %s: %s", o->tmp, strerror(errno));
        return -1;
    }
    p->made = 1;
    p->counters = shape && strchr(shape, 'c');
    p->record = shape && strchr(shape, 'r');
    p->block = shape && strchr(shape, 'b') ? 780 : shape && strchr(shape, 's') ? 200 : 0;
    p->plain = !p->counters && !p->record && !p->block;
    MDB_txn *txn;
    int rc = mdb_env_create(&p->env);
    if (!rc)
        rc = mdb_env_set_mapsize(p->env, (size_t)4 << 30);
    if (!rc)
        rc = mdb_env_set_maxdbs(p->env, 4);
    if (!rc)
        rc = mdb_env_open(p->env, p->s.dir, flags, 0644);
    if (!rc && !(rc = mdb_txn_begin(p->env, NULL, 0, &txn))) {
        if (p->plain)
            rc = mdb_dbi_open(txn, NULL, 0, &p->dbi[0]);
        if (!rc && p->counters)
            rc = mdb_dbi_open(txn, "counters", MDB_CREATE, &p->dbi[0]);
        if (!rc && p->record)
            rc = mdb_dbi_open(txn, "records", MDB_CREATE, &p->dbi[1]);
        if (!rc && p->block)
            rc = mdb_dbi_open(txn, "blocks", MDB_CREATE, &p->dbi[2]);
        if (!rc)
            rc = mdb_txn_commit(txn);
        else
            mdb_txn_abort(txn);
    }
    if (rc) {
        eb_say(r, "lmdb probe: %s", mdb_strerror(rc));
        eb_probe_close(p);
        return -1;
    }
    return 0;
}

int eb_probe_commit(eb_probe *p, size_t count, run_result *r)
{
    static const unsigned char v[780] = {'x'};
    double c0 = eb_cpu_now(), t0 = eb_now();
    int rc = 0;
    for (size_t i = 0; i < count && !rc; i++) {
        unsigned char k[8];
        uint64_t x = p->n;
        for (int b = 7; b >= 0; b--, x >>= 8)
            k[b] = (unsigned char)x;
        MDB_txn *txn;
        if ((rc = mdb_txn_begin(p->env, NULL, 0, &txn)) != 0)
            break;
        MDB_val kv = {8, k}, pv = {200, (void *)v}, c1 = {2, "id"}, c2 = {3, "seq"},
                cv = {8, k}, rv = {120, (void *)v}, bv = {p->block, (void *)v};
        if (p->plain)
            rc = mdb_put(txn, p->dbi[0], &kv, &pv, 0);
        if (!rc && p->counters && !(rc = mdb_put(txn, p->dbi[0], &c1, &cv, 0)))
            rc = mdb_put(txn, p->dbi[0], &c2, &cv, 0);
        if (!rc && p->record)
            rc = mdb_put(txn, p->dbi[1], &kv, &rv, 0);
        if (!rc && p->block)
            rc = mdb_put(txn, p->dbi[2], &kv, &bv, MDB_APPEND);
        if (rc) {
            mdb_txn_abort(txn);
            break;
        }
        if ((rc = mdb_txn_commit(txn)) == 0)
            p->n++;
    }
    p->secs += eb_now() - t0;
    p->cpu += eb_cpu_now() - c0;
    if (rc) {
        eb_say(r, "lmdb probe: %s", mdb_strerror(rc));
        return -1;
    }
    return 0;
}

void eb_probe_close(eb_probe *p)
{
    if (p->env)
        mdb_env_close(p->env);
    p->env = NULL;
    if (p->made)
        eb_scratch_remove(&p->s);
    p->made = 0;
}

/* The plain probe and every shape of o->shapes in turn, PROBE_CHUNK commits each, until each
 * has committed for o->probe_secs; taking turns exposes all of them to the same disk. */
void eb_probe_set_run(const options *o, unsigned flags, run_result *r)
{
    eb_probe p[1 + MAX_SHAPES];
    int np = 0, ok = 1;
    for (; ok && np <= o->nshapes; np++)
        ok = eb_probe_open(o, flags, np ? o->shapes[np - 1] : NULL, &p[np], r) == 0;
    if (!ok)
        np--;
    while (ok) {
        int done = 1;
        for (int i = 0; ok && i < np; i++) {
            if (p[i].secs < o->probe_secs) {
                ok = eb_probe_commit(&p[i], PROBE_CHUNK, r) == 0;
                done = 0;
            }
        }
        if (done)
            break;
    }
    if (ok) {
        r->ok = 1;
        r->n = (size_t)p[0].n;
        r->secs = p[0].secs;
        r->cps = (double)p[0].n / p[0].secs;
        r->cpu_s = p[0].cpu;
        for (int i = 1; i < np; i++)
            r->shape_cps[i - 1] = (double)p[i].n / p[i].secs;
    }
    for (int i = 0; i < np; i++)
        eb_probe_close(&p[i]);
}

/* Per-table figures of a closed store, read with LMDB directly (read-only, after
 * bpmn_engine_close): the table names come from the store's main database. */
void eb_table_report(const char *path, FILE *out)
{
    MDB_env *env;
    if (mdb_env_create(&env))
        return;
    MDB_txn *txn = NULL;
    MDB_dbi main;
    MDB_cursor *cur = NULL;
    if (mdb_env_set_maxdbs(env, 64) || mdb_env_open(env, path, MDB_NOSUBDIR | MDB_RDONLY, 0644) ||
        mdb_txn_begin(env, NULL, MDB_RDONLY, &txn) || mdb_dbi_open(txn, NULL, 0, &main) ||
        mdb_cursor_open(txn, main, &cur)) {
        fprintf(out, "  (the store could not be opened read-only for its table figures)\n");
        if (txn)
            mdb_txn_abort(txn);
        mdb_env_close(env);
        return;
    }
    MDB_stat st;
    MDB_envinfo info;
    mdb_env_info(env, &info);
    mdb_env_stat(env, &st);
    unsigned psize = st.ms_psize;
    fprintf(out, "  %-10s %10s %8s %8s %8s %12s\n", "table", "entries", "branch", "leaf",
            "overflow", "bytes");
    MDB_val k, v;
    size_t used = 0;
    for (int op = MDB_FIRST; mdb_cursor_get(cur, &k, &v, (MDB_cursor_op)op) == 0; op = MDB_NEXT) {
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)(k.mv_size < 63 ? k.mv_size : 63),
                 (const char *)k.mv_data);
        MDB_dbi dbi;
        if (mdb_dbi_open(txn, name, 0, &dbi) || mdb_stat(txn, dbi, &st))
            continue;
        size_t pages = st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages;
        used += pages;
        fprintf(out, "  %-10s %10zu %8zu %8zu %8zu %12zu\n", name, st.ms_entries,
                st.ms_branch_pages, st.ms_leaf_pages, st.ms_overflow_pages, pages * psize);
    }
    if (mdb_stat(txn, 0, &st) == 0) { /* LMDB's free-page list */
        size_t pages = st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages;
        fprintf(out, "  %-10s %10zu %8zu %8zu %8zu %12zu   (free-page list records)\n",
                "(freelist)", st.ms_entries, st.ms_branch_pages, st.ms_leaf_pages,
                st.ms_overflow_pages, pages * psize);
    }
    fprintf(out, "  pages in use by tables: %zu of %zu (the rest: free pages for reuse, meta, "
                 "main)\n", used, (size_t)info.me_last_pgno + 1);
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    mdb_env_close(env);
}

