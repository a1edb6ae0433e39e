/*
 * report_tasks.c - each performer's record, from history and the open tasks: per assignee and
 * per candidate group, tasks created, completed, completed late, open and overdue now, and the
 * median and 90th percentile of the time to complete. Created and completed count events inside
 * [from, to); open and overdue are the state now.
 *
 * A completed task is credited to whoever held it then (its assignee at creation, changed by each
 * claim and unclaim), else to the user who completed it: an operator completing a claimed task
 * (the server does, for users with the work right) does not take the credit from its assignee.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"

typedef struct perf {
    char name[128];
    int group;
    uint64_t created, completed, late, open, overdue;
    int64_t *times;
    size_t ntimes, cap;
} perf;

typedef struct task_groups {
    uint64_t task;
    char *groups;   /* candidate groups, or NULL */
    char *assignee; /* who holds it now (created assigned, claimed), or NULL */
} task_groups;

typedef struct tctx {
    bpmn_engine *e;
    const char *process;
    int64_t from, to, now;
    perf *rows;
    size_t n, cap;
    task_groups *tg;
    size_t ntg, captg;
    int oom;
} tctx;

static perf *row(tctx *c, const char *name, size_t len, int group)
{
    if (len >= sizeof c->rows[0].name)
        len = sizeof c->rows[0].name - 1;
    for (size_t i = 0; i < c->n; i++)
        if (c->rows[i].group == group && strlen(c->rows[i].name) == len &&
            memcmp(c->rows[i].name, name, len) == 0)
            return &c->rows[i];
    if (bm_grow(c->e->a, (void **)&c->rows, &c->cap, c->n + 1, sizeof *c->rows) != 0) {
        c->oom = 1;
        return NULL;
    }
    perf *p = &c->rows[c->n++];
    memset(p, 0, sizeof *p);
    memcpy(p->name, name, len);
    p->group = group;
    return p;
}

/* Calls fn for every name of a comma-separated list. */
static void each(tctx *c, const char *csv, int group, void (*fn)(tctx *, perf *, void *), void *ud)
{
    while (csv && *csv) {
        while (*csv == ' ')
            csv++;
        const char *end = strchr(csv, ',');
        size_t n = end ? (size_t)(end - csv) : strlen(csv);
        while (n && csv[n - 1] == ' ')
            n--;
        perf *p = n ? row(c, csv, n, group) : NULL;
        if (p)
            fn(c, p, ud);
        csv = end ? end + 1 : NULL;
    }
}

static void add_created(tctx *c, perf *p, void *ud)
{
    (void)c, (void)ud;
    p->created++;
}

typedef struct done_info {
    int64_t duration;
    int late;
} done_info;

static void add_done(tctx *c, perf *p, void *ud)
{
    done_info *d = ud;
    p->completed++;
    p->late += d->late;
    if (bm_grow(c->e->a, (void **)&p->times, &p->cap, p->ntimes + 1, sizeof *p->times) != 0) {
        c->oom = 1;
        return;
    }
    p->times[p->ntimes++] = d->duration;
}

static task_groups *task_of(tctx *c, uint64_t task)
{
    size_t lo = 0, hi = c->ntg; /* task ids arrive in increasing order: binary search */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c->tg[mid].task < task)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->ntg && c->tg[lo].task == task ? &c->tg[lo] : NULL;
}

static void set_assignee(tctx *c, task_groups *tg, const char *user, size_t len)
{
    bm_free(c->e->a, tg->assignee);
    tg->assignee = NULL;
    if (!user || !len)
        return;
    if (!(tg->assignee = bm_alloc(c->e->a, NULL, len + 1))) {
        c->oom = 1;
        return;
    }
    memcpy(tg->assignee, user, len);
    tg->assignee[len] = '\0';
}

static int hist_block(tctx *c, const void *v, size_t vl)
{
    en_rd r = {v, (const uint8_t *)v + vl, 0};
    en_rd_u64(&r);
    uint32_t pl, l;
    const char *proc = en_rd_str(&r, &pl);
    en_rd_u32(&r);
    en_rd_str(&r, &l);
    uint32_t count = en_rd_u32(&r);
    if (r.bad)
        return en_fail(c->e, BPMN_EIO, "a stored history block is damaged");
    int mine = !c->process || (strlen(c->process) == pl && memcmp(c->process, proc, pl) == 0);
    for (uint32_t i = 0; i < count && !c->oom; i++) {
        uint8_t type = en_rd_u8(&r);
        int64_t time = (int64_t)en_rd_u64(&r);
        en_rd_u32(&r);
        uint64_t task = en_rd_u64(&r);
        uint32_t ul, jl, xl;
        const char *user = en_rd_str(&r, &ul);
        en_rd_str(&r, &jl);
        const char *extra = en_rd_str(&r, &xl);
        if (r.bad)
            return en_fail(c->e, BPMN_EIO, "a stored history block is damaged");
        if (!mine || (type != EN_EV_TASK_CREATED && type != EN_EV_TASK_COMPLETED &&
                      type != EN_EV_TASK_CLAIMED && type != EN_EV_TASK_UNCLAIMED))
            continue;
        if (type == EN_EV_TASK_CLAIMED || type == EN_EV_TASK_UNCLAIMED) {
            task_groups *tg = task_of(c, task);
            if (tg)
                set_assignee(c, tg, type == EN_EV_TASK_CLAIMED ? user : NULL, ul);
            continue;
        }
        cJSON *x = extra ? cJSON_ParseWithLength(extra, xl) : NULL;
        const cJSON *g = cJSON_GetObjectItemCaseSensitive(x, "candidateGroups");
        int in_window = time >= c->from && time < c->to;
        if (type == EN_EV_TASK_CREATED) {
            const cJSON *a = cJSON_GetObjectItemCaseSensitive(x, "assignee");
            if (bm_grow(c->e->a, (void **)&c->tg, &c->captg, c->ntg + 1, sizeof *c->tg) != 0) {
                c->oom = 1;
            } else {
                task_groups *tg = &c->tg[c->ntg++];
                memset(tg, 0, sizeof *tg);
                tg->task = task;
                if ((cJSON_IsString(g) && !(tg->groups = en_strdup(c->e->a, g->valuestring))) ||
                    (cJSON_IsString(a) && !(tg->assignee = en_strdup(c->e->a, a->valuestring))))
                    c->oom = 1;
            }
            if (in_window) {
                if (cJSON_IsString(a))
                    each(c, a->valuestring, 0, add_created, NULL);
                if (cJSON_IsString(g))
                    each(c, g->valuestring, 1, add_created, NULL);
            }
        } else if (in_window) {
            const cJSON *d = cJSON_GetObjectItemCaseSensitive(x, "duration");
            done_info di = {cJSON_IsNumber(d) ? (int64_t)d->valuedouble : 0,
                            cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x, "late"))};
            task_groups *tg = task_of(c, task);
            perf *p = tg && tg->assignee ? row(c, tg->assignee, strlen(tg->assignee), 0)
                      : user             ? row(c, user, ul, 0)
                                         : NULL;
            if (p)
                add_done(c, p, &di);
            each(c, tg ? tg->groups : NULL, 1, add_done, &di);
            if (tg)
                set_assignee(c, tg, NULL, 0);
        }
        cJSON_Delete(x);
    }
    return c->oom ? BPMN_ENOMEM : BPMN_OK;
}

static void add_open(tctx *c, perf *p, void *ud)
{
    (void)c;
    p->open++;
    p->overdue += *(int *)ud;
}

static int open_task(tctx *c, const uint8_t *k, const void *v, size_t vl)
{
    en_task t;
    int rc = en_task_read(c->e, st_rd64(k), &t); /* decodes; v only tells it exists */
    (void)v, (void)vl;
    if (rc != BPMN_OK)
        return rc;
    if (!c->process || strcmp(c->process, t.process) == 0) {
        int overdue = t.due && t.due < c->now;
        if (t.assignee)
            each(c, t.assignee, 0, add_open, &overdue);
        each(c, t.cand_groups, 1, add_open, &overdue);
    }
    en_task_free(c->e, &t);
    return c->oom ? BPMN_ENOMEM : BPMN_OK;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static double pctl(const int64_t *v, size_t n, double p)
{
    if (!n)
        return 0;
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return (double)v[i < n ? i : n - 1];
}

int bpmn_report_tasks(bpmn_engine *e, const char *process, long long from, long long to,
                      char **json_out)
{
    if (!e || !json_out)
        return BPMN_EINVAL;
    *json_out = NULL;
    e->err[0] = '\0';
    tctx c;
    memset(&c, 0, sizeof c);
    c.e = e;
    c.process = process;
    c.from = from;
    c.to = to > 0 ? to : INT64_MAX;
    c.now = en_now(e);
    st_txn *t;
    int rc = en_read_begin(e, &t);
    if (rc != BPMN_OK)
        return en_status(e, rc);
    e->txn = t;
    st_table tables[2] = {ST_HISTORY, ST_TASKS};
    for (int pass = 0; pass < 2 && rc == BPMN_OK; pass++) {
        st_cursor *cur = NULL;
        const void *k = NULL, *v = NULL;
        size_t kl = 0, vl = 0;
        rc = st_cursor_open(t, tables[pass], &cur);
        int step = rc == BPMN_OK ? st_cursor_seek(cur, NULL, 0, &k, &kl, &v, &vl) : rc;
        while (rc == BPMN_OK && step == BPMN_OK) {
            rc = kl != 8 ? en_fail(e, BPMN_EIO, "a stored key is damaged")
                 : pass == 0 ? hist_block(&c, v, vl) : open_task(&c, k, v, vl);
            if (rc == BPMN_OK)
                step = st_cursor_next(cur, &k, &kl, &v, &vl);
        }
        if (rc == BPMN_OK && step != BPMN_ENOTFOUND)
            rc = step;
        st_cursor_close(cur);
    }
    e->txn = NULL;
    en_read_end(e, t);
    cJSON *o = rc == BPMN_OK ? cJSON_CreateObject() : NULL;
    cJSON *lists[2] = {o ? cJSON_AddArrayToObject(o, "assignees") : NULL,
                       o ? cJSON_AddArrayToObject(o, "groups") : NULL};
    if (rc == BPMN_OK && (!lists[0] || !lists[1]))
        rc = BPMN_ENOMEM;
    for (size_t i = 0; rc == BPMN_OK && i < c.n; i++) {
        perf *p = &c.rows[i];
        if (p->ntimes) /* nothing completed yet: times is NULL, which qsort may not get */
            qsort(p->times, p->ntimes, sizeof *p->times, cmp64);
        cJSON *r = cJSON_CreateObject();
        if (!r || !cJSON_AddItemToArray(lists[p->group], r) ||
            !cJSON_AddStringToObject(r, p->group ? "group" : "user", p->name) ||
            !cJSON_AddNumberToObject(r, "created", (double)p->created) ||
            !cJSON_AddNumberToObject(r, "completed", (double)p->completed) ||
            !cJSON_AddNumberToObject(r, "completedLate", (double)p->late) ||
            !cJSON_AddNumberToObject(r, "open", (double)p->open) ||
            !cJSON_AddNumberToObject(r, "overdue", (double)p->overdue) ||
            !cJSON_AddNumberToObject(r, "medianMs", pctl(p->times, p->ntimes, 0.5)) ||
            !cJSON_AddNumberToObject(r, "p90Ms", pctl(p->times, p->ntimes, 0.9)))
            rc = BPMN_ENOMEM;
    }
    for (size_t i = 0; i < c.n; i++)
        bm_free(e->a, c.rows[i].times);
    for (size_t i = 0; i < c.ntg; i++) {
        bm_free(e->a, c.tg[i].groups);
        bm_free(e->a, c.tg[i].assignee);
    }
    bm_free(e->a, c.rows);
    bm_free(e->a, c.tg);
    if (rc == BPMN_OK && !(*json_out = en_json_out(e, o)))
        return en_status(e, BPMN_ENOMEM);
    if (rc != BPMN_OK)
        cJSON_Delete(o);
    return en_status(e, rc);
}
