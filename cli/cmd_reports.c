/*
 * cmd_reports.c - the commands that read what happened: history (all of it, or the events
 * after --since, or a page), export (every event as NDJSON into a file) and report
 * funnel|durations|tasks, printed as JSON, readable text or CSV; and the printer that streams
 * every list (history, instances, tasks, jobs) as it is read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"

/* One item of a list: the compact form is the text as the engine wrote it (parsing and
 * printing it again through cJSON would round numbers to 15 digits); the indented form is what
 * cJSON_Print gives for the whole array, made one element at a time: the element printed inside
 * a one-element array (so at the same depth), without the brackets. */
int cli_list_item(void *ud, const char *json)
{
    cli_list *l = ud;
    if (l->as_json) {
        fputs(l->n ? "," : "[", stdout);
        fputs(json, stdout);
    } else {
        cJSON *one = cJSON_CreateArray(), *item = cJSON_Parse(json);
        char *text = NULL;
        if (one && item && cJSON_AddItemToArray(one, item))
            item = NULL;
        text = one ? cJSON_Print(one) : NULL;
        cJSON_Delete(item);
        cJSON_Delete(one);
        size_t len = text ? strlen(text) : 0;
        if (len < 2) {
            cJSON_free(text);
            return 1;
        }
        fputs(l->n ? ", " : "[", stdout);
        fwrite(text + 1, 1, len - 2, stdout);
        cJSON_free(text);
    }
    l->n++;
    return ferror(stdout) != 0;
}

int cli_list_end(bpmn_engine *e, const char *cmd, int rc, cli_list *l)
{
    if (rc == BPMN_OK) {
        fputs(l->n ? "]\n" : "[]\n", stdout);
        bpmn_engine_close(e);
        if (fflush(stdout) != 0 || ferror(stdout)) {
            cli_error("%s: writing the output: %s", cmd, strerror(errno));
            return CLI_FAIL;
        }
        return CLI_OK;
    }
    if (l->n)
        fputc('\n', stdout);
    fflush(stdout);
    return cli_finish(e, cmd, rc, NULL, l->as_json);
}

/* History is read in slices of SLICE events, each through an engine of its own. LMDB maps the
 * store into memory, and every page a read touches stays resident in this process until the map
 * is closed: one read over 4 M events (a 160 MB store) would end with the whole file resident,
 * though the events themselves pass through in constant memory. Closing the engine between
 * slices unmaps what the last one read. Each slice is its own read transaction and starts after
 * the last seq passed on; history only grows at its end, so the slices join into one list
 * (events recorded meanwhile may appear at its end). */
#define SLICE 100000

typedef struct slice {
    bpmn_each_fn fn;
    void *ud;
    unsigned long long last; /* the seq of the last event passed on */
    size_t n;
} slice;

static int slice_line(void *ud, const char *json)
{
    slice *s = ud;
    static const char head[] = "{\"seq\":";
    if (strncmp(json, head, sizeof head - 1) != 0)
        return 1;
    s->last = strtoull(json + sizeof head - 1, NULL, 10);
    s->n++;
    return s->fn(s->ud, json);
}

/* bpmn_history_page() over any length of history in bounded memory; *e is reopened between
 * slices (NULL when that failed, after a message). */
static int history_slices(const cli_globals *g, bpmn_engine **e, const char *instance,
                          unsigned long long since, size_t offset, size_t limit,
                          bpmn_each_fn fn, void *ud)
{
    size_t taken = 0;
    for (;;) {
        size_t want = limit && limit - taken < SLICE ? limit - taken : SLICE;
        slice s = {fn, ud, since, 0};
        int rc = bpmn_history_page(*e, instance, since, offset, want, slice_line, &s);
        taken += s.n;
        if (rc != BPMN_OK || s.n < want || (limit && taken >= limit))
            return rc;
        since = s.last;
        offset = 0;
        bpmn_engine_close(*e);
        if (!(*e = cli_open_engine(g)))
            return BPMN_EIO;
    }
}

/* history [INSTANCE] [--since SEQ] [--limit N] [--offset N]: streamed, in bounded memory. */
int cli_history(const cli_globals *g, int argc, char **argv)
{
    cli_args a;
    int u = cli_parse_args("history", argc, argv, &a);
    if (u != CLI_OK)
        return u;
    if (a.npos > 1) {
        cli_error("usage: bpmnrt history [INSTANCE] [--since SEQ] [--limit N] [--offset N] "
                  "[--json]");
        return CLI_USAGE;
    }
    bpmn_engine *e = cli_open_engine(g);
    if (!e)
        return CLI_FAIL;
    cli_list l = {a.json, 0};
    int rc = history_slices(g, &e, a.npos ? a.pos[0] : NULL, a.since, (size_t)a.offset,
                            (size_t)a.limit, cli_list_item, &l);
    if (!e)
        return CLI_FAIL;
    return cli_list_end(e, "history", rc, &l);
}

static int write_line(void *ud, const char *json)
{
    FILE *f = ud;
    return fputs(json, f) < 0 || fputc('\n', f) == EOF;
}

/* export --out FILE [--since SEQ]: all history as NDJSON, one event a line, streamed. */
int cli_export(const cli_globals *g, int argc, char **argv)
{
    cli_args a;
    int u = cli_parse_args("export", argc, argv, &a);
    if (u != CLI_OK)
        return u;
    if (a.npos != 0 || !a.out) {
        cli_error("usage: bpmnrt export --out FILE [--since SEQ]");
        return CLI_USAGE;
    }
    bpmn_engine *e = cli_open_engine(g);
    if (!e)
        return CLI_FAIL;
    /* Written next to the target and renamed at the end: a failed export leaves no half file. */
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.partial", a.out);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        cli_error("export: %s: %s", tmp, strerror(errno));
        bpmn_engine_close(e);
        return CLI_FAIL;
    }
    int rc = history_slices(g, &e, NULL, a.since, 0, 0, write_line, f);
    int werr = fclose(f) != 0;
    if (e && rc == BPMN_OK && !werr && rename(tmp, a.out) == 0) {
        bpmn_engine_close(e);
        return CLI_OK;
    }
    remove(tmp);
    if (e)
        cli_error("export: %s", rc != BPMN_OK ? bpmn_engine_errmsg(e) : strerror(errno));
    bpmn_engine_close(e);
    return CLI_FAIL;
}

/* ---- CSV ---------------------------------------------------------------------------------- */

static void csv_value(const cJSON *v)
{
    if (cJSON_IsString(v)) {
        const char *s = v->valuestring;
        if (strpbrk(s, ",\"\n\r")) {
            putchar('"');
            for (; *s; s++) {
                if (*s == '"')
                    putchar('"');
                putchar(*s);
            }
            putchar('"');
        } else {
            fputs(s, stdout);
        }
    } else if (cJSON_IsNumber(v)) {
        printf("%.15g", v->valuedouble);
    } else if (cJSON_IsBool(v)) {
        fputs(cJSON_IsTrue(v) ? "true" : "false", stdout);
    }
}

/* Rows of a report: a top-level array of objects, or every array of objects inside an object
 * (with a "section" column naming the array and the object's plain members repeated). */
static int print_csv(const char *json)
{
    cJSON *doc = cJSON_Parse(json);
    if (!doc)
        return 0;
    cJSON *rows = cJSON_CreateArray();
    if (cJSON_IsArray(doc)) {
        cJSON *r;
        cJSON_ArrayForEach(r, doc)
            cJSON_AddItemToArray(rows, cJSON_Duplicate(r, 1));
    } else {
        cJSON *m;
        cJSON_ArrayForEach(m, doc) {
            if (!cJSON_IsArray(m))
                continue;
            cJSON *r;
            cJSON_ArrayForEach(r, m) {
                cJSON *row = cJSON_CreateObject();
                cJSON_AddStringToObject(row, "section", m->string);
                cJSON *p;
                cJSON_ArrayForEach(p, doc)
                    if (!cJSON_IsArray(p) && !cJSON_IsObject(p))
                        cJSON_AddItemToObject(row, p->string, cJSON_Duplicate(p, 1));
                cJSON *f;
                cJSON_ArrayForEach(f, r)
                    cJSON_AddItemToObject(row, f->string, cJSON_Duplicate(f, 1));
                cJSON_AddItemToArray(rows, row);
            }
        }
    }
    /* The header: every key, in the order first seen. */
    cJSON *keys = cJSON_CreateArray(), *r;
    cJSON_ArrayForEach(r, rows) {
        cJSON *f;
        cJSON_ArrayForEach(f, r) {
            int known = 0;
            cJSON *k;
            cJSON_ArrayForEach(k, keys)
                known |= strcmp(k->valuestring, f->string) == 0;
            if (!known)
                cJSON_AddItemToArray(keys, cJSON_CreateString(f->string));
        }
    }
    cJSON *k;
    int first = 1;
    cJSON_ArrayForEach(k, keys) {
        printf("%s%s", first ? "" : ",", k->valuestring);
        first = 0;
    }
    putchar('\n');
    cJSON_ArrayForEach(r, rows) {
        first = 1;
        cJSON_ArrayForEach(k, keys) {
            if (!first)
                putchar(',');
            first = 0;
            csv_value(cJSON_GetObjectItemCaseSensitive(r, k->valuestring));
        }
        putchar('\n');
    }
    cJSON_Delete(keys);
    cJSON_Delete(rows);
    cJSON_Delete(doc);
    return 1;
}

/* The funnel of every deployed process (each id once): {"funnels": [{"process", "stages"}...]}. */
static int funnel_all(bpmn_engine *e, const char *group_by, char **json_out)
{
    char *defs = NULL;
    int rc = bpmn_definitions(e, &defs);
    if (rc != BPMN_OK)
        return rc;
    cJSON *d = cJSON_Parse(defs);
    bpmn_free(e, defs);
    cJSON *doc = cJSON_CreateObject(), *list = cJSON_AddArrayToObject(doc, "funnels"), *it;
    const char *prev = NULL;
    cJSON_ArrayForEach(it, d) {
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(it, "process"));
        if (!id || (prev && strcmp(prev, id) == 0))
            continue;
        int seen = 0;
        cJSON *f;
        cJSON_ArrayForEach(f, list)
            seen |= strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(f, "process")), id) == 0;
        prev = id;
        if (seen)
            continue;
        char *one = NULL;
        rc = bpmn_report_funnel_by(e, id, group_by, &one);
        if (rc != BPMN_OK)
            break;
        cJSON_AddItemToArray(list, cJSON_Parse(one));
        bpmn_free(e, one);
    }
    cJSON_Delete(d);
    if (rc == BPMN_OK && !(*json_out = cJSON_Print(doc)))
        rc = BPMN_ENOMEM;
    cJSON_Delete(doc);
    return rc;
}

/* One row per stage of every funnel, with its process: the CSV form of funnel_all. */
static char *funnel_rows(const char *json)
{
    cJSON *doc = cJSON_Parse(json), *rows = cJSON_CreateObject();
    cJSON *stages = cJSON_AddArrayToObject(rows, "stages"), *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItem(doc, "funnels")) {
        cJSON *s;
        cJSON_ArrayForEach(s, cJSON_GetObjectItem(f, "stages")) {
            cJSON *row = cJSON_Duplicate(s, 1);
            cJSON_InsertItemInArray(stages, cJSON_GetArraySize(stages), row);
            cJSON_AddItemToObject(row, "process",
                                  cJSON_Duplicate(cJSON_GetObjectItem(f, "process"), 1));
        }
    }
    cJSON_Delete(doc);
    char *out = cJSON_PrintUnformatted(rows);
    cJSON_Delete(rows);
    return out;
}

/* report funnel|durations|tasks [--process P] ... [--json|--csv] */
int cli_report(const cli_globals *g, int argc, char **argv)
{
    const char *from = NULL, *to = NULL, *group_by = NULL;
    char *rest[64];
    int n = 0;
    for (int i = 0; i < argc && n < 63; i++) {
        if ((strcmp(argv[i], "--from") == 0 || strcmp(argv[i], "--to") == 0 ||
             strcmp(argv[i], "--group-by") == 0) && i + 1 < argc) {
            if (argv[i][2] == 'f')
                from = argv[++i];
            else if (argv[i][2] == 't')
                to = argv[++i];
            else
                group_by = argv[++i];
        } else {
            rest[n++] = argv[i];
        }
    }
    cli_args a;
    int u = cli_parse_args("report", n, rest, &a);
    if (u != CLI_OK)
        return u;
    int funnel = a.npos == 1 && strcmp(a.pos[0], "funnel") == 0;
    int durations = a.npos == 1 && strcmp(a.pos[0], "durations") == 0;
    int tasks = a.npos == 1 && strcmp(a.pos[0], "tasks") == 0;
    long long fms = 0, tms = 0;
    if ((!funnel && !durations && !tasks) ||
        (from && cli_parse_time(from, &fms) != 0) || (to && cli_parse_time(to, &tms) != 0)) {
        cli_error("usage: bpmnrt report funnel [--process P] [--group-by VAR] | durations "
                  "[--process P] | tasks [--process P] [--from T] [--to T] [--json|--csv]");
        return CLI_USAGE;
    }
    bpmn_engine *e = cli_open_engine(g);
    if (!e)
        return CLI_FAIL;
    char *json = NULL;
    int all = funnel && !a.process;
    int rc = all         ? funnel_all(e, group_by, &json)
             : funnel    ? bpmn_report_funnel_by(e, a.process, group_by, &json)
             : durations ? bpmn_report_durations(e, a.process, &json)
                         : bpmn_report_tasks(e, a.process, fms, tms, &json);
    if (rc == BPMN_OK && a.csv) {
        char *flat = all ? funnel_rows(json) : NULL;
        int ok = print_csv(flat ? flat : json);
        cJSON_free(flat);
        if (all)
            cJSON_free(json);
        else
            bpmn_free(e, json);
        bpmn_engine_close(e);
        return ok ? CLI_OK : CLI_FAIL;
    }
    if (all && rc == BPMN_OK) { /* json is cJSON's, not the engine's allocation */
        puts(json);
        cJSON_free(json);
        bpmn_engine_close(e);
        return CLI_OK;
    }
    return cli_finish(e, "report", rc, all ? NULL : json, a.json);
}
