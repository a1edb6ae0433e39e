/*
 * instance.c - the stored form of an instance (one compact record: header, scopes with their
 * variables, tokens) and of history: the events one operation records for one instance go into
 * one block keyed by its first sequence number, so that history costs one put per operation.
 */
#include <stdio.h>
#include <string.h>

#include "engine/engine.h"

#define INST_FORMAT 6 /* 6: tokens carry their activation time; 5 is still read */

const char *en_state_name(unsigned s)
{
    static const char *const names[] = {"active", "completed", "terminated", "incident"};
    return s < 4 ? names[s] : "unknown";
}

void en_inst_free(bpmn_engine *e, en_inst *in)
{
    for (uint32_t i = 0; i < in->nscopes; i++)
        cJSON_Delete(in->scopes[i].vars);
    bm_free(e->a, in->scopes);
    bm_free(e->a, in->tokens);
    bm_free(e->a, in->process);
    bm_free(e->a, in->key);
    bm_free(e->a, in->incident_element);
    bm_free(e->a, in->incident_msg);
    bm_free(e->a, in->comp);
    memset(in, 0, sizeof *in);
}

static void id_key(uint8_t k[8], uint64_t id)
{
    st_be64(k, id);
}

int en_inst_load(bpmn_engine *e, uint64_t id, en_inst *in)
{
    memset(in, 0, sizeof *in);
    uint8_t k[8];
    id_key(k, id);
    const void *v;
    size_t vl;
    int rc = st_get(e->txn, ST_INSTANCES, k, 8, &v, &vl);
    if (rc != BPMN_OK)
        return rc;
    en_rd r = {v, (const uint8_t *)v + vl, 0};
    uint8_t format = en_rd_u8(&r);
    if (format != INST_FORMAT && format != 5)
        return en_fail(e, BPMN_EIO, "instance %llu: unknown record format", (unsigned long long)id);
    in->id = id;
    in->state = en_rd_u8(&r);
    in->process = en_rd_strdup(&r, e->a);
    in->version = en_rd_u32(&r);
    in->key = en_rd_strdup(&r, e->a);
    in->parent = en_rd_u64(&r);
    in->parent_token = en_rd_u32(&r);
    in->depth = en_rd_u32(&r);
    in->suspended = en_rd_u8(&r);
    in->started = (int64_t)en_rd_u64(&r);
    in->ended = (int64_t)en_rd_u64(&r);
    in->next_token = en_rd_u32(&r);
    in->incident_element = en_rd_strdup(&r, e->a);
    in->incident_msg = en_rd_strdup(&r, e->a);
    uint32_t ns = en_rd_u32(&r);
    if (r.bad || ns > (size_t)(r.end - r.p))
        goto bad;
    if (ns && bm_grow(e->a, (void **)&in->scopes, &(size_t){0}, ns, sizeof *in->scopes) != 0)
        goto oom;
    in->capscopes = ns;
    for (uint32_t i = 0; i < ns; i++) {
        en_scope *s = &in->scopes[i];
        memset(s, 0, sizeof *s);
        in->nscopes = i + 1;
        s->node = en_rd_u32(&r);
        s->parent = en_rd_u32(&r);
        s->token = en_rd_u32(&r);
        s->alive = en_rd_u8(&r);
        s->kind = en_rd_u8(&r);
        uint32_t jl;
        const char *json = en_rd_str(&r, &jl);
        if (r.bad)
            goto bad;
        if (json) {
            s->vars = cJSON_ParseWithLength(json, jl);
            if (!s->vars)
                goto bad;
        }
    }
    uint32_t nt = en_rd_u32(&r);
    if (r.bad || nt > (size_t)(r.end - r.p))
        goto bad;
    if (nt && bm_grow(e->a, (void **)&in->tokens, &(size_t){0}, nt, sizeof *in->tokens) != 0)
        goto oom;
    in->captokens = nt;
    in->ntokens = nt;
    for (uint32_t i = 0; i < nt; i++) {
        en_token *t = &in->tokens[i];
        t->id = en_rd_u32(&r);
        t->node = en_rd_u32(&r);
        t->scope = en_rd_u32(&r);
        t->state = en_rd_u8(&r);
        t->flags = en_rd_u8(&r);
        t->flow = en_rd_u32(&r);
        t->ref = en_rd_u64(&r);
        t->comp_of = en_rd_u32(&r);
        t->local = en_rd_u32(&r);
        t->since = format >= 6 ? (int64_t)en_rd_u64(&r) : 0;
        if ((i && t->id <= in->tokens[i - 1].id) || t->id > in->next_token)
            r.bad = 1; /* ids increase along the array: en_token_find searches it */
        if (t->local != EN_NONE && t->local >= in->nscopes)
            r.bad = 1;
        if (t->scope >= in->nscopes)
            r.bad = 1;
    }
    uint32_t nc = en_rd_u32(&r);
    if (r.bad || nc > (size_t)(r.end - r.p))
        goto bad;
    if (nc && bm_grow(e->a, (void **)&in->comp, &(size_t){0}, nc, sizeof *in->comp) != 0)
        goto oom;
    in->capcomp = in->ncomp = nc;
    for (uint32_t i = 0; i < nc; i++) {
        in->comp[i].node = en_rd_u32(&r);
        in->comp[i].gscope = (int32_t)en_rd_u32(&r);
    }
    if (r.bad || !in->process) /* every instance has a process: an empty name is damage */
        goto bad;
    rc = en_def_get(e, in->process, in->version, &in->def);
    if (rc != BPMN_OK) {
        en_inst_free(e, in);
        return rc;
    }
    for (uint32_t i = 0; i < in->ntokens; i++) {
        const en_token *t = &in->tokens[i];
        if (t->node >= in->def->g->nnodes)
            goto bad;
        /* an iteration of a loop: its element has loop characteristics, its scope a parent */
        if ((t->flags & EN_TF_INNER) &&
            (!in->def->loop[t->node] || in->scopes[t->scope].parent == EN_NONE))
            goto bad;
    }
    for (uint32_t i = 0; i < in->ncomp; i++)
        if (in->comp[i].node >= in->def->g->nnodes)
            goto bad;
    /* The process scope has no node; every other scope is an element's and the code indexes
     * the graph by its node and the scopes by its parent. */
    for (uint32_t i = 0; i < in->nscopes; i++) {
        const en_scope *s = &in->scopes[i];
        if (i == 0 ? s->node != EN_NONE : s->node >= in->def->g->nnodes)
            goto bad;
        if (s->parent != EN_NONE && s->parent >= in->nscopes)
            goto bad;
    }
    return BPMN_OK;
bad:
    en_inst_free(e, in);
    if (r.bad == EN_RD_OOM)
        return en_fail(e, BPMN_ENOMEM, "out of memory");
    return en_fail(e, BPMN_EIO, "instance %llu: the stored record is damaged",
                   (unsigned long long)id);
oom:
    en_inst_free(e, in);
    return BPMN_ENOMEM;
}

int en_inst_save(bpmn_engine *e, en_inst *in)
{
    /* Drop finished scopes, renumbering the ones tokens still point to. */
    uint32_t map_small[16];
    uint32_t *map = in->nscopes <= 16 ? map_small : bm_alloc(e->a, NULL, in->nscopes * sizeof *map);
    if (!map)
        return BPMN_ENOMEM;
    uint32_t k = 0;
    for (uint32_t i = 0; i < in->nscopes; i++) {
        if (in->scopes[i].alive || i == 0) {
            map[i] = k;
            if (k != i)
                in->scopes[k] = in->scopes[i];
            k++;
        } else {
            cJSON_Delete(in->scopes[i].vars);
            map[i] = EN_NONE;
        }
    }
    uint32_t old = in->nscopes;
    in->nscopes = k;
    for (uint32_t i = 0; i < in->nscopes; i++)
        if (in->scopes[i].parent != EN_NONE && in->scopes[i].parent < old)
            in->scopes[i].parent = map[in->scopes[i].parent];
    for (uint32_t i = 0; i < in->ntokens; i++)
        in->tokens[i].scope = map[in->tokens[i].scope];
    for (uint32_t i = 0; i < in->ntokens; i++)
        if (in->tokens[i].local != EN_NONE)
            in->tokens[i].local = in->tokens[i].local < old ? map[in->tokens[i].local] : EN_NONE;
    if (map != map_small)
        bm_free(e->a, map);

    en_buf b = {e->a, NULL, 0, 0, 0};
    en_buf_u8(&b, INST_FORMAT);
    en_buf_u8(&b, in->state);
    en_buf_str(&b, in->process);
    en_buf_u32(&b, in->version);
    en_buf_str(&b, in->key);
    en_buf_u64(&b, in->parent);
    en_buf_u32(&b, in->parent_token);
    en_buf_u32(&b, in->depth);
    en_buf_u8(&b, in->suspended);
    en_buf_u64(&b, (uint64_t)in->started);
    en_buf_u64(&b, (uint64_t)in->ended);
    en_buf_u32(&b, in->next_token);
    en_buf_str(&b, in->incident_element);
    en_buf_str(&b, in->incident_msg);
    en_buf_u32(&b, in->nscopes);
    for (uint32_t i = 0; i < in->nscopes; i++) {
        const en_scope *s = &in->scopes[i];
        en_buf_u32(&b, s->node);
        en_buf_u32(&b, s->parent);
        en_buf_u32(&b, s->token);
        en_buf_u8(&b, s->alive);
        en_buf_u8(&b, s->kind);
        char *json = s->vars && s->vars->child ? en_json_print(s->vars) : NULL;
        if (s->vars && s->vars->child && !json)
            b.oom = 1;
        en_buf_str(&b, json);
        cJSON_free(json);
    }
    en_buf_u32(&b, in->ntokens);
    for (uint32_t i = 0; i < in->ntokens; i++) {
        const en_token *t = &in->tokens[i];
        en_buf_u32(&b, t->id);
        en_buf_u32(&b, t->node);
        en_buf_u32(&b, t->scope);
        en_buf_u8(&b, t->state);
        en_buf_u8(&b, t->flags);
        en_buf_u32(&b, t->flow);
        en_buf_u64(&b, t->ref);
        en_buf_u32(&b, t->comp_of);
        en_buf_u32(&b, t->local);
        en_buf_u64(&b, (uint64_t)t->since);
    }
    en_buf_u32(&b, in->ncomp);
    for (uint32_t i = 0; i < in->ncomp; i++) {
        en_buf_u32(&b, in->comp[i].node);
        en_buf_u32(&b, (uint32_t)in->comp[i].gscope);
    }
    int rc = BPMN_ENOMEM;
    if (!b.oom) {
        uint8_t key[8];
        id_key(key, in->id);
        rc = st_put(e->txn, ST_INSTANCES, key, 8, b.p, b.n);
    }
    en_buf_free(&b);
    return rc;
}

/* ---- history ------------------------------------------------------------------------------ */

/* Block layout: u64 instance, str process, u32 version, str business key, u32 count, then
 * events, each: u8 type,
 * u64 time, u32 node, u64 task, str user, str variables (JSON), str extra members (JSON). The event count is implied by the key
 * range: the block's key is its first seq and holds hist_count events. */
void en_hist(bpmn_engine *e, en_inst *in, en_event ev, uint32_t node, uint64_t task,
             const char *user, const cJSON *vars)
{
    en_hist_x(e, in, ev, node, task, user, vars, NULL);
}

/* The event with its extra members already printed as a JSON object (or NULL). */
static void hist_add(bpmn_engine *e, en_inst *in, en_event ev, uint32_t node, uint64_t task,
                     const char *user, const cJSON *vars, const char *extra_json)
{
    cJSON *names = NULL;
    if (vars && e->history_level == BPMN_HISTORY_ACTIVITY) {
        /* Only which variables changed, not their values. */
        names = cJSON_CreateArray();
        for (const cJSON *v = vars->child; names && v; v = v->next)
            cJSON_AddItemToArray(names, cJSON_CreateString(v->string ? v->string : ""));
        if (!names)
            e->hist.oom = 1;
        vars = names;
    }
    en_buf *b = &e->hist;
    b->a = e->a;
    if (e->hist_count && e->hist_instance != in->id) {
        int rc = en_hist_flush(e);
        if (rc != BPMN_OK) {
            b->oom = 1;
            if (!e->hist_rc) /* a store error stays one: not reported as out of memory */
                e->hist_rc = rc;
        }
    }
    if (!e->hist_count) {
        b->n = 0;
        e->hist_instance = in->id;
        en_buf_u64(b, in->id);
        en_buf_str(b, in->process);
        en_buf_u32(b, in->version);
        en_buf_str(b, in->key);
        en_buf_u32(b, 0); /* patched with the count at flush */
    }
    en_buf_u8(b, (uint8_t)ev);
    en_buf_u64(b, (uint64_t)en_now(e));
    en_buf_u32(b, node);
    en_buf_u64(b, task);
    en_buf_str(b, user);
    char *json = vars ? en_json_print(vars) : NULL;
    if (vars && !json)
        b->oom = 1;
    en_buf_str(b, json);
    cJSON_free(json);
    en_buf_str(b, extra_json);
    cJSON_Delete(names);
    e->hist_count++;
}

void en_hist_x(bpmn_engine *e, en_inst *in, en_event ev, uint32_t node, uint64_t task,
               const char *user, const cJSON *vars, const cJSON *extra)
{
    if (e->history_level == BPMN_HISTORY_NONE)
        return;
    char *json = extra && extra->child ? en_json_print(extra) : NULL;
    if (extra && extra->child && !json)
        e->hist.oom = 1;
    hist_add(e, in, ev, node, task, user, vars, json);
    cJSON_free(json);
}

void en_hist_done(bpmn_engine *e, en_inst *in, const en_token *t)
{
    if (e->history_level == BPMN_HISTORY_NONE)
        return;
    /* Every element completion passes here: the one member is printed directly. */
    char extra[48];
    if (t->since > 0)
        snprintf(extra, sizeof extra, "{\"duration\":%lld}",
                 (long long)en_span(t->since, en_now(e)));
    hist_add(e, in, EN_EV_ELEMENT_COMPLETED, t->node, 0, NULL, NULL, t->since > 0 ? extra : NULL);
}

int en_hist_flush(bpmn_engine *e)
{
    en_buf *b = &e->hist;
    if (!e->hist_count)
        return BPMN_OK;
    if (b->oom)
        return e->hist_rc ? e->hist_rc : BPMN_ENOMEM;
    /* The count sits after the header: instance, process, version, business key. */
    en_rd r = {b->p, b->p + b->n, 0};
    en_rd_u64(&r);
    uint32_t pl;
    en_rd_str(&r, &pl);
    en_rd_u32(&r);
    en_rd_str(&r, &pl);
    uint8_t *cnt = (uint8_t *)r.p;
    uint32_t c = e->hist_count;
    cnt[0] = (uint8_t)(c >> 24), cnt[1] = (uint8_t)(c >> 16), cnt[2] = (uint8_t)(c >> 8),
    cnt[3] = (uint8_t)c;
    const void *v;
    size_t vl;
    uint64_t seq = 0;
    int rc = st_get(e->txn, ST_META, "seq", 3, &v, &vl);
    if (rc == BPMN_OK && vl == 8)
        seq = st_rd64(v);
    else if (rc != BPMN_ENOTFOUND && rc != BPMN_OK)
        return rc;
    uint8_t k[8], nv[8];
    /* Keyed by the block's last seq, so that a seek to seq N lands on the block holding N. */
    st_be64(k, seq + c);
    st_be64(nv, seq + c);
    rc = st_append(e->txn, ST_HISTORY, k, 8, b->p, b->n);
    if (rc == BPMN_OK)
        rc = st_put(e->txn, ST_META, "seq", 3, nv, 8);
    e->hist_count = 0;
    b->n = 0;
    return rc;
}
