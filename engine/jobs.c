/*
 * jobs.c - the job record: a service task's work waiting for a worker (instance, token, element,
 * type, retries left, the last failure, process and version, and for external workers the lock,
 * the retry timeout, the priority and the error details), encoded once for every reader and
 * writer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/engine.h"

int en_job_del(bpmn_engine *e, uint64_t id)
{
    uint8_t key[8];
    st_be64(key, id);
    return st_del(e->txn, ST_JOBS, key, 8);
}

int en_job_decode(const bpmn_allocator *a, const void *v, size_t vl, en_job *j)
{
    en_rd r = {v, (const uint8_t *)v + vl, 0};
    memset(j, 0, sizeof *j);
    j->instance = en_rd_u64(&r);
    j->token = en_rd_u32(&r);
    j->node = en_rd_u32(&r);
    j->type = en_rd_strdup(&r, a);
    j->retries = en_rd_u32(&r);
    j->failure = en_rd_strdup(&r, a);
    j->process = en_rd_strdup(&r, a);
    j->version = en_rd_u32(&r);
    /* Records written before external workers end here: unlocked, never failed by a worker. */
    if (!r.bad && r.p < r.end) {
        j->flags = en_rd_u32(&r);
        j->worker = en_rd_strdup(&r, a);
        j->lock_until = (int64_t)en_rd_u64(&r);
        j->not_before = (int64_t)en_rd_u64(&r);
        j->priority = (int32_t)en_rd_u32(&r);
        j->details = en_rd_strdup(&r, a);
    } else if (!r.bad && j->failure) {
        j->flags = EN_JOB_FAILED;
    }
    if (!r.bad && (!j->type || !j->process))
        r.bad = 1; /* every job has a type and a process */
    if (r.bad)
        en_job_free(a, j);
    return r.bad ? EN_RD_STATUS(r) : BPMN_OK;
}

int en_job_read(bpmn_engine *e, uint64_t id, en_job *j)
{
    uint8_t key[8];
    st_be64(key, id);
    const void *v;
    size_t vl;
    int rc = st_get(e->txn, ST_JOBS, key, 8, &v, &vl);
    return rc == BPMN_OK ? en_job_decode(e->a, v, vl, j) : rc;
}

int32_t en_job_priority(const en_def *d, uint32_t node)
{
    if (!d || node >= d->g->nnodes)
        return 0;
    const char *p = bg_attr(&d->g->nodes[node], BM_NS_CAMUNDA, "taskPriority");
    if (!p)
        return 0;
    while (*p == ' ')
        p++;
    if ((p[0] == '$' || p[0] == '#') && p[1] == '{')
        p += 2;
    char *end;
    long long v = strtoll(p, &end, 10);
    if (end == p)
        return 0;
    return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int32_t)v;
}

int en_job_write(bpmn_engine *e, uint64_t id, const en_job *j)
{
    en_buf b = {e->a, NULL, 0, 0, 0};
    en_buf_u64(&b, j->instance);
    en_buf_u32(&b, j->token);
    en_buf_u32(&b, j->node);
    en_buf_str(&b, j->type);
    en_buf_u32(&b, j->retries);
    en_buf_str(&b, j->failure);
    en_buf_str(&b, j->process);
    en_buf_u32(&b, j->version);
    en_buf_u32(&b, j->flags);
    en_buf_str(&b, j->worker);
    en_buf_u64(&b, (uint64_t)(j->worker ? j->lock_until : 0));
    en_buf_u64(&b, (uint64_t)j->not_before);
    en_buf_u32(&b, (uint32_t)j->priority);
    en_buf_str(&b, j->details);
    uint8_t key[8];
    st_be64(key, id);
    int rc = b.oom ? BPMN_ENOMEM : st_put(e->txn, ST_JOBS, key, 8, b.p, b.n);
    en_buf_free(&b);
    return rc;
}

void en_job_free(const bpmn_allocator *a, en_job *j)
{
    bm_free(a, (void *)j->type);
    bm_free(a, (void *)j->failure);
    bm_free(a, (void *)j->process);
    bm_free(a, (void *)j->worker);
    bm_free(a, (void *)j->details);
    j->type = j->failure = j->process = j->worker = j->details = NULL;
}

int en_job_check_worker(bpmn_engine *e, uint64_t id, const en_job *j, const char *worker,
                        const char *action)
{
    if (!worker || (j->worker && strcmp(j->worker, worker) == 0))
        return BPMN_OK;
    if (!j->worker)
        return en_fail(e, BPMN_ESTATE, "External Task %llu cannot be %s by worker '%s'. It is not "
                                       "locked by any worker.", (unsigned long long)id, action,
                       worker);
    return en_fail(e, BPMN_ESTATE, "External Task %llu cannot be %s by worker '%s'. It is locked "
                                   "by worker '%s'.", (unsigned long long)id, action, worker,
                   j->worker);
}

void en_camunda_time(int64_t ms, char *buf, size_t cap)
{
    if (ms < -62135596800000LL || ms > 253402300799999LL)
        ms = 0; /* outside years 1..9999 */
    int64_t s = ms / 1000, frac = ms % 1000;
    if (frac < 0)
        s--, frac += 1000;
    time_t t = (time_t)s;
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03d+0000", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)frac);
}

int en_job_peek(const void *v, size_t vl, en_job_peek_t *p)
{
    en_rd r = {v, (const uint8_t *)v + vl, 0};
    memset(p, 0, sizeof *p);
    en_rd_u64(&r);
    en_rd_u32(&r);
    en_rd_u32(&r);
    p->type = en_rd_str(&r, &p->type_len);
    p->retries = en_rd_u32(&r);
    uint32_t n;
    en_rd_str(&r, &n);
    en_rd_str(&r, &n);
    en_rd_u32(&r);
    if (!r.bad && r.p < r.end) {
        en_rd_u32(&r);
        p->locked = en_rd_str(&r, &n) != NULL;
        p->lock_until = (int64_t)en_rd_u64(&r);
        p->not_before = (int64_t)en_rd_u64(&r);
    }
    return r.bad ? BPMN_EIO : BPMN_OK;
}

