/*
 * report.c - the sales funnel computed from history: for each stage of a process (a node where
 * instances wait: user tasks, jobs, receive tasks, catch events, call activities, sub-processes,
 * on the process's own paths rather than side work a non-interrupting event starts), in diagram
 * order, how many instances entered it, how many completed it, how many wait there
 * now, and the average and median time spent in it. One pass over the history with a cursor.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"

typedef struct stage {
    const char *id, *name;
    uint64_t entered, completed, left; /* left: terminated without completing */
    int64_t *times;
    size_t ntimes, cap;
} stage;

/* Open visits: (instance, node) -> activation time, open addressing. */
typedef struct visit {
    uint64_t key;
    int64_t at;
} visit;

/* With --group-by: the stages of each value of the variable, as the instance started. */
typedef struct group {
    char *value;
    stage *stages;
} group;

typedef struct funnel {
    bpmn_engine *e;
    const char *process;
    const char *group_by;
    en_def *latest;
    stage *stages;   /* indexed by node of the latest version */
    visit *open;
    size_t cap, used;
    group *groups;
    size_t ngroups, capgroups;
    uint64_t *inst_ids; /* instance -> group, in start order (ids grow): binary search */
    uint32_t *inst_group;
    size_t ninst, capinst, capinstg;
} funnel;

/* The group of a value (created on first sight); -1 when memory runs out. */
static int group_of_value(funnel *f, const char *value)
{
    for (size_t i = 0; i < f->ngroups; i++)
        if (strcmp(f->groups[i].value, value) == 0)
            return (int)i;
    size_t nn = f->latest->g->nnodes + 1;
    if (bm_grow(f->e->a, (void **)&f->groups, &f->capgroups, f->ngroups + 1, sizeof *f->groups))
        return -1;
    group *g = &f->groups[f->ngroups];
    g->value = en_strdup(f->e->a, value);
    g->stages = bm_alloc(f->e->a, NULL, nn * sizeof *g->stages);
    if (!g->value || !g->stages) {
        bm_free(f->e->a, g->value);
        bm_free(f->e->a, g->stages);
        return -1;
    }
    memcpy(g->stages, f->stages, nn * sizeof *g->stages); /* ids and names */
    for (size_t i = 0; i < nn; i++)
        g->stages[i].entered = g->stages[i].completed = g->stages[i].left = 0,
        g->stages[i].times = NULL, g->stages[i].ntimes = g->stages[i].cap = 0;
    return (int)f->ngroups++;
}

static int group_of_inst(funnel *f, uint64_t inst)
{
    size_t lo = 0, hi = f->ninst;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (f->inst_ids[mid] < inst)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < f->ninst && f->inst_ids[lo] == inst)
        return (int)f->inst_group[lo];
    return group_of_value(f, "(none)");
}

static int is_stage(const bg_node *n)
{
    switch (n->kind) {
    case BM_USER_TASK:
    case BM_SERVICE_TASK:
    case BM_SEND_TASK:
    case BM_BUSINESS_RULE_TASK:
    case BM_RECEIVE_TASK:
    case BM_CALL_ACTIVITY:
    case BM_SUB_PROCESS:
    case BM_INTERMEDIATE_CATCH_EVENT:
        return 1;
    default:
        return 0;
    }
}

typedef struct walk {
    const bg_graph *g;
    uint8_t *on;
    uint32_t *stack;
    size_t sp;
} walk;

static void walk_push(walk *w, uint32_t x)
{
    if (x < w->g->nnodes && !w->on[x]) {
        w->on[x] = 1;
        w->stack[w->sp++] = x;
    }
}

/* Entering a scope: its start events (only the interrupting ones of an event sub-process), and
 * the event sub-processes in it that one of their start events interrupts. */
static void walk_scope(walk *w, int32_t sc, int event_sub)
{
    const bg_graph *g = w->g;
    if (sc < 0 || (uint32_t)sc >= g->nscopes)
        return;
    for (uint32_t i = 0; i < g->scopes[sc].nstarts; i++) {
        uint32_t st = g->starts[g->scopes[sc].starts + i];
        if (!event_sub || (g->nodes[st].flags & BG_F_INTERRUPTING))
            walk_push(w, st);
    }
    for (uint32_t i = 0; i < g->scopes[sc].nevent_subs; i++) {
        uint32_t es = g->event_subs[g->scopes[sc].event_subs + i];
        int32_t in = g->nodes[es].inner_scope;
        for (uint32_t k = 0; in >= 0 && (uint32_t)in < g->nscopes && k < g->scopes[in].nstarts; k++)
            if (g->nodes[g->starts[g->scopes[in].starts + k]].flags & BG_F_INTERRUPTING)
                walk_push(w, es);
    }
}

/* The nodes on the process's own paths: reached from its start events through sequence flows,
 * links, sub-processes, interrupting boundary events and interrupting event sub-processes. What a
 * non-interrupting event starts beside them (a reminder, a notification) is side work, not a
 * stage of the funnel. Returns a byte per node, or NULL when out of memory. */
static uint8_t *main_paths(const bpmn_allocator *a, const bg_graph *g)
{
    walk w = {g, bm_alloc(a, NULL, g->nnodes + 1),
              bm_alloc(a, NULL, (g->nnodes + 1) * sizeof *w.stack), 0};
    if (!w.on || !w.stack) {
        bm_free(a, w.on);
        bm_free(a, w.stack);
        return NULL;
    }
    memset(w.on, 0, g->nnodes + 1);
    walk_scope(&w, 0, 0);
    while (w.sp) {
        const bg_node *n = &g->nodes[w.stack[--w.sp]];
        for (uint32_t i = 0; i < n->nout; i++)
            walk_push(&w, g->flows[g->out[n->out + i]].target);
        for (uint32_t i = 0; i < n->nboundary; i++)
            if (g->nodes[g->boundary[n->boundary + i]].flags & BG_F_INTERRUPTING)
                walk_push(&w, g->boundary[n->boundary + i]);
        if (n->kind == BM_INTERMEDIATE_THROW_EVENT && n->trigger == BG_EV_LINK && n->event_ref)
            for (uint32_t i = 0; i < g->nnodes; i++)
                if (g->nodes[i].kind == BM_INTERMEDIATE_CATCH_EVENT &&
                    g->nodes[i].trigger == BG_EV_LINK && g->nodes[i].scope == n->scope &&
                    g->nodes[i].event_ref && strcmp(g->nodes[i].event_ref, n->event_ref) == 0)
                    walk_push(&w, i);
        walk_scope(&w, n->inner_scope, (n->flags & BG_F_EVENT_SUBPROCESS) != 0);
    }
    bm_free(a, w.stack);
    return w.on;
}

static uint64_t mix(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return k;
}

static visit *slot(funnel *f, uint64_t key, int create)
{
    if (create && (f->used + 1) * 2 > f->cap) {
        size_t ncap = f->cap ? f->cap * 2 : 1024;
        visit *nv = bm_alloc(f->e->a, NULL, ncap * sizeof *nv);
        if (!nv)
            return NULL;
        memset(nv, 0, ncap * sizeof *nv);
        for (size_t i = 0; i < f->cap; i++) {
            if (!f->open[i].key)
                continue;
            size_t h = mix(f->open[i].key) & (ncap - 1);
            while (nv[h].key)
                h = (h + 1) & (ncap - 1);
            nv[h] = f->open[i];
        }
        bm_free(f->e->a, f->open);
        f->open = nv;
        f->cap = ncap;
    }
    if (!f->cap)
        return NULL;
    size_t h = mix(key) & (f->cap - 1);
    while (f->open[h].key && f->open[h].key != key)
        h = (h + 1) & (f->cap - 1);
    if (!f->open[h].key && !create)
        return NULL;
    if (!f->open[h].key) {
        f->open[h].key = key;
        f->used++;
    }
    return &f->open[h];
}

/* Removes a visit, re-inserting the run after it (linear probing). */
static void unslot(funnel *f, visit *v)
{
    size_t i = (size_t)(v - f->open);
    f->open[i].key = 0;
    f->used--;
    for (size_t j = (i + 1) & (f->cap - 1); f->open[j].key; j = (j + 1) & (f->cap - 1)) {
        visit moved = f->open[j];
        f->open[j].key = 0;
        f->used--;
        visit *n = slot(f, moved.key, 1);
        n->at = moved.at;
    }
}

/* One history block: the visits of this process's stages. */
static int block(funnel *f, const void *v, size_t vl)
{
    bpmn_engine *e = f->e;
    en_rd r = {v, (const uint8_t *)v + vl, 0};
    uint64_t inst = en_rd_u64(&r);
    uint32_t pl, kl2;
    const char *proc = en_rd_str(&r, &pl);
    uint32_t version = en_rd_u32(&r);
    en_rd_str(&r, &kl2);
    uint32_t count = en_rd_u32(&r);
    if (r.bad)
        return en_fail(e, BPMN_EIO, "a stored history block is damaged");
    if (pl != strlen(f->process) || memcmp(proc, f->process, pl) != 0)
        return BPMN_OK;
    en_def *d = NULL;
    int rc = version == f->latest->version ? (d = f->latest, BPMN_OK)
                                           : en_def_get(e, f->process, version, &d);
    if (rc != BPMN_OK)
        return rc;
    for (uint32_t i = 0; i < count && rc == BPMN_OK; i++) {
        uint8_t type = en_rd_u8(&r);
        int64_t time = (int64_t)en_rd_u64(&r);
        uint32_t node = en_rd_u32(&r), sl, vlen;
        en_rd_u64(&r);
        en_rd_str(&r, &sl);
        const char *vars = en_rd_str(&r, &vlen);
        en_rd_str(&r, &sl);
        if (r.bad)
            return en_fail(e, BPMN_EIO, "a stored history block is damaged");
        if (f->group_by && type == EN_EV_INSTANCE_STARTED) {
            /* The value the instance started with decides its group. */
            cJSON *vj = vars ? cJSON_ParseWithLength(vars, vlen) : NULL;
            const cJSON *gv = cJSON_GetObjectItemCaseSensitive(vj, f->group_by);
            char buf[128];
            if (cJSON_IsString(gv))
                snprintf(buf, sizeof buf, "%s", gv->valuestring);
            else if (cJSON_IsNumber(gv))
                snprintf(buf, sizeof buf, "%.15g", gv->valuedouble);
            else if (cJSON_IsBool(gv))
                snprintf(buf, sizeof buf, "%s", cJSON_IsTrue(gv) ? "true" : "false");
            else
                snprintf(buf, sizeof buf, "(none)");
            cJSON_Delete(vj);
            int gi = group_of_value(f, buf);
            if (gi < 0 ||
                bm_grow(e->a, (void **)&f->inst_ids, &f->capinst, f->ninst + 1, sizeof *f->inst_ids) ||
                bm_grow(e->a, (void **)&f->inst_group, &f->capinstg, f->ninst + 1, sizeof *f->inst_group))
                return BPMN_ENOMEM;
            f->inst_ids[f->ninst] = inst;
            f->inst_group[f->ninst++] = (uint32_t)gi;
        }
        if (node == EN_NONE || node >= d->g->nnodes || !is_stage(&d->g->nodes[node]))
            continue;
        /* Stages are matched by element id, so that versions add up. */
        int32_t sidx = d == f->latest ? (int32_t)node : bg_find(f->latest->g, d->g->nodes[node].id);
        if (sidx < 0 || !f->stages[sidx].id)
            continue;
        stage *s = &f->stages[sidx];
        if (f->group_by) {
            int gi = group_of_inst(f, inst);
            if (gi < 0)
                return BPMN_ENOMEM;
            s = &f->groups[gi].stages[sidx];
        }
        uint64_t key = inst << 20 ^ (uint64_t)sidx ^ 1;
        if (type == EN_EV_ELEMENT_ACTIVATED) {
            visit *vt = slot(f, key, 1);
            if (!vt)
                return BPMN_ENOMEM;
            vt->at = time;
            s->entered++;
        } else if (type == EN_EV_ELEMENT_COMPLETED || type == EN_EV_ELEMENT_TERMINATED) {
            visit *vt = slot(f, key, 0);
            if (type == EN_EV_ELEMENT_COMPLETED) {
                s->completed++;
                if (vt) {
                    if (bm_grow(e->a, (void **)&s->times, &s->cap, s->ntimes + 1, sizeof *s->times))
                        return BPMN_ENOMEM;
                    s->times[s->ntimes++] = en_span(vt->at, time);
                }
            } else {
                s->left++;
            }
            if (vt)
                unslot(f, vt);
        }
    }
    return BPMN_OK;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* The counters of one stage (or one group of it) as members of o. */
static int stage_counts(cJSON *o, stage *s)
{
    double avg = 0, median = 0;
    if (s->ntimes) {
        double sum = 0;
        for (size_t q = 0; q < s->ntimes; q++)
            sum += (double)s->times[q];
        avg = sum / (double)s->ntimes;
        qsort(s->times, s->ntimes, sizeof *s->times, cmp_i64);
        median = s->ntimes % 2 ? (double)s->times[s->ntimes / 2]
                               : ((double)s->times[s->ntimes / 2 - 1] + (double)s->times[s->ntimes / 2]) / 2;
    }
    uint64_t waiting = s->entered - s->completed - s->left;
    return cJSON_AddNumberToObject(o, "waiting", (double)waiting) &&
                   cJSON_AddNumberToObject(o, "entered", (double)s->entered) &&
                   cJSON_AddNumberToObject(o, "completed", (double)s->completed) &&
                   cJSON_AddNumberToObject(o, "avgMs", avg) &&
                   cJSON_AddNumberToObject(o, "medianMs", median)
               ? BPMN_OK
               : BPMN_ENOMEM;
}

int bpmn_report_funnel(bpmn_engine *e, const char *process, char **json_out)
{
    return bpmn_report_funnel_by(e, process, NULL, json_out);
}

int bpmn_report_funnel_by(bpmn_engine *e, const char *process, const char *group_by,
                          char **json_out)
{
    if (!e || !process || !json_out)
        return BPMN_EINVAL;
    *json_out = NULL;
    e->err[0] = '\0';
    st_txn *t;
    int rc = en_read_begin(e, &t);
    if (rc != BPMN_OK)
        return en_status(e, rc);
    e->txn = t;
    funnel f;
    memset(&f, 0, sizeof f);
    f.e = e;
    f.process = process;
    f.group_by = group_by && *group_by ? group_by : NULL;
    group_by = f.group_by;
    uint32_t version = 0;
    rc = en_def_latest(e, process, &version);
    if (rc == BPMN_ENOTFOUND)
        rc = en_fail(e, rc, "process '%s' is not deployed", process);
    if (rc == BPMN_OK)
        rc = en_def_get(e, process, version, &f.latest);
    if (rc == BPMN_OK) {
        const bg_graph *g = f.latest->g;
        f.stages = bm_alloc(e->a, NULL, (g->nnodes + 1) * sizeof *f.stages);
        if (!f.stages)
            rc = BPMN_ENOMEM;
        else
            memset(f.stages, 0, (g->nnodes + 1) * sizeof *f.stages);
        uint8_t *on = rc == BPMN_OK ? main_paths(e->a, g) : NULL;
        if (rc == BPMN_OK && !on)
            rc = BPMN_ENOMEM;
        for (uint32_t i = 0; rc == BPMN_OK && i < g->nnodes; i++)
            if (on[i] && is_stage(&g->nodes[i]) && g->nodes[i].id) {
                f.stages[i].id = g->nodes[i].id;
                f.stages[i].name = g->nodes[i].name;
            }
        bm_free(e->a, on);
    }
    st_cursor *c = NULL;
    const void *k = NULL, *v = NULL;
    size_t kl = 0, vl = 0;
    if (rc == BPMN_OK)
        rc = st_cursor_open(t, ST_HISTORY, &c);
    int step = rc == BPMN_OK ? st_cursor_seek(c, NULL, 0, &k, &kl, &v, &vl) : rc;
    while (rc == BPMN_OK && step == BPMN_OK) {
        rc = block(&f, v, vl);
        if (rc == BPMN_OK)
            step = st_cursor_next(c, &k, &kl, &v, &vl);
    }
    if (rc == BPMN_OK && step != BPMN_ENOTFOUND)
        rc = step;
    st_cursor_close(c);
    cJSON *o = rc == BPMN_OK ? cJSON_CreateObject() : NULL;
    cJSON *arr = o && cJSON_AddStringToObject(o, "process", process)
                     ? cJSON_AddArrayToObject(o, "stages") : NULL;
    if (rc == BPMN_OK && !arr)
        rc = BPMN_ENOMEM;
    if (rc == BPMN_OK && group_by && !cJSON_AddStringToObject(o, "groupBy", group_by))
        rc = BPMN_ENOMEM;
    for (uint32_t i = 0; rc == BPMN_OK && f.latest && i < f.latest->g->nnodes; i++) {
        stage *s = &f.stages[i];
        if (!s->id)
            continue;
        cJSON *so = cJSON_CreateObject();
        if (!so || !cJSON_AddItemToArray(arr, so) || !cJSON_AddStringToObject(so, "element", s->id) ||
            !en_json_str(so, "name", s->name)) {
            rc = BPMN_ENOMEM;
            break;
        }
        if (!group_by) {
            rc = stage_counts(so, s);
            continue;
        }
        cJSON *ga = cJSON_AddArrayToObject(so, "groups");
        for (size_t gi = 0; rc == BPMN_OK && gi < f.ngroups; gi++) {
            cJSON *go = cJSON_CreateObject();
            if (!ga || !go || !cJSON_AddItemToArray(ga, go) ||
                !cJSON_AddStringToObject(go, "value", f.groups[gi].value))
                rc = BPMN_ENOMEM;
            else
                rc = stage_counts(go, &f.groups[gi].stages[i]);
        }
    }
    for (size_t gi = 0; gi < f.ngroups; gi++) {
        for (uint32_t i = 0; f.latest && i < f.latest->g->nnodes; i++)
            bm_free(e->a, f.groups[gi].stages[i].times);
        bm_free(e->a, f.groups[gi].stages);
        bm_free(e->a, f.groups[gi].value);
    }
    bm_free(e->a, f.groups);
    bm_free(e->a, f.inst_ids);
    bm_free(e->a, f.inst_group);
    for (uint32_t i = 0; f.stages && f.latest && i < f.latest->g->nnodes; i++)
        bm_free(e->a, f.stages[i].times);
    bm_free(e->a, f.stages);
    bm_free(e->a, f.open);
    e->txn = NULL;
    en_read_end(e, t);
    if (rc == BPMN_OK && !(*json_out = en_json_out(e, o)))
        return en_status(e, BPMN_ENOMEM);
    if (rc != BPMN_OK)
        cJSON_Delete(o);
    return en_status(e, rc);
}

/* ---- durations ---------------------------------------------------------------------------- */

typedef struct dur_row {
    char process[201];
    uint32_t version;
    uint64_t started, completed, terminated, incidents, open;
    int64_t *times;
    size_t ntimes, cap;
} dur_row;

static double pct(const int64_t *v, size_t n, double p)
{
    if (!n)
        return 0;
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return (double)v[i < n ? i : n - 1];
}

int bpmn_report_durations(bpmn_engine *e, const char *process, char **json_out)
{
    if (!e || !json_out)
        return BPMN_EINVAL;
    *json_out = NULL;
    e->err[0] = '\0';
    st_txn *t;
    int rc = en_read_begin(e, &t);
    if (rc != BPMN_OK)
        return en_status(e, rc);
    dur_row *rows = NULL;
    size_t n = 0, cap = 0;
    st_cursor *c = NULL;
    const void *k = NULL, *v = NULL;
    size_t kl = 0, vl = 0;
    rc = st_cursor_open(t, ST_INSTANCES, &c);
    int step = rc == BPMN_OK ? st_cursor_seek(c, NULL, 0, &k, &kl, &v, &vl) : rc;
    /* One pass over the instance headers: no definition, no variables are decoded. */
    while (rc == BPMN_OK && step == BPMN_OK) {
        en_rd r = {v, (const uint8_t *)v + vl, 0};
        en_rd_u8(&r);
        uint8_t state = en_rd_u8(&r);
        uint32_t pl, sl;
        const char *p = en_rd_str(&r, &pl);
        uint32_t version = en_rd_u32(&r);
        en_rd_str(&r, &sl);
        en_rd_u64(&r);
        en_rd_u32(&r);
        en_rd_u32(&r);
        en_rd_u8(&r);
        int64_t started = (int64_t)en_rd_u64(&r), ended = (int64_t)en_rd_u64(&r);
        /* p is NULL for a record without a process name: a damaged one, skipped */
        if (!r.bad && p && pl <= 200 && (!process || (strlen(process) == pl && memcmp(process, p, pl) == 0))) {
            dur_row *row = NULL;
            for (size_t i = 0; i < n && !row; i++)
                if (rows[i].version == version && strlen(rows[i].process) == pl &&
                    memcmp(rows[i].process, p, pl) == 0)
                    row = &rows[i];
            if (!row) {
                if (bm_grow(e->a, (void **)&rows, &cap, n + 1, sizeof *rows) != 0) {
                    rc = BPMN_ENOMEM;
                    break;
                }
                row = &rows[n++];
                memset(row, 0, sizeof *row);
                memcpy(row->process, p, pl);
                row->version = version;
            }
            row->started++;
            if (state == EN_COMPLETED) {
                row->completed++;
                if (bm_grow(e->a, (void **)&row->times, &row->cap, row->ntimes + 1, sizeof *row->times)) {
                    rc = BPMN_ENOMEM;
                    break;
                }
                row->times[row->ntimes++] = en_span(started, ended);
            } else if (state == EN_TERMINATED) {
                row->terminated++;
            } else {
                row->open++;
                row->incidents += state == EN_INCIDENT;
            }
        }
        step = st_cursor_next(c, &k, &kl, &v, &vl);
    }
    if (rc == BPMN_OK && step != BPMN_ENOTFOUND)
        rc = step;
    st_cursor_close(c);
    en_read_end(e, t);
    cJSON *arr = rc == BPMN_OK ? cJSON_CreateArray() : NULL;
    if (rc == BPMN_OK && !arr)
        rc = BPMN_ENOMEM;
    for (size_t i = 0; rc == BPMN_OK && i < n; i++) {
        dur_row *row = &rows[i];
        if (row->ntimes) /* no completed instance yet: times is NULL, which qsort may not get */
            qsort(row->times, row->ntimes, sizeof *row->times, cmp_i64);
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(arr, o) || !cJSON_AddStringToObject(o, "process", row->process) ||
            !cJSON_AddNumberToObject(o, "version", row->version) ||
            !cJSON_AddNumberToObject(o, "started", (double)row->started) ||
            !cJSON_AddNumberToObject(o, "completed", (double)row->completed) ||
            !cJSON_AddNumberToObject(o, "terminated", (double)row->terminated) ||
            !cJSON_AddNumberToObject(o, "incidents", (double)row->incidents) ||
            !cJSON_AddNumberToObject(o, "open", (double)row->open) ||
            !cJSON_AddNumberToObject(o, "minMs", row->ntimes ? (double)row->times[0] : 0) ||
            !cJSON_AddNumberToObject(o, "medianMs", pct(row->times, row->ntimes, 0.5)) ||
            !cJSON_AddNumberToObject(o, "p90Ms", pct(row->times, row->ntimes, 0.9)) ||
            !cJSON_AddNumberToObject(o, "maxMs", row->ntimes ? (double)row->times[row->ntimes - 1] : 0))
            rc = BPMN_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        bm_free(e->a, rows[i].times);
    bm_free(e->a, rows);
    if (rc == BPMN_OK && !(*json_out = en_json_out(e, arr)))
        return en_status(e, BPMN_ENOMEM);
    if (rc != BPMN_OK)
        cJSON_Delete(arr);
    return en_status(e, rc);
}
