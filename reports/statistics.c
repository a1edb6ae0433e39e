/*
 * statistics.c - how many running instances of a process wait at each of its elements, and how
 * many have an incident there: what a cockpit draws on the diagram, and the running and incident
 * counts of a process. One pass over the instance records that reads, of each, only its header
 * and its tokens: the variables are skipped, not parsed, and other processes' records are left
 * after their first few bytes, so the pass costs little more than reading the records.
 */
#include <string.h>

#include "engine/engine.h"

/* The few things of an instance record the statistics need (the layout of en_inst_save). */
typedef struct inst_head {
    uint8_t state;
    const char *process;
    uint32_t process_len, version;
    const char *incident;
    uint32_t incident_len;
} inst_head;

/* Reads a record up to its tokens; 0 when it is not one this pass counts (another process or
 * version, a finished instance), -1 when damaged. */
static int read_head(en_rd *r, const char *process, uint32_t version, inst_head *h)
{
    uint8_t format = en_rd_u8(r);
    if (format != 5 && format != 6)
        return -1;
    h->state = en_rd_u8(r);
    h->process = en_rd_str(r, &h->process_len);
    h->version = en_rd_u32(r);
    if (r->bad)
        return -1;
    size_t pl = process ? strlen(process) : 0;
    if ((process && (h->process_len != pl || memcmp(h->process, process, pl) != 0)) ||
        (version && h->version != version) ||
        (h->state != EN_ACTIVE && h->state != EN_INCIDENT))
        return 0;
    uint32_t n;
    en_rd_str(r, &n);  /* business key */
    en_rd_u64(r);      /* parent */
    en_rd_u32(r);      /* parent token */
    en_rd_u32(r);      /* depth */
    en_rd_u8(r);       /* suspended */
    en_rd_u64(r);      /* started */
    en_rd_u64(r);      /* ended */
    en_rd_u32(r);      /* next token */
    h->incident = en_rd_str(r, &h->incident_len);
    en_rd_str(r, &n);  /* incident message */
    uint32_t ns = en_rd_u32(r);
    for (uint32_t i = 0; i < ns && !r->bad; i++) {
        en_rd_u32(r);
        en_rd_u32(r);
        en_rd_u32(r);
        en_rd_u8(r);
        en_rd_u8(r);
        en_rd_str(r, &n); /* the scope's variables, not parsed */
    }
    return r->bad ? -1 : format;
}

/* Every process version's counts (bpmn_process_statistics with no process). */
typedef struct per_version {
    char process[201];
    uint32_t version;
    unsigned long instances, incidents, tokens;
} per_version;

typedef struct stats {
    const en_def *def;     /* of the version asked for; NULL: all versions (counts only) */
    uint32_t *waiting, *incidents; /* per node of def */
    unsigned long instances, with_incident;
    per_version *all;      /* process NULL: one entry per process version seen */
    size_t nall, capall;
    const bpmn_allocator *a;
} stats;

static per_version *version_of(stats *s, const inst_head *h)
{
    uint32_t l = h->process_len > 200 ? 200 : h->process_len;
    for (size_t i = 0; i < s->nall; i++)
        if (s->all[i].version == h->version && strlen(s->all[i].process) == l &&
            memcmp(s->all[i].process, h->process, l) == 0)
            return &s->all[i];
    if (bm_grow(s->a, (void **)&s->all, &s->capall, s->nall + 1, sizeof *s->all) != 0)
        return NULL;
    per_version *p = &s->all[s->nall++];
    memset(p, 0, sizeof *p);
    memcpy(p->process, h->process, l);
    p->version = h->version;
    return p;
}

static int count_record(bpmn_engine *e, const char *process, uint32_t version, const void *v,
                        size_t vl, stats *s)
{
    en_rd r = {v, (const uint8_t *)v + vl, 0};
    inst_head h;
    int format = read_head(&r, process, version, &h);
    if (format < 0)
        return en_fail(e, BPMN_EIO, "an instance record is damaged");
    if (format == 0)
        return BPMN_OK;
    s->instances++;
    s->with_incident += h.state == EN_INCIDENT;
    if (!process) {
        per_version *p = version_of(s, &h);
        if (!p)
            return en_fail(e, BPMN_ENOMEM, "out of memory");
        p->instances++;
        p->incidents += h.state == EN_INCIDENT;
        p->tokens += en_rd_u32(&r);
        return r.bad ? en_fail(e, BPMN_EIO, "an instance record is damaged") : BPMN_OK;
    }
    if (!s->def)
        return BPMN_OK;
    const bg_graph *g = s->def->g;
    uint32_t nt = en_rd_u32(&r);
    for (uint32_t i = 0; i < nt && !r.bad; i++) {
        en_rd_u32(&r);
        uint32_t node = en_rd_u32(&r);
        en_rd_u32(&r);
        en_rd_u8(&r);
        en_rd_u8(&r);
        en_rd_u32(&r);
        en_rd_u64(&r);
        en_rd_u32(&r);
        en_rd_u32(&r);
        if (format >= 6)
            en_rd_u64(&r);
        if (!r.bad && node < g->nnodes)
            s->waiting[node]++;
    }
    if (r.bad)
        return en_fail(e, BPMN_EIO, "an instance record is damaged");
    if (h.state == EN_INCIDENT && h.incident)
        for (uint32_t i = 0; i < g->nnodes; i++)
            if (g->nodes[i].id && strlen(g->nodes[i].id) == h.incident_len &&
                memcmp(g->nodes[i].id, h.incident, h.incident_len) == 0) {
                s->incidents[i]++;
                break;
            }
    return BPMN_OK;
}

int bpmn_process_statistics(bpmn_engine *e, const char *process, unsigned version,
                            char **json_out)
{
    if (!e || !json_out)
        return BPMN_EINVAL;
    *json_out = NULL;
    e->err[0] = '\0';
    if (!process)
        version = 0;
    st_txn *t;
    int rc = en_read_begin(e, &t);
    if (rc != BPMN_OK)
        return en_status(e, rc);
    e->txn = t;
    stats s;
    memset(&s, 0, sizeof s);
    s.a = e->a;
    en_def *d = NULL;
    if (version) {
        rc = en_def_get(e, process, version, &d);
        if (rc == BPMN_OK) {
            s.def = d;
            size_t n = d->g->nnodes ? d->g->nnodes : 1;
            s.waiting = bm_alloc(e->a, NULL, n * sizeof *s.waiting);
            s.incidents = bm_alloc(e->a, NULL, n * sizeof *s.incidents);
            if (!s.waiting || !s.incidents)
                rc = en_fail(e, BPMN_ENOMEM, "out of memory");
            else {
                memset(s.waiting, 0, n * sizeof *s.waiting);
                memset(s.incidents, 0, n * sizeof *s.incidents);
            }
        }
    }
    st_cursor *c = NULL;
    if (rc == BPMN_OK)
        rc = st_cursor_open(t, ST_INSTANCES, &c);
    const void *k, *v;
    size_t kl, vl;
    int step = rc == BPMN_OK ? st_cursor_seek(c, NULL, 0, &k, &kl, &v, &vl) : rc;
    while (rc == BPMN_OK && step == BPMN_OK) {
        rc = count_record(e, process, version, v, vl, &s);
        if (rc == BPMN_OK)
            step = st_cursor_next(c, &k, &kl, &v, &vl);
    }
    if (rc == BPMN_OK && step != BPMN_ENOTFOUND && step != BPMN_OK)
        rc = step;
    st_cursor_close(c);
    cJSON *o = rc == BPMN_OK ? cJSON_CreateObject() : NULL;
    if (rc == BPMN_OK) {
        cJSON *els = o ? cJSON_CreateArray() : NULL;
        int ok = o && els && cJSON_AddNumberToObject(o, "instances", (double)s.instances) &&
                 cJSON_AddNumberToObject(o, "incidents", (double)s.with_incident) &&
                 cJSON_AddItemToObject(o, "elements", els);
        if (!ok)
            cJSON_Delete(els);
        for (uint32_t i = 0; ok && s.def && i < s.def->g->nnodes; i++) {
            if (!s.waiting[i] && !s.incidents[i])
                continue;
            cJSON *x = cJSON_CreateObject();
            ok = x && cJSON_AddItemToArray(els, x) &&
                 en_json_str(x, "element", s.def->g->nodes[i].id) &&
                 cJSON_AddNumberToObject(x, "instances", s.waiting[i]) &&
                 cJSON_AddNumberToObject(x, "incidents", s.incidents[i]);
        }
        cJSON *pv = ok && !process ? cJSON_AddArrayToObject(o, "processes") : NULL;
        for (size_t i = 0; ok && pv && i < s.nall; i++) {
            cJSON *x = cJSON_CreateObject();
            ok = x && cJSON_AddItemToArray(pv, x) && en_json_str(x, "process", s.all[i].process) &&
                 cJSON_AddNumberToObject(x, "version", s.all[i].version) &&
                 cJSON_AddNumberToObject(x, "instances", (double)s.all[i].instances) &&
                 cJSON_AddNumberToObject(x, "incidents", (double)s.all[i].incidents) &&
                 cJSON_AddNumberToObject(x, "waiting", (double)s.all[i].tokens);
        }
        if (!ok)
            rc = en_fail(e, BPMN_ENOMEM, "out of memory");
    }
    e->txn = NULL;
    en_read_end(e, t);
    bm_free(e->a, s.waiting);
    bm_free(e->a, s.incidents);
    bm_free(e->a, s.all);
    if (rc == BPMN_OK && !(*json_out = en_json_out(e, o)))
        rc = BPMN_ENOMEM;
    else if (rc != BPMN_OK)
        cJSON_Delete(o);
    return en_status(e, rc);
}
