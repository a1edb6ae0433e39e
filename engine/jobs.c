/*
 * jobs.c - the job record: a service task's work waiting for a worker (instance, token, element,
 * type, retries left, the last failure, process and version), encoded once for every reader and
 * writer.
 */
#include <string.h>

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
    j->type = j->failure = j->process = NULL;
}
