/*
 * worklist.c - task queries over the work-list indexes of tasks.c. Each filter maps to one or
 * more index ranges that are already sorted by due date, creation and id; several ranges (a
 * user's own tasks, the tasks the user may claim, those of each of the user's groups) are merged
 * on the fly, so a page of k tasks costs O(log n + k) whatever the size of the store.
 */
#include <stdio.h>
#include <string.h>

#include "reports/reports.h"

#define SUFFIX 24
#define MAX_STREAMS 34

cJSON *en_task_json(bpmn_engine *e, const en_task *t)
{
    en_def *d = NULL;
    if (en_def_get(e, t->process, t->version, &d) != BPMN_OK || t->node >= d->g->nnodes)
        return NULL;
    const bg_node *n = &d->g->nodes[t->node];
    const en_form *form = d->form[t->node];
    cJSON *o = cJSON_CreateObject();
    int ok = o && en_json_id(o, "id", t->id) && en_json_id(o, "instance", t->instance) &&
             cJSON_AddStringToObject(o, "process", t->process) &&
             cJSON_AddStringToObject(o, "element", n->id ? n->id : "") &&
             en_json_str(o, "name", n->name) && en_json_str(o, "assignee", t->assignee) &&
             en_json_list(o, "candidateUsers", t->cand_users) &&
             en_json_list(o, "candidateGroups", t->cand_groups) &&
             (t->due ? en_json_time(o, "due", t->due) : cJSON_AddNullToObject(o, "due") != NULL) &&
             (t->followup ? en_json_time(o, "followUp", t->followup)
                          : cJSON_AddNullToObject(o, "followUp") != NULL) &&
             cJSON_AddNumberToObject(o, "priority", t->priority) &&
             en_json_str(o, "formKey", form ? form->key : NULL) &&
             en_json_time(o, "created", t->created);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

typedef struct stream {
    st_cursor *c;
    uint8_t prefix[420];
    size_t plen;
    uint8_t cur[SUFFIX]; /* the current entry's due, created, id */
    int live;
} stream;

static void stream_load(stream *s, int rc, const void *k, size_t kl)
{
    s->live = 0;
    if (rc != BPMN_OK || !k || kl != s->plen + SUFFIX || memcmp(k, s->prefix, s->plen) != 0)
        return;
    s->live = 1;
    memcpy(s->cur, (const uint8_t *)k + s->plen, SUFFIX);
}

static int stream_open(st_txn *t, stream *s, char tag, const char *name, size_t n)
{
    if (n > 400)
        n = 400;
    s->prefix[0] = (uint8_t)tag;
    memcpy(s->prefix + 1, name, n);
    s->prefix[n + 1] = 0;
    s->plen = n + 2;
    int rc = st_cursor_open(t, ST_INDEX, &s->c);
    if (rc != BPMN_OK)
        return rc;
    const void *k = NULL, *v;
    size_t kl = 0, vl;
    rc = st_cursor_seek(s->c, s->prefix, s->plen, &k, &kl, &v, &vl);
    stream_load(s, rc, k, kl);
    return BPMN_OK;
}

static void stream_next(stream *s)
{
    const void *k = NULL, *v;
    size_t kl = 0, vl;
    int rc = st_cursor_next(s->c, &k, &kl, &v, &vl);
    stream_load(s, rc, k, kl);
}

/* Adds one stream per name of a comma-separated list. */
static int open_list(st_txn *t, stream *ss, int *ns, char tag, const char *csv)
{
    while (csv && *csv) {
        while (*csv == ' ')
            csv++;
        const char *end = strchr(csv, ',');
        size_t n = end ? (size_t)(end - csv) : strlen(csv);
        while (n && csv[n - 1] == ' ')
            n--;
        if (n) {
            if (*ns >= MAX_STREAMS)
                return BPMN_EINVAL;
            int rc = stream_open(t, &ss[*ns], tag, csv, n);
            if (rc != BPMN_OK)
                return rc;
            (*ns)++;
        }
        csv = end ? end + 1 : NULL;
    }
    return BPMN_OK;
}

/* Where the tasks of a page go: into a JSON array, or one by one as JSON text to fn. */
typedef struct task_sink {
    cJSON *arr;
    bpmn_each_fn fn;
    void *ud;
} task_sink;

static int put_task(bpmn_engine *e, task_sink *s, const en_task *task)
{
    cJSON *o = en_task_json(e, task);
    if (!o)
        return en_fail(e, BPMN_ENOMEM, "out of memory");
    if (s->arr) {
        if (cJSON_AddItemToArray(s->arr, o))
            return BPMN_OK;
        cJSON_Delete(o);
        return en_fail(e, BPMN_ENOMEM, "out of memory");
    }
    char *line = en_json_out(e, o);
    if (!line)
        return en_fail(e, BPMN_ENOMEM, "out of memory");
    int stop = s->fn(s->ud, line);
    bm_free(e->a, line);
    return stop ? en_fail(e, BPMN_EINVAL, "the task list consumer stopped") : BPMN_OK;
}

static int query(bpmn_engine *e, const bpmn_task_filter *f, task_sink *out)
{
    stream ss[MAX_STREAMS];
    memset(ss, 0, sizeof ss);
    int ns = 0, rc = BPMN_OK;
    st_txn *t = e->txn;
    if (f->worklist) {
        const char *u = f->worklist->user ? f->worklist->user : "";
        if (*u && (rc = stream_open(t, &ss[ns++], 'A', u, strlen(u))) == BPMN_OK)
            rc = stream_open(t, &ss[ns++], 'U', u, strlen(u));
        if (rc == BPMN_OK)
            rc = open_list(t, ss, &ns, 'G', f->worklist->groups);
    } else if (f->assignee) {
        rc = stream_open(t, &ss[ns++], 'A', f->assignee, strlen(f->assignee));
    } else if (f->candidate_user) {
        rc = stream_open(t, &ss[ns++], 'U', f->candidate_user, strlen(f->candidate_user));
    } else if (f->candidate_group) {
        rc = stream_open(t, &ss[ns++], 'G', f->candidate_group, strlen(f->candidate_group));
    } else if (f->instance) {
        uint64_t id = 0;
        uint8_t b[8];
        if (en_parse_id(f->instance, &id) != BPMN_OK)
            return en_fail(e, BPMN_ENOTFOUND, "'%s' is not an instance id", f->instance);
        st_be64(b, id);
        rc = stream_open(t, &ss[ns++], 'I', (const char *)b, 8);
    } else {
        rc = stream_open(t, &ss[ns++], 'T', "", 0);
    }
    if (rc == BPMN_EINVAL)
        en_fail(e, rc, "too many groups in one work-list query (at most %d)", MAX_STREAMS - 2);
    uint64_t want_inst = 0;
    if (rc == BPMN_OK && f->instance && en_parse_id(f->instance, &want_inst) != BPMN_OK)
        rc = en_fail(e, BPMN_ENOTFOUND, "'%s' is not an instance id", f->instance);
    int64_t now = en_now(e);
    size_t skipped = 0, taken = 0;
    while (rc == BPMN_OK && (!f->limit || taken < f->limit)) {
        int best = -1;
        for (int i = 0; i < ns; i++)
            if (ss[i].live && (best < 0 || memcmp(ss[i].cur, ss[best].cur, SUFFIX) < 0))
                best = i;
        if (best < 0)
            break;
        uint8_t cur[SUFFIX];
        memcpy(cur, ss[best].cur, SUFFIX);
        for (int i = 0; i < ns; i++) /* the same task may be in several streams */
            if (ss[i].live && memcmp(ss[i].cur, cur, SUFFIX) == 0)
                stream_next(&ss[i]);
        uint64_t due = st_rd64(cur);
        if (f->overdue && (due == UINT64_MAX || (int64_t)due >= now))
            break; /* sorted by due: nothing later can be overdue */
        en_task task;
        rc = en_task_read(e, st_rd64(cur + 16), &task);
        if (rc != BPMN_OK)
            break;
        int match = (!want_inst || task.instance == want_inst) &&
                    (!f->process || strcmp(f->process, task.process) == 0);
        if (match && skipped < f->offset) {
            skipped++;
        } else if (match) {
            rc = put_task(e, out, &task);
            taken++;
        }
        en_task_free(e, &task);
    }
    for (int i = 0; i < ns; i++)
        st_cursor_close(ss[i].c);
    return rc;
}

int bpmn_task_query(bpmn_engine *e, const bpmn_task_filter *f, char **json_out)
{
    if (!e || !f || !json_out)
        return BPMN_EINVAL;
    *json_out = NULL;
    st_txn *t;
    int rc = en_read_begin(e, &t);
    if (rc != BPMN_OK)
        return en_status(e, rc);
    e->txn = t;
    task_sink out = {cJSON_CreateArray(), NULL, NULL};
    rc = out.arr ? query(e, f, &out) : BPMN_ENOMEM;
    e->txn = NULL;
    en_read_end(e, t);
    if (rc == BPMN_OK && !(*json_out = en_json_out(e, out.arr)))
        return en_status(e, BPMN_ENOMEM);
    if (rc != BPMN_OK)
        cJSON_Delete(out.arr);
    return en_status(e, rc);
}

int bpmn_task_each(bpmn_engine *e, const bpmn_task_filter *f, bpmn_each_fn fn, void *ud)
{
    if (!e || !f || !fn)
        return BPMN_EINVAL;
    st_txn *t;
    int rc = en_read_begin(e, &t);
    if (rc != BPMN_OK)
        return en_status(e, rc);
    e->txn = t;
    task_sink out = {NULL, fn, ud};
    rc = query(e, f, &out);
    e->txn = NULL;
    en_read_end(e, t);
    return en_status(e, rc);
}

int bpmn_task_list(bpmn_engine *e, const char *instance, const char *assignee, const char *group,
                   char **json_out)
{
    bpmn_task_filter f;
    memset(&f, 0, sizeof f);
    f.instance = instance;
    f.assignee = assignee;
    f.candidate_group = assignee ? NULL : group;
    return bpmn_task_query(e, &f, json_out);
}
