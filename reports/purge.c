/*
 * purge.c - retention: finished instances (completed or terminated before a time, optionally of
 * one process) are deleted with their history, in bounded transactions so that a large purge
 * neither holds the writer for long nor needs a huge map. Running instances are never touched.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"

#define BATCH 1000

typedef struct purge_job {
    int64_t before;
    const char *process;
    uint64_t *ids;       /* sorted */
    size_t n, cap;
    size_t done;         /* instances deleted so far */
    uint8_t from[8];     /* history: the next key to look at */
    int history_done;
    /* Where a history transaction got to: taken over once it committed, so that a transaction
     * run again (after the map grew) starts where the aborted one did. */
    uint8_t next[8];
    int next_done;
} purge_job;

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Finds the instances to purge from their record headers (no definition is loaded). */
static int collect(bpmn_engine *e, purge_job *j)
{
    st_txn *t;
    int rc = en_read_begin(e, &t);
    if (rc != BPMN_OK)
        return rc;
    st_cursor *c = NULL;
    const void *k = NULL, *v = NULL;
    size_t kl = 0, vl = 0;
    rc = st_cursor_open(t, ST_INSTANCES, &c);
    int step = rc == BPMN_OK ? st_cursor_seek(c, NULL, 0, &k, &kl, &v, &vl) : rc;
    while (rc == BPMN_OK && step == BPMN_OK) {
        en_rd r = {v, (const uint8_t *)v + vl, 0};
        en_rd_u8(&r);
        uint8_t state = en_rd_u8(&r);
        uint32_t pl;
        const char *p = en_rd_str(&r, &pl);
        en_rd_u32(&r);              /* version */
        en_rd_str(&r, &(uint32_t){0}); /* business key */
        en_rd_u64(&r);              /* parent */
        en_rd_u32(&r);              /* parent token */
        en_rd_u32(&r);              /* depth */
        en_rd_u8(&r);               /* suspended */
        en_rd_u64(&r);              /* started */
        int64_t ended = (int64_t)en_rd_u64(&r);
        if (!r.bad && kl == 8 && (state == EN_COMPLETED || state == EN_TERMINATED) &&
            ended < j->before &&
            (!j->process || (strlen(j->process) == pl && memcmp(j->process, p, pl) == 0))) {
            if (bm_grow(e->a, (void **)&j->ids, &j->cap, j->n + 1, sizeof *j->ids) != 0)
                rc = BPMN_ENOMEM;
            else
                j->ids[j->n++] = st_rd64(k);
        }
        step = st_cursor_next(c, &k, &kl, &v, &vl);
    }
    st_cursor_close(c);
    en_read_end(e, t);
    if (rc == BPMN_OK && step != BPMN_ENOTFOUND)
        rc = step;
    if (rc == BPMN_OK && j->n)
        qsort(j->ids, j->n, sizeof *j->ids, cmp_u64);
    return rc;
}

static int delete_instances(bpmn_engine *e, void *ud)
{
    purge_job *j = ud;
    size_t end = j->done + BATCH < j->n ? j->done + BATCH : j->n;
    for (size_t i = j->done; i < end; i++) {
        uint8_t k[17];
        st_be64(k, j->ids[i]);
        int rc = st_del(e->txn, ST_INSTANCES, k, 8);
        if (rc != BPMN_OK && rc != BPMN_ENOTFOUND)
            return rc;
        /* its entries in the children index, as a parent */
        k[0] = 'C';
        st_be64(k + 1, j->ids[i]);
        st_cursor *c = NULL;
        const void *ck = NULL, *cv;
        size_t ckl = 0, cvl;
        rc = st_cursor_open(e->txn, ST_INDEX, &c);
        if (rc == BPMN_OK)
            rc = st_cursor_seek(c, k, 9, &ck, &ckl, &cv, &cvl);
        while (rc == BPMN_OK && ckl == 17 && memcmp(ck, k, 9) == 0) {
            rc = st_cursor_del(c);
            if (rc == BPMN_OK)
                rc = st_cursor_seek(c, k, 9, &ck, &ckl, &cv, &cvl);
        }
        st_cursor_close(c);
        if (rc != BPMN_OK && rc != BPMN_ENOTFOUND)
            return rc;
    }
    return BPMN_OK;
}

/* Walks up to 10,000 history blocks from j->from, deleting those of purged instances. */
static int delete_history(bpmn_engine *e, void *ud)
{
    purge_job *j = ud;
    st_cursor *c = NULL;
    const void *k = NULL, *v = NULL;
    size_t kl = 0, vl = 0;
    memcpy(j->next, j->from, 8);
    j->next_done = 0;
    int rc = st_cursor_open(e->txn, ST_HISTORY, &c);
    if (rc == BPMN_OK)
        rc = st_cursor_seek(c, j->next, 8, &k, &kl, &v, &vl);
    int seen = 0;
    while (rc == BPMN_OK && seen++ < 10000) {
        if (kl != 8 || vl < 8) {
            rc = en_fail(e, BPMN_EIO, "a stored history block is damaged");
            break;
        }
        uint64_t inst = st_rd64(v), key = st_rd64(k);
        st_be64(j->next, key + 1);
        if (bsearch(&inst, j->ids, j->n, sizeof *j->ids, cmp_u64)) {
            rc = st_cursor_del(c);
            if (rc == BPMN_OK)
                rc = st_cursor_seek(c, j->next, 8, &k, &kl, &v, &vl);
        } else {
            rc = st_cursor_next(c, &k, &kl, &v, &vl);
        }
    }
    st_cursor_close(c);
    if (rc == BPMN_ENOTFOUND) {
        j->next_done = 1;
        rc = BPMN_OK;
    }
    return rc;
}

int bpmn_purge(bpmn_engine *e, long long completed_before, const char *process, char **json_out)
{
    if (!e || !json_out)
        return BPMN_EINVAL;
    *json_out = NULL;
    e->err[0] = '\0';
    if (e->batch)
        return en_fail(e, BPMN_EBUSY, "purge runs its own bounded transactions; commit the batch "
                                      "first");
    /* The answer's room is taken first: once instances are purged, the call cannot fail. */
    char *out = bm_alloc(e->a, NULL, 32);
    if (!out)
        return en_fail(e, BPMN_ENOMEM, "out of memory");
    purge_job j;
    memset(&j, 0, sizeof j);
    j.before = completed_before;
    j.process = process;
    int rc = collect(e, &j);
    /* History first: an interrupted purge leaves instances whose history is partly gone, never
     * history whose instance is. */
    while (rc == BPMN_OK && j.n && !j.history_done) {
        rc = en_write(e, delete_history, &j);
        if (rc == BPMN_OK) {
            memcpy(j.from, j.next, 8);
            j.history_done = j.next_done;
        }
    }
    while (rc == BPMN_OK && j.done < j.n) {
        rc = en_write(e, delete_instances, &j);
        if (rc == BPMN_OK)
            j.done = j.done + BATCH < j.n ? j.done + BATCH : j.n;
    }
    bm_free(e->a, j.ids);
    if (rc != BPMN_OK) {
        bm_free(e->a, out);
        return en_status(e, rc);
    }
    snprintf(out, 32, "{\"purged\":%llu}", (unsigned long long)j.n);
    *json_out = out;
    return BPMN_OK;
}

/* The time to live of a process's history, from its latest version: camunda:historyTimeToLive
 * as a number of days or an ISO 8601 duration. 0 when it has none. */
static int64_t ttl_of(const en_def *d)
{
    const char *t = d->g->history_ttl;
    if (!t || !*t)
        return 0;
    char *end;
    double days = strtod(t, &end);
    if (end != t && !*end && days > 0)
        return (int64_t)(days * 86400000.0);
    bm_duration dur;
    if (bm_parse_duration(t, strlen(t), &dur) > 0 && (dur.months > 0 || dur.ms > 0))
        return dur.months * 30LL * 86400000LL + dur.ms; /* a month counts 30 days here */
    return 0;
}

int bpmn_purge_expired(bpmn_engine *e, unsigned long long *purged)
{
    if (!e)
        return BPMN_EINVAL;
    if (purged)
        *purged = 0;
    char *defs = NULL;
    int rc = bpmn_definitions(e, &defs);
    if (rc != BPMN_OK)
        return en_status(e, rc);
    cJSON *list = cJSON_Parse(defs);
    bm_free(e->a, defs);
    const cJSON *d;
    /* Each process once, by its latest version (the list is sorted by process, then version). */
    cJSON_ArrayForEach(d, list) {
        const cJSON *next = d->next;
        const char *p = cJSON_GetObjectItem(d, "process")->valuestring;
        if (next && strcmp(cJSON_GetObjectItem(next, "process")->valuestring, p) == 0)
            continue;
        st_txn *t;
        en_def *def = NULL;
        if ((rc = en_read_begin(e, &t)) != BPMN_OK)
            break;
        e->txn = t;
        rc = en_def_get(e, p, (uint32_t)cJSON_GetObjectItem(d, "version")->valueint, &def);
        e->txn = NULL;
        en_read_end(e, t);
        int64_t ttl = rc == BPMN_OK ? ttl_of(def) : 0;
        if (rc != BPMN_OK)
            break;
        if (!ttl)
            continue;
        char *out = NULL;
        rc = bpmn_purge(e, en_now(e) - ttl, p, &out);
        if (rc != BPMN_OK)
            break;
        cJSON *o = cJSON_Parse(out);
        if (purged && o)
            *purged += (unsigned long long)cJSON_GetObjectItem(o, "purged")->valuedouble;
        cJSON_Delete(o);
        bm_free(e->a, out);
    }
    cJSON_Delete(list);
    return en_status(e, rc);
}
