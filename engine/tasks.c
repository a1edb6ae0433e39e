/*
 * tasks.c - user tasks: the stored record, its work-list index entries, creation (assignment,
 * due and follow-up dates, priority), authorization of claim/unclaim/complete, and work-list
 * queries that read the indexes so that a page of a user's or group's list costs O(log n + k).
 *
 * Index entries (table ST_INDEX), all ending in due (u64 BE; no due date sorts last), created
 * and task id, so that every list comes out sorted by due date, then creation:
 *   'A' assignee 0 ...      tasks assigned to a user
 *   'U' user 0 ...          unassigned tasks a candidate user may claim
 *   'G' group 0 ...         unassigned tasks a candidate group may claim
 *   'I' instance(u64) 0 ... the open tasks of an instance
 *   'T' 0 ...               every open task
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"

#define TASK_FORMAT 2
#define SUFFIX 24          /* due + created + id */
#define NAME_MAX_KEY 400   /* LMDB keys are at most 511 bytes */

/* ---- record ------------------------------------------------------------------------------- */

void en_task_free(bpmn_engine *e, en_task *t)
{
    bm_free(e->a, t->assignee);
    bm_free(e->a, t->cand_users);
    bm_free(e->a, t->cand_groups);
    bm_free(e->a, t->process);
    memset(t, 0, sizeof *t);
}

static int decode(bpmn_engine *e, uint64_t id, const void *v, size_t vl, en_task *t)
{
    memset(t, 0, sizeof *t);
    en_rd r = {v, (const uint8_t *)v + vl, 0};
    if (en_rd_u8(&r) != TASK_FORMAT)
        return en_fail(e, BPMN_EIO, "task %llu: unknown record format", (unsigned long long)id);
    t->id = id;
    t->instance = en_rd_u64(&r);
    t->token = en_rd_u32(&r);
    t->node = en_rd_u32(&r);
    t->created = (int64_t)en_rd_u64(&r);
    t->due = (int64_t)en_rd_u64(&r);
    t->followup = (int64_t)en_rd_u64(&r);
    t->priority = (int32_t)en_rd_u32(&r);
    t->assignee = en_rd_strdup(&r, e->a);
    t->cand_users = en_rd_strdup(&r, e->a);
    t->cand_groups = en_rd_strdup(&r, e->a);
    t->process = en_rd_strdup(&r, e->a);
    t->version = en_rd_u32(&r);
    if (r.bad || !t->process) {
        en_task_free(e, t);
        if (r.bad == EN_RD_OOM)
            return en_fail(e, BPMN_ENOMEM, "out of memory");
        return en_fail(e, BPMN_EIO, "task %llu: the stored record is damaged",
                       (unsigned long long)id);
    }
    return BPMN_OK;
}

int en_task_read(bpmn_engine *e, uint64_t id, en_task *t)
{
    uint8_t key[8];
    st_be64(key, id);
    const void *v;
    size_t vl;
    int rc = st_get(e->txn, ST_TASKS, key, 8, &v, &vl);
    if (rc != BPMN_OK)
        return rc;
    return decode(e, id, v, vl, t);
}

/* ---- index entries ------------------------------------------------------------------------ */

static size_t index_key(uint8_t *k, char tag, const char *name, size_t nlen, const en_task *t)
{
    size_t n = 0;
    k[n++] = (uint8_t)tag;
    if (nlen > NAME_MAX_KEY)
        nlen = NAME_MAX_KEY;
    memcpy(k + n, name, nlen);
    n += nlen;
    k[n++] = 0;
    st_be64(k + n, t->due ? (uint64_t)t->due : UINT64_MAX);
    st_be64(k + n + 8, (uint64_t)t->created);
    st_be64(k + n + 16, t->id);
    return n + SUFFIX;
}

/* Puts (add) or deletes the entries of one tag for every name of a comma-separated list. */
static int index_list(bpmn_engine *e, char tag, const char *csv, const en_task *t, int add)
{
    uint8_t k[NAME_MAX_KEY + 2 + SUFFIX];
    while (csv && *csv) {
        while (*csv == ' ')
            csv++;
        const char *end = strchr(csv, ',');
        size_t n = end ? (size_t)(end - csv) : strlen(csv);
        while (n && csv[n - 1] == ' ')
            n--;
        if (n) {
            size_t kl = index_key(k, tag, csv, n, t);
            int rc = add ? st_put(e->txn, ST_INDEX, k, kl, "", 0) : st_del(e->txn, ST_INDEX, k, kl);
            if (rc != BPMN_OK && !(rc == BPMN_ENOTFOUND && !add))
                return rc;
        }
        csv = end ? end + 1 : NULL;
    }
    return BPMN_OK;
}

static int index_task(bpmn_engine *e, const en_task *t, int add)
{
    uint8_t k[2 + SUFFIX];
    size_t kl = index_key(k, 'T', "", 0, t);
    int rc = add ? st_put(e->txn, ST_INDEX, k, kl, "", 0) : st_del(e->txn, ST_INDEX, k, kl);
    if (rc == BPMN_ENOTFOUND && !add)
        rc = BPMN_OK;
    if (rc == BPMN_OK) {
        uint8_t ik[8 + 2 + SUFFIX];
        uint8_t idb[8];
        st_be64(idb, t->instance);
        kl = index_key(ik, 'I', (const char *)idb, 8, t);
        rc = add ? st_put(e->txn, ST_INDEX, ik, kl, "", 0) : st_del(e->txn, ST_INDEX, ik, kl);
        if (rc == BPMN_ENOTFOUND && !add)
            rc = BPMN_OK;
    }
    if (rc == BPMN_OK && t->assignee)
        rc = index_list(e, 'A', t->assignee, t, add);
    if (rc == BPMN_OK && !t->assignee)
        rc = index_list(e, 'U', t->cand_users, t, add);
    if (rc == BPMN_OK && !t->assignee)
        rc = index_list(e, 'G', t->cand_groups, t, add);
    return rc;
}

int en_task_write(bpmn_engine *e, const en_task *t, const en_task *old)
{
    en_buf b = {e->a, NULL, 0, 0, 0};
    en_buf_u8(&b, TASK_FORMAT);
    en_buf_u64(&b, t->instance);
    en_buf_u32(&b, t->token);
    en_buf_u32(&b, t->node);
    en_buf_u64(&b, (uint64_t)t->created);
    en_buf_u64(&b, (uint64_t)t->due);
    en_buf_u64(&b, (uint64_t)t->followup);
    en_buf_u32(&b, (uint32_t)t->priority);
    en_buf_str(&b, t->assignee);
    en_buf_str(&b, t->cand_users);
    en_buf_str(&b, t->cand_groups);
    en_buf_str(&b, t->process);
    en_buf_u32(&b, t->version);
    int rc = b.oom ? BPMN_ENOMEM : BPMN_OK;
    if (rc == BPMN_OK) {
        uint8_t key[8];
        st_be64(key, t->id);
        rc = st_put(e->txn, ST_TASKS, key, 8, b.p, b.n);
    }
    en_buf_free(&b);
    if (rc == BPMN_OK && old)
        rc = index_task(e, old, 0);
    if (rc == BPMN_OK)
        rc = index_task(e, t, 1);
    return rc;
}

int en_task_del(bpmn_engine *e, uint64_t id)
{
    en_task t;
    int rc = en_task_read(e, id, &t);
    if (rc != BPMN_OK)
        return rc;
    rc = index_task(e, &t, 0);
    en_task_free(e, &t);
    if (rc != BPMN_OK)
        return rc;
    uint8_t key[8];
    st_be64(key, id);
    return st_del(e->txn, ST_TASKS, key, 8);
}

/* ---- creation ----------------------------------------------------------------------------- */

int en_date_value(const cJSON *v, int64_t base, int64_t *out)
{
    if (!cJSON_IsString(v))
        return -1;
    return ex_time_after(v->valuestring, base, out);
}

/* BPMN potentialOwner text: "user(anna), group(sales)" (the Activiti/Camunda convention); a
 * bare name is a group. */
static int split_owners(bpmn_engine *e, const char *text, char **users, char **groups)
{
    char ub[1024] = "", gb[1024] = "";
    size_t uo = 0, go = 0;
    const char *p = text;
    while (p && *p) {
        while (*p == ' ')
            p++;
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        while (n && p[n - 1] == ' ')
            n--;
        int is_user = n > 6 && strncmp(p, "user(", 5) == 0 && p[n - 1] == ')';
        int is_group = n > 7 && strncmp(p, "group(", 6) == 0 && p[n - 1] == ')';
        const char *name = is_user ? p + 5 : is_group ? p + 6 : p;
        size_t nl = is_user ? n - 6 : is_group ? n - 7 : n;
        if (nl && is_user && uo < sizeof ub)
            uo += (size_t)snprintf(ub + uo, sizeof ub - uo, "%s%.*s", uo ? "," : "", (int)nl, name);
        else if (nl && go < sizeof gb)
            go += (size_t)snprintf(gb + go, sizeof gb - go, "%s%.*s", go ? "," : "", (int)nl, name);
        p = end ? end + 1 : NULL;
    }
    *users = uo ? en_strdup(e->a, ub) : NULL;
    *groups = go ? en_strdup(e->a, gb) : NULL;
    return (uo && !*users) || (go && !*groups) ? BPMN_ENOMEM : BPMN_OK;
}

/* A humanPerformer written as "user(anna)" (the Activiti/Camunda convention) names anna. */
static void strip_user_form(char *s)
{
    if (!s)
        return;
    size_t n = strlen(s), b = 0;
    while (b < n && s[b] == ' ')
        b++;
    while (n > b && s[n - 1] == ' ')
        n--;
    if (n - b > 6 && strncmp(s + b, "user(", 5) == 0 && s[n - 1] == ')')
        b += 5, n--;
    memmove(s, s + b, n - b);
    s[n - b] = '\0';
}

/* Appends b to the comma list *a (either may be NULL). */
static int join_list(bpmn_engine *e, char **a, char *b)
{
    if (!b)
        return BPMN_OK;
    if (!*a) {
        *a = b;
        return BPMN_OK;
    }
    size_t n = strlen(*a) + strlen(b) + 2;
    char *j = bm_alloc(e->a, NULL, n);
    if (!j) {
        bm_free(e->a, b);
        return BPMN_ENOMEM;
    }
    snprintf(j, n, "%s,%s", *a, b);
    bm_free(e->a, *a);
    bm_free(e->a, b);
    *a = j;
    return BPMN_OK;
}

static int eval_date(bpmn_engine *e, en_inst *in, uint32_t scope, const ex_expr *x, int64_t base,
                     int64_t *out, char *err, size_t errcap, const char *what)
{
    *out = 0;
    if (!x)
        return BPMN_OK;
    cJSON *v = NULL;
    int rc = en_eval_json(e, in, scope, x, &v, err, errcap);
    if (rc == BPMN_OK && !cJSON_IsNull(v) && en_date_value(v, base, out) != 0) {
        snprintf(err, errcap, "%s is neither an ISO 8601 date-time nor a duration", what);
        rc = BPMN_EINVAL;
    }
    cJSON_Delete(v);
    return rc;
}

int en_task_create(bpmn_engine *e, en_inst *in, en_token *tok)
{
    const en_utask *u = in->def->utask[tok->node];
    en_task t;
    memset(&t, 0, sizeof t);
    t.instance = in->id;
    t.token = tok->id;
    t.node = tok->node;
    t.created = en_now(e);
    t.priority = 50;
    t.version = in->version;
    char err[256] = "";
    char *owners = NULL, *pu = NULL, *pg = NULL, *prio = NULL;
    int rc = BPMN_OK;
    if (u) {
        rc = en_eval_text(e, in, en_eval_scope(tok), u->assignee ? u->assignee : u->performer, &t.assignee,
                          err, sizeof err);
        if (rc == BPMN_OK && !u->assignee)
            strip_user_form(t.assignee);
        if (rc == BPMN_OK)
            rc = en_eval_text(e, in, en_eval_scope(tok), u->cand_users, &t.cand_users, err, sizeof err);
        if (rc == BPMN_OK)
            rc = en_eval_text(e, in, en_eval_scope(tok), u->cand_groups, &t.cand_groups, err, sizeof err);
        if (rc == BPMN_OK)
            rc = en_eval_text(e, in, en_eval_scope(tok), u->potential, &owners, err, sizeof err);
        if (rc == BPMN_OK && owners && (rc = split_owners(e, owners, &pu, &pg)) == BPMN_OK) {
            rc = join_list(e, &t.cand_users, pu);
            if (rc == BPMN_OK)
                rc = join_list(e, &t.cand_groups, pg);
            else
                bm_free(e->a, pg);
        }
        if (rc == BPMN_OK)
            rc = eval_date(e, in, en_eval_scope(tok), u->due, t.created, &t.due, err, sizeof err, "dueDate");
        if (rc == BPMN_OK)
            rc = eval_date(e, in, en_eval_scope(tok), u->followup, t.created, &t.followup, err, sizeof err,
                           "followUpDate");
        if (rc == BPMN_OK)
            rc = en_eval_text(e, in, en_eval_scope(tok), u->priority, &prio, err, sizeof err);
        if (rc == BPMN_OK && prio)
            t.priority = (int32_t)strtol(prio, NULL, 10);
    }
    bm_free(e->a, owners);
    bm_free(e->a, prio);
    if (rc == BPMN_OK && !(t.process = en_strdup(e->a, in->process)))
        rc = BPMN_ENOMEM;
    if (rc == BPMN_OK)
        rc = en_next_id(e, "id", &t.id);
    if (rc == BPMN_OK)
        rc = en_task_write(e, &t, NULL);
    if (rc == BPMN_EINVAL && err[0]) {
        char msg[400];
        snprintf(msg, sizeof msg, "task assignment or dates: %s", err);
        en_task_free(e, &t);
        return en_token_incident(e, in, tok->id, msg);
    }
    if (rc == BPMN_OK) {
        tok->state = EN_T_WAIT;
        tok->ref = t.id;
        cJSON *x = cJSON_CreateObject();
        if (!x)
            rc = BPMN_ENOMEM;
        else if (t.assignee)
            cJSON_AddStringToObject(x, "assignee", t.assignee);
        if (x && t.due)
            cJSON_AddNumberToObject(x, "dueMs", (double)t.due);
        if (x && t.cand_groups)
            cJSON_AddStringToObject(x, "candidateGroups", t.cand_groups);
        en_hist_x(e, in, EN_EV_TASK_CREATED, t.node, t.id, t.assignee, NULL, x);
        cJSON_Delete(x);
    }
    en_task_free(e, &t);
    return rc;
}

/* ---- authorization ------------------------------------------------------------------------ */

static int csv_has(const char *csv, const char *item, size_t n)
{
    while (csv && *csv) {
        while (*csv == ' ')
            csv++;
        const char *end = strchr(csv, ',');
        size_t l = end ? (size_t)(end - csv) : strlen(csv);
        while (l && csv[l - 1] == ' ')
            l--;
        if (l == n && strncmp(csv, item, n) == 0)
            return 1;
        csv = end ? end + 1 : NULL;
    }
    return 0;
}

/* Whether any of the actor's groups is a candidate group. */
static int in_groups(const char *cands, const char *groups)
{
    const char *g = groups;
    while (g && *g) {
        while (*g == ' ')
            g++;
        const char *end = strchr(g, ',');
        size_t n = end ? (size_t)(end - g) : strlen(g);
        while (n && g[n - 1] == ' ')
            n--;
        if (n && csv_has(cands, g, n))
            return 1;
        g = end ? end + 1 : NULL;
    }
    return 0;
}

/* May this actor act on the task? The operator (no actor) may do anything; otherwise the
 * assignee, or, while there is none, a candidate user or a member of a candidate group. */
int en_task_allowed(bpmn_engine *e, const en_task *t, const bpmn_actor *a, const char *action)
{
    if (!a)
        return BPMN_OK;
    if (!a->user || !*a->user)
        return en_fail(e, BPMN_EDENIED, "%s task %llu: no user given", action,
                       (unsigned long long)t->id);
    if (t->assignee) {
        if (strcmp(t->assignee, a->user) == 0)
            return BPMN_OK;
        return en_fail(e, BPMN_EDENIED, "%s task %llu: it is assigned to %s, not to %s", action,
                       (unsigned long long)t->id, t->assignee, a->user);
    }
    if (csv_has(t->cand_users, a->user, strlen(a->user)) || in_groups(t->cand_groups, a->groups))
        return BPMN_OK;
    if (!t->cand_users && !t->cand_groups)
        return en_fail(e, BPMN_EDENIED, "%s task %llu: it has no assignee and no candidates; "
                                        "only an operator may act on it", action,
                       (unsigned long long)t->id);
    return en_fail(e, BPMN_EDENIED, "%s task %llu: %s is neither a candidate user (%s) nor in "
                                    "a candidate group (%s)", action, (unsigned long long)t->id,
                   a->user, t->cand_users ? t->cand_users : "none",
                   t->cand_groups ? t->cand_groups : "none");
}
