/*
 * fuzz_history.c - libFuzzer target for the history export: what goes into history comes back
 * out of bpmn_history_each() and bpmn_history() as valid JSON with the documented fields
 * (docs/history.md), only valid UTF-8 (a byte that is not UTF-8 comes out as U+FFFD), numbers
 * exactly as they went in, and the variables, business key and element name that went in.
 *
 * Each input deploys a one-task process whose task is named by the input, starts it with
 * variables and a business key from the input, completes the task with more variables, and reads
 * the history of that instance back. Everything runs in a batch that is aborted, so the store
 * (one per process) stays empty from one input to the next.
 *
 * The input is read as: flags, name, business key, then the start variables and the completion
 * variables, each either built from a little byte code (strings of any bytes, numbers of any
 * bit pattern, nesting) or, with a flag, taken as JSON text. Two more flags read the history
 * again in pages: flag 4, one page of bpmn_history_page() (offset and limit are the next two
 * bytes) must be that slice of the events; flag 8, the history of all instances after the seq
 * of the event the next byte picks must be the events from there on.
 */
#define _DEFAULT_SOURCE
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "engine/engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                          \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "fuzz_history: check failed at %s:%d: %s\n", __FILE__, __LINE__, \
                    #cond);                                                                  \
            abort();                                                                         \
        }                                                                                    \
    } while (0)

#define NOW 1772442000000LL /* 2026-03-02T09:00:00Z */

static bpmn_engine *E;
static char PATH[64];

static void remove_store(void)
{
    char lock[80];
    bpmn_engine_close(E);
    snprintf(lock, sizeof lock, "%s-lock", PATH);
    unlink(PATH);
    unlink(lock);
}

static void setup(void)
{
    strcpy(PATH, "/tmp/fuzz-history-XXXXXX");
    int fd = mkstemp(PATH);
    CHECK(fd >= 0);
    close(fd);
    unlink(PATH);
    bpmn_engine_options o = {0};
    o.path = PATH;
    o.nosync = 1;
    char err[256];
    CHECK(bpmn_engine_open(&o, &E, err, sizeof err) == BPMN_OK);
    atexit(remove_store);
}

/* ---- reading the input -------------------------------------------------------------------- */

typedef struct input {
    const uint8_t *p, *end;
} input;

static int in_u8(input *in)
{
    return in->p < in->end ? *in->p++ : 0;
}

static size_t in_bytes(input *in, size_t want, const uint8_t **out)
{
    size_t n = (size_t)(in->end - in->p);
    if (want > n)
        want = n;
    *out = in->p;
    in->p += want;
    return want;
}

/* A C string of up to max input bytes; a NUL byte cannot travel in a C string and is dropped. */
static char *in_cstr(input *in, size_t max)
{
    const uint8_t *b;
    size_t n = in_bytes(in, (size_t)in_u8(in) % (max + 1), &b);
    char *s = malloc(n + 1);
    CHECK(s);
    size_t o = 0;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            s[o++] = (char)b[i];
    s[o] = '\0';
    return s;
}

static cJSON *in_value(input *in, int depth);

static cJSON *in_object(input *in, int depth)
{
    cJSON *o = cJSON_CreateObject();
    CHECK(o);
    int n = in_u8(in) % 6;
    for (int i = 0; i < n && in->p < in->end; i++) {
        char *name = in_cstr(in, 24);
        /* Distinct names: two members of one name would leave the engine free to keep either. */
        if (!cJSON_GetObjectItemCaseSensitive(o, name))
            cJSON_AddItemToObject(o, name, in_value(in, depth + 1));
        free(name);
    }
    return o;
}

static cJSON *in_value(input *in, int depth)
{
    int op = in_u8(in);
    switch (depth > 6 ? op % 5 : op % 7) {
    case 0:
        return cJSON_CreateNull();
    case 1:
        return cJSON_CreateBool(op & 8);
    case 2: { /* any finite double, bit for bit */
        const uint8_t *b;
        uint8_t raw[8] = {0};
        size_t n = in_bytes(in, 8, &b);
        memcpy(raw, b, n);
        double d;
        memcpy(&d, raw, 8);
        return cJSON_CreateNumber(isfinite(d) ? d : 0.5);
    }
    case 3: { /* a small integer, or a power of ten far out */
        int v = (int8_t)in_u8(in);
        return cJSON_CreateNumber(op & 8 ? pow(10, v % 103 * 3) : v); /* 1e-306 to 1e306 */
    }
    case 4: {
        char *s = in_cstr(in, 64);
        cJSON *j = cJSON_CreateString(s);
        free(s);
        return j;
    }
    case 5: {
        cJSON *a = cJSON_CreateArray();
        CHECK(a);
        int n = in_u8(in) % 5;
        for (int i = 0; i < n && in->p < in->end; i++)
            cJSON_AddItemToArray(a, in_value(in, depth + 1));
        return a;
    }
    default:
        return in_object(in, depth);
    }
}

/* Variables as JSON text: built, or with the flag taken as text (up to a NUL byte). *refused
 * is set when the engine must refuse them: a number like 1e999 that no double holds. */
static char *in_vars(input *in, int as_text, cJSON **expect, int *refused)
{
    *refused = 0;
    if (as_text) {
        char *s = in_cstr(in, 255);
        cJSON *j = cJSON_ParseWithOpts(s, NULL, 1); /* as the engine reads them */
        if (!cJSON_IsObject(j)) {
            cJSON_Delete(j);
            *expect = NULL;
            free(s);
            return NULL;
        }
        *refused = !en_json_finite(j);
        *expect = j;
        return s;
    }
    *expect = in_object(in, 0);
    char *s = en_json_print(*expect); /* cJSON_Print would round some numbers */
    CHECK(s);
    return s;
}

/* ---- what must come out ------------------------------------------------------------------- */

/* The length of the UTF-8 sequence at s (strict: no overlong forms, surrogates or code points
 * above U+10FFFF), 0 when there is none. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    size_t len = s[0] < 0x80 ? 1 : s[0] >= 0xC2 && s[0] <= 0xDF ? 2 : s[0] >= 0xE0 && s[0] <= 0xEF ? 3
                 : s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : 0;
    if (!len || len > n)
        return 0;
    uint32_t cp = len == 1 ? s[0] : s[0] & (0x7Fu >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3Fu);
    }
    static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    return cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) ? 0 : len;
}

static int valid_utf8(const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0, l; i < n; i += l)
        if (!(l = utf8_seq((const unsigned char *)s + i, n - i)))
            return 0;
    return 1;
}

/* The documented replacement: each byte that does not start a UTF-8 sequence becomes U+FFFD. */
static char *replaced(const char *s)
{
    size_t n = strlen(s);
    char *d = malloc(n * 3 + 1);
    CHECK(d);
    size_t o = 0;
    for (size_t i = 0, l; i < n; i += l) {
        l = utf8_seq((const unsigned char *)s + i, n - i);
        if (l) {
            memcpy(d + o, s + i, l);
            o += l;
        } else {
            memcpy(d + o, "\xEF\xBF\xBD", 3);
            o += 3;
            l = 1;
        }
    }
    d[o] = '\0';
    return d;
}

static int same_text(const char *want, const char *got)
{
    char *r = replaced(want);
    int same = strcmp(r, got) == 0;
    free(r);
    return same;
}

/* want (as it went in) and got (as it came out) are equal: numbers bit for bit, strings and
 * member names after the replacement, members in order. */
static int same_member(const cJSON *want, const cJSON *got, int named);

static int same_json(const cJSON *want, const cJSON *got)
{
    return same_member(want, got, 0);
}

static int same_member(const cJSON *want, const cJSON *got, int named)
{
    if (!want || !got)
        return want == got;
    if ((want->type & 0xFF) != (got->type & 0xFF))
        return 0;
    if (named && (!want->string || !got->string || !same_text(want->string, got->string)))
        return 0;
    if (cJSON_IsNumber(want))
        return want->valuedouble == got->valuedouble;
    if (cJSON_IsString(want))
        return same_text(want->valuestring, got->valuestring);
    const cJSON *a = want->child, *b = got->child;
    for (; a && b; a = a->next, b = b->next)
        if (!same_member(a, b, cJSON_IsObject(want)))
            return 0;
    return !a && !b;
}

/* The numbers of a tree with all 17 digits: cJSON prints fewer. */
static void print_numbers(const cJSON *j)
{
    if (cJSON_IsNumber(j))
        fprintf(stderr, " %.17g", j->valuedouble);
    for (const cJSON *c = j->child; c; c = c->next)
        print_numbers(c);
}

static void fail_json(const char *what, const cJSON *want, const char *line)
{
    char *w = want ? cJSON_PrintUnformatted(want) : NULL;
    fprintf(stderr, "fuzz_history: %s differs\n  in:  %s\n  out: %s\n  numbers in:", what,
            w ? w : "null", line);
    if (want)
        print_numbers(want);
    fprintf(stderr, "\n");
    free(w);
    abort();
}

/* Every string in the tree valid UTF-8, every number finite. */
static void check_tree(const cJSON *j)
{
    if (j->string)
        CHECK(valid_utf8(j->string));
    if (cJSON_IsString(j))
        CHECK(valid_utf8(j->valuestring));
    if (cJSON_IsNumber(j))
        CHECK(isfinite(j->valuedouble));
    for (const cJSON *c = j->child; c; c = c->next)
        check_tree(c);
}

static const char *const TYPES[] = {
    "instance_started", "element_activated", "element_completed", "task_created",
    "task_completed", "variables_updated", "instance_completed", NULL};

typedef struct expect {
    const char *instance, *name, *key;
    const cJSON *start_vars, *done_vars;
    cJSON *lines; /* the events of history_each, parsed */
    int started, created, completed, updated, ended;
    double last_seq;
} expect;

static const cJSON *member(const cJSON *o, const char *name)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, name);
    CHECK(m != NULL);
    return m;
}

static int str_or_null(const cJSON *m)
{
    return cJSON_IsString(m) || cJSON_IsNull(m);
}

/* One event: the documented fields with their types, and what went in. */
static void check_event(expect *x, const cJSON *ev, const char *line)
{
    CHECK(cJSON_IsObject(ev));
    check_tree(ev);
    const cJSON *seq = member(ev, "seq");
    CHECK(cJSON_IsNumber(seq) && seq->valuedouble > x->last_seq &&
          seq->valuedouble == floor(seq->valuedouble));
    x->last_seq = seq->valuedouble;
    const cJSON *time = member(ev, "time");
    CHECK(cJSON_IsString(time) && strcmp(time->valuestring, "2026-03-02T09:00:00Z") == 0);
    const cJSON *inst = member(ev, "instance");
    CHECK(cJSON_IsString(inst) && strcmp(inst->valuestring, x->instance) == 0);
    const cJSON *proc = member(ev, "process");
    CHECK(cJSON_IsString(proc) && strcmp(proc->valuestring, "h") == 0);
    CHECK(cJSON_IsNumber(member(ev, "version")));
    const cJSON *key = member(ev, "key");
    if (x->key[0])
        CHECK(cJSON_IsString(key) && same_text(x->key, key->valuestring));
    else
        CHECK(cJSON_IsNull(key));
    const cJSON *type = member(ev, "type");
    CHECK(cJSON_IsString(type));
    int known = 0;
    for (int i = 0; TYPES[i]; i++)
        known |= strcmp(TYPES[i], type->valuestring) == 0;
    CHECK(known);
    const cJSON *el = member(ev, "element"), *et = member(ev, "elementType"),
                *name = member(ev, "name");
    CHECK(str_or_null(el) && str_or_null(et) && str_or_null(name));
    CHECK(cJSON_IsNull(el) == cJSON_IsNull(et));
    CHECK(str_or_null(member(ev, "user")) && str_or_null(member(ev, "task")));
    const cJSON *vars = member(ev, "variables");
    CHECK(cJSON_IsObject(vars) || cJSON_IsNull(vars));
    const char *t = type->valuestring;
    if (strcmp(t, "instance_started") == 0) {
        x->started++;
        CHECK(cJSON_IsNull(el));
        if (!same_json(x->start_vars, cJSON_IsNull(vars) ? NULL : vars))
            fail_json("start variables", x->start_vars, line);
    }
    if (cJSON_IsString(el) && strcmp(el->valuestring, "t") == 0) {
        if (!cJSON_IsString(name) || strcmp(name->valuestring, x->name) != 0) {
            fprintf(stderr, "fuzz_history: name differs\n  in:  %s\n  out: %s\n", x->name, line);
            abort();
        }
        CHECK(strcmp(et->valuestring, "userTask") == 0);
    }
    if (strcmp(t, "task_created") == 0)
        x->created++;
    if (strcmp(t, "task_completed") == 0) {
        x->completed++;
        CHECK(cJSON_IsString(member(ev, "task")) && cJSON_IsNull(vars));
    }
    /* the variables a completion sets, when it sets any */
    if (strcmp(t, "variables_updated") == 0) {
        x->updated++;
        CHECK(cJSON_IsString(el) && strcmp(el->valuestring, "t") == 0);
        if (!same_json(x->done_vars, vars))
            fail_json("completion variables", x->done_vars, line);
    }
    if (strcmp(t, "instance_completed") == 0)
        x->ended++;
}

/* The events of a page, parsed. */
static int collect_line(void *ud, const char *line)
{
    cJSON *ev = cJSON_Parse(line);
    CHECK(ev && cJSON_AddItemToArray(ud, ev));
    return 0;
}

/* page holds the items [from, from + n) of all, member for member in order (cJSON_Compare
 * would not do: two member names that are each a byte other than UTF-8 both come out as U+FFFD,
 * and it looks members up by name). */
static void check_slice(const cJSON *page, const cJSON *all, int from, int n)
{
    CHECK(cJSON_GetArraySize(page) == n);
    for (int i = 0; i < n; i++)
        CHECK(same_json(cJSON_GetArrayItem(page, i), cJSON_GetArrayItem(all, from + i)));
}

static int each_line(void *ud, const char *line)
{
    expect *x = ud;
    CHECK(valid_utf8(line));
    cJSON *ev = cJSON_Parse(line);
    if (!ev) {
        fprintf(stderr, "fuzz_history: not JSON: %s\n", line);
        abort();
    }
    check_event(x, ev, line);
    CHECK(cJSON_AddItemToArray(x->lines, ev));
    return 0;
}

/* ---- the model ---------------------------------------------------------------------------- */

/* A name from the input as XML character references, so that any character XML allows reaches
 * the element unchanged; *plain receives it as UTF-8. */
static void xml_name(input *in, char *xml, size_t xcap, char *plain, size_t pcap)
{
    size_t xo = 0, po = 0;
    int n = in_u8(in) % 24;
    for (int i = 0; i < n && in->p < in->end; i++) {
        uint32_t cp = (uint32_t)in_u8(in);
        if (cp >= 0x80)
            cp = (cp & 0x7F) << 14 | (uint32_t)in_u8(in) << 7 | (uint32_t)in_u8(in);
        cp %= 0x110000;
        int ok = cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
                 (cp >= 0xE000 && cp <= 0xFFFD) || cp >= 0x10000;
        if (!ok)
            continue;
        xo += (size_t)snprintf(xml + xo, xcap - xo, "&#x%X;", cp);
        unsigned char *p = (unsigned char *)plain + po;
        if (cp < 0x80)
            p[0] = (unsigned char)cp, po += 1;
        else if (cp < 0x800)
            p[0] = 0xC0 | cp >> 6, p[1] = 0x80 | (cp & 0x3F), po += 2;
        else if (cp < 0x10000)
            p[0] = 0xE0 | cp >> 12, p[1] = 0x80 | (cp >> 6 & 0x3F), p[2] = 0x80 | (cp & 0x3F),
            po += 3;
        else
            p[0] = 0xF0 | cp >> 18, p[1] = 0x80 | (cp >> 12 & 0x3F), p[2] = 0x80 | (cp >> 6 & 0x3F),
            p[3] = 0x80 | (cp & 0x3F), po += 4;
    }
    CHECK(xo < xcap && po < pcap);
    xml[xo] = '\0';
    plain[po] = '\0';
}

static void check_ok(int rc, const char *what)
{
    if (rc != BPMN_OK) {
        fprintf(stderr, "fuzz_history: %s: %s: %s\n", what, bpmn_strerror(rc),
                bpmn_engine_errmsg(E));
        abort();
    }
}

static char *json_member(const char *json, const char *name, int in_array)
{
    cJSON *j = cJSON_Parse(json);
    const cJSON *o = in_array ? cJSON_GetArrayItem(j, 0) : j;
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, name);
    CHECK(cJSON_IsString(m));
    char *s = strdup(m->valuestring);
    CHECK(s);
    cJSON_Delete(j);
    return s;
}

static void run(input *in)
{
    int flags = in_u8(in);
    char xname[24 * 12 + 1], name[24 * 4 + 1];
    xml_name(in, xname, sizeof xname, name, sizeof name);
    char *key = in_cstr(in, 64);
    cJSON *want_start, *want_done;
    int refuse_start, refuse_done;
    char *start_vars = in_vars(in, flags & 1, &want_start, &refuse_start);
    char *done_vars = in_vars(in, flags & 2, &want_done, &refuse_done);

    char xml[1024];
    snprintf(xml, sizeof xml,
             "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\">"
             "<process id=\"h\" isExecutable=\"true\"><startEvent id=\"s\"/>"
             "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"t\"/>"
             "<userTask id=\"t\" name=\"%s\"/>"
             "<sequenceFlow id=\"f2\" sourceRef=\"t\" targetRef=\"e\"/>"
             "<endEvent id=\"e\"/></process></definitions>",
             xname);
    CHECK(bpmn_batch_begin(E) == BPMN_OK);
    char *out = NULL;
    check_ok(bpmn_deploy(E, "h.bpmn", xml, strlen(xml), &out), "deploy");
    free(out);
    int rc = bpmn_instance_start(E, "h", 0, start_vars, key[0] ? key : NULL, &out);
    if (refuse_start) {
        CHECK(rc == BPMN_EINVAL && !out && !E->batch); /* the failure aborted the batch */
        goto done;
    }
    check_ok(rc, "start");
    char *inst = json_member(out, "instance", 0);
    free(out);
    check_ok(bpmn_task_list(E, inst, NULL, NULL, &out), "task list");
    char *task = json_member(out, "id", 1);
    free(out);
    rc = bpmn_task_complete(E, task, done_vars, &out);
    if (refuse_done) {
        CHECK(rc == BPMN_EINVAL && !out && !E->batch);
        free(inst);
        free(task);
        goto done;
    }
    check_ok(rc, "complete");
    free(out);

    expect x = {inst, name, key, want_start, want_done, cJSON_CreateArray(), 0, 0, 0, 0, 0, 0};
    CHECK(x.lines);
    check_ok(bpmn_history_each(E, inst, 0, each_line, &x), "history_each");
    CHECK(x.started == 1 && x.created == 1 && x.completed == 1 && x.ended == 1);
    CHECK(x.updated == (want_done && want_done->child ? 1 : 0));
    /* bpmn_history gives the same events as one array */
    check_ok(bpmn_history(E, inst, &out), "history");
    CHECK(valid_utf8(out));
    cJSON *arr = cJSON_Parse(out);
    CHECK(cJSON_IsArray(arr));
    CHECK(cJSON_GetArraySize(arr) == cJSON_GetArraySize(x.lines));
    for (int i = 0; i < cJSON_GetArraySize(arr); i++)
        CHECK(same_json(cJSON_GetArrayItem(x.lines, i), cJSON_GetArrayItem(arr, i)));
    cJSON_Delete(arr);
    free(out);

    int total = cJSON_GetArraySize(x.lines);
    if (flags & 4) {
        int offset = in_u8(in) % (total + 2), limit = in_u8(in) % (total + 2);
        int from = offset < total ? offset : total;
        int n = limit && total - from > limit ? limit : total - from;
        cJSON *page = cJSON_CreateArray();
        CHECK(page);
        check_ok(bpmn_history_page(E, inst, 0, (size_t)offset, (size_t)limit, collect_line, page),
                 "history page");
        check_slice(page, x.lines, from, n);
        cJSON_Delete(page);
    }
    if (flags & 8) {
        int from = in_u8(in) % total;
        double seq = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(x.lines, from), "seq")
                         ->valuedouble;
        cJSON *page = cJSON_CreateArray();
        CHECK(page);
        check_ok(bpmn_history_page(E, NULL, (unsigned long long)seq - 1, 0, 0, collect_line, page),
                 "history since");
        check_slice(page, x.lines, from, total - from);
        cJSON_Delete(page);
    }

    cJSON_Delete(x.lines);
    free(inst);
    free(task);
done:
    bpmn_batch_abort(E);
    /* the version deployed in the aborted batch must not stay cached */
    en_def_forget(E, "h");
    free(key);
    free(start_vars);
    free(done_vars);
    cJSON_Delete(want_start);
    cJSON_Delete(want_done);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!E)
        setup();
    bpmn_engine_set_now(E, NOW);
    input in = {data, data + size};
    run(&in);
    return 0;
}
