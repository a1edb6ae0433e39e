/*
 * test_samples_di.c - every diagram in samples/ opens in a modeler and runs: each flow node
 * (nested ones and boundary events too) has exactly one shape with bounds, each sequence flow an
 * edge with waypoints, every diagram reference resolves, every process is drawn on a plane, and
 * the file validates without errors or warnings. The samples directory is read at test time, so
 * a new sample is checked without touching this file. Then the sales-deal sample end to end
 * through the bpmnrt command: the won path with its reminders, roles and renegotiation, the lost
 * path, and the funnel of several deals.
 */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "test_util.h"

#define SAMPLES BPMNRT_SOURCE_DIR "/samples"

static const char NS_BPMN[] = "http://www.omg.org/spec/BPMN/20100524/MODEL";
static const char NS_BPMNDI[] = "http://www.omg.org/spec/BPMN/20100524/DI";
static const char NS_DC[] = "http://www.omg.org/spec/DD/20100524/DC";
static const char NS_DI[] = "http://www.omg.org/spec/DD/20100524/DI";

/* ---- the diagram check ---------------------------------------------------------------- */

enum kind { K_OTHER, K_NODE, K_FLOW, K_PROCESS, K_PARTICIPANT, K_COLLABORATION, K_SUBPROCESS };

typedef struct elem {
    const char *id;
    enum kind kind;
    const char *process_ref;  /* participants */
    const char *collaboration; /* participants: the collaboration holding them */
    int shapes, edges, planes;
} elem;

typedef struct chk {
    const char *file;
    elem *el;
    size_t n, cap;
    char **msgs; /* "FILE: ELEMENT: what is wrong" */
    size_t nmsgs;
} chk;

static void problem(chk *c, const char *id, const char *fmt, ...)
{
    char text[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    char *m = malloc(strlen(c->file) + strlen(id) + strlen(text) + 8);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    sprintf(m, "%s: %s: %s", c->file, id, text);
    c->msgs = realloc(c->msgs, (c->nmsgs + 1) * sizeof *c->msgs);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c->msgs);
    c->msgs[c->nmsgs++] = m;
}

static int is_ns(const xmlNode *x, const char *ns)
{
    return x->type == XML_ELEMENT_NODE && x->ns && strcmp((const char *)x->ns->href, ns) == 0;
}

static const char *attr(const xmlNode *x, const char *name)
{
    for (const xmlAttr *a = x->properties; a; a = a->next)
        if (!a->ns && strcmp((const char *)a->name, name) == 0 && a->children)
            return (const char *)a->children->content;
    return NULL;
}

static elem *find(chk *c, const char *id)
{
    for (size_t i = 0; id && i < c->n; i++)
        if (strcmp(c->el[i].id, id) == 0)
            return &c->el[i];
    return NULL;
}

static enum kind kind_of(const char *tag)
{
    static const char *const nodes[] = {
        "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent",
        "boundaryEvent", "task", "userTask", "serviceTask", "sendTask", "receiveTask",
        "manualTask", "scriptTask", "businessRuleTask", "callActivity", "exclusiveGateway",
        "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway", NULL};
    for (int i = 0; nodes[i]; i++)
        if (strcmp(tag, nodes[i]) == 0)
            return K_NODE;
    if (strcmp(tag, "subProcess") == 0 || strcmp(tag, "transaction") == 0 ||
        strcmp(tag, "adHocSubProcess") == 0)
        return K_SUBPROCESS;
    if (strcmp(tag, "sequenceFlow") == 0)
        return K_FLOW;
    if (strcmp(tag, "process") == 0)
        return K_PROCESS;
    if (strcmp(tag, "participant") == 0)
        return K_PARTICIPANT;
    if (strcmp(tag, "collaboration") == 0)
        return K_COLLABORATION;
    return K_OTHER;
}

/* Every BPMN element with an id, at any depth; vendor content of extensionElements is not BPMN. */
static void collect(chk *c, const xmlNode *x, const char *collaboration)
{
    for (; x; x = x->next) {
        if (!is_ns(x, NS_BPMN))
            continue;
        const char *tag = (const char *)x->name;
        if (strcmp(tag, "extensionElements") == 0)
            continue;
        const char *id = attr(x, "id");
        enum kind k = kind_of(tag);
        if (id) {
            if (find(c, id))
                problem(c, id, "the id is used twice");
            if (c->n == c->cap) {
                c->cap = c->cap ? 2 * c->cap : 64;
                c->el = realloc(c->el, c->cap * sizeof *c->el);
                CU_ASSERT_PTR_NOT_NULL_FATAL(c->el);
            }
            elem *e = &c->el[c->n++];
            memset(e, 0, sizeof *e);
            e->id = id;
            e->kind = k;
            e->process_ref = attr(x, "processRef");
            e->collaboration = collaboration;
        }
        collect(c, x->children, k == K_COLLABORATION ? id : collaboration);
    }
}

static int bounds_ok(const xmlNode *shape)
{
    for (const xmlNode *b = shape->children; b; b = b->next)
        if (is_ns(b, NS_DC) && strcmp((const char *)b->name, "Bounds") == 0) {
            const char *w = attr(b, "width"), *h = attr(b, "height");
            const char *x = attr(b, "x"), *y = attr(b, "y");
            return x && y && w && h && strtod(w, NULL) > 0 && strtod(h, NULL) > 0;
        }
    return 0;
}

static int waypoints(const xmlNode *edge)
{
    int n = 0;
    for (const xmlNode *w = edge->children; w; w = w->next)
        n += is_ns(w, NS_DI) && strcmp((const char *)w->name, "waypoint") == 0 && attr(w, "x") &&
             attr(w, "y");
    return n;
}

/* Counts the shapes, edges and planes of each element and checks each one on the way. */
static void walk_di(chk *c, const xmlNode *x)
{
    for (; x; x = x->next) {
        if (!is_ns(x, NS_BPMNDI)) {
            if (x->type == XML_ELEMENT_NODE)
                walk_di(c, x->children);
            continue;
        }
        const char *tag = (const char *)x->name, *ref = attr(x, "bpmnElement");
        const char *id = attr(x, "id") ? attr(x, "id") : tag;
        int shape = strcmp(tag, "BPMNShape") == 0, edge = strcmp(tag, "BPMNEdge") == 0,
            plane = strcmp(tag, "BPMNPlane") == 0;
        if (shape || edge || plane) {
            elem *e = find(c, ref);
            if (!ref || !e) {
                problem(c, id, "bpmnElement '%s' names no element of the document", ref ? ref : "");
            } else if (shape) {
                e->shapes++;
                if (e->kind == K_FLOW)
                    problem(c, ref, "a sequence flow is drawn as a shape");
                if (!bounds_ok(x))
                    problem(c, ref, "shape %s has no dc:Bounds with positive width and height", id);
            } else if (edge) {
                e->edges++;
                if (e->kind == K_NODE || e->kind == K_SUBPROCESS)
                    problem(c, ref, "a flow node is drawn as an edge");
                if (waypoints(x) < 2)
                    problem(c, ref, "edge %s has %d waypoints, needs at least 2", id, waypoints(x));
            } else {
                e->planes++;
            }
        }
        walk_di(c, x->children);
    }
}

/* Whether the process is drawn: its own plane, or a plane of a collaboration one of whose
 * participants is the process. */
static int process_drawn(chk *c, const elem *p)
{
    if (p->planes)
        return 1;
    for (size_t i = 0; i < c->n; i++)
        if (c->el[i].kind == K_PARTICIPANT && c->el[i].process_ref &&
            strcmp(c->el[i].process_ref, p->id) == 0 && c->el[i].collaboration) {
            const elem *col = find(c, c->el[i].collaboration);
            if (col && col->planes)
                return 1;
        }
    return 0;
}

/* Checks one parsed document; the problems go into c->msgs. */
static void check_doc(chk *c, xmlDoc *doc)
{
    const xmlNode *root = xmlDocGetRootElement(doc);
    if (!root || !is_ns(root, NS_BPMN) || strcmp((const char *)root->name, "definitions") != 0) {
        problem(c, "definitions", "the root is not a BPMN definitions element");
        return;
    }
    collect(c, root->children, NULL);
    walk_di(c, root->children);
    for (size_t i = 0; i < c->n; i++) {
        const elem *e = &c->el[i];
        if ((e->kind == K_NODE || e->kind == K_SUBPROCESS || e->kind == K_PARTICIPANT) &&
            e->shapes != 1)
            problem(c, e->id, "has %d shapes, needs exactly 1", e->shapes);
        if (e->kind == K_FLOW && e->edges != 1)
            problem(c, e->id, "has %d edges, needs exactly 1", e->edges);
        if (e->kind == K_PROCESS && !process_drawn(c, e))
            problem(c, e->id, "the process is on no plane (neither its own nor a collaboration's)");
        if (e->kind == K_PARTICIPANT && !(e->collaboration && find(c, e->collaboration) &&
                                          find(c, e->collaboration)->planes))
            problem(c, e->id, "the participant's collaboration is on no plane");
    }
}

static void check_memory(chk *c, const char *name, const char *xml, size_t len)
{
    memset(c, 0, sizeof *c);
    c->file = name;
    xmlDoc *doc = xmlReadMemory(xml, (int)len, name, NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) {
        problem(c, "definitions", "not well-formed XML");
        return;
    }
    check_doc(c, doc);
    xmlFreeDoc(doc);
}

static void chk_free(chk *c)
{
    for (size_t i = 0; i < c->nmsgs; i++)
        free(c->msgs[i]);
    free(c->msgs);
    free(c->el);
}

static int has_msg(const chk *c, const char *a, const char *b)
{
    for (size_t i = 0; i < c->nmsgs; i++)
        if (strstr(c->msgs[i], a) && strstr(c->msgs[i], b))
            return 1;
    return 0;
}

/* The *.bpmn files of samples/, sorted, as full paths; the count goes into *n. */
static char **sample_files(size_t *n)
{
    char **files = NULL;
    *n = 0;
    DIR *d = opendir(SAMPLES);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l < 6 || strcmp(de->d_name + l - 5, ".bpmn") != 0)
            continue;
        files = realloc(files, (*n + 1) * sizeof *files);
        files[*n] = malloc(sizeof SAMPLES + l + 2);
        sprintf(files[*n], "%s/%s", SAMPLES, de->d_name);
        (*n)++;
    }
    closedir(d);
    for (size_t i = 1; i < *n; i++) /* insertion sort: a handful of names */
        for (size_t j = i; j > 0 && strcmp(files[j - 1], files[j]) > 0; j--) {
            char *t = files[j];
            files[j] = files[j - 1];
            files[j - 1] = t;
        }
    return files;
}

static void fail_with(const char *msg)
{
    fprintf(stderr, "\n  %s", msg);
    CU_assertImplementation(CU_FALSE, __LINE__, msg, __FILE__, "", CU_FALSE);
}

static void test_every_sample_has_a_complete_diagram(void)
{
    size_t n;
    char **files = sample_files(&n);
    int seen_core = 0;
    for (size_t i = 0; i < n; i++) {
        seen_core += strstr(files[i], "/sales-deal.bpmn") || strstr(files[i], "/incoming-lead.bpmn") ||
                     strstr(files[i], "/lost-clients.bpmn") || strstr(files[i], "/delivery-of-goods.bpmn");
        size_t len;
        char *xml = tu_read_file(files[i], &len);
        CU_ASSERT_PTR_NOT_NULL_FATAL(xml);
        chk c;
        check_memory(&c, files[i] + sizeof SAMPLES, xml, len);
        size_t nodes = 0, flows = 0;
        for (size_t k = 0; k < c.n; k++)
            nodes += c.el[k].kind == K_NODE, flows += c.el[k].kind == K_FLOW;
        if (nodes < 3 || flows < 2) { /* a sample is a real process, not an empty shell */
            char m[200];
            snprintf(m, sizeof m, "%s: only %zu flow nodes and %zu flows", files[i], nodes, flows);
            fail_with(m);
        }
        for (size_t k = 0; k < c.nmsgs; k++)
            fail_with(c.msgs[k]);
        chk_free(&c);
        free(xml);
        free(files[i]);
    }
    free(files);
    CU_ASSERT_EQUAL(seen_core, 4); /* the directory really was read */
}

static void test_every_sample_validates_without_warnings(void)
{
    size_t n;
    char **files = sample_files(&n);
    CU_ASSERT(n >= 4);
    for (size_t i = 0; i < n; i++) {
        bpmn_report *r = NULL;
        CU_ASSERT_EQUAL_FATAL(bpmn_validate_file(files[i], NULL, &r), BPMN_OK);
        CU_ASSERT(bpmn_report_processes(r) >= 1);
        for (size_t k = 0; k < bpmn_report_count(r); k++) {
            const bpmn_diagnostic *d = bpmn_report_get(r, k);
            char m[600];
            snprintf(m, sizeof m, "%s:%u: %s: %s: %s", files[i], d->line,
                     d->severity == BPMN_SEV_ERROR ? "error" : "warning", d->element, d->message);
            fail_with(m);
        }
        bpmn_report_free(r);
        free(files[i]);
    }
    free(files);
}

/* The check itself finds what it is there to find: each defect of a broken diagram is named. */
static void test_di_check_names_each_missing_or_broken_piece(void)
{
    static const char xml[] =
        "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" "
        "xmlns:bpmndi=\"http://www.omg.org/spec/BPMN/20100524/DI\" "
        "xmlns:dc=\"http://www.omg.org/spec/DD/20100524/DC\" "
        "xmlns:di=\"http://www.omg.org/spec/DD/20100524/DI\" id=\"d\">"
        "<process id=\"p\" isExecutable=\"true\"><startEvent id=\"s\"/>"
        "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"sub\"/>"
        "<subProcess id=\"sub\"><startEvent id=\"inner\"/><extensionElements><x id=\"s\"/>"
        "</extensionElements></subProcess>"
        "<boundaryEvent id=\"b\" attachedToRef=\"sub\"/>"
        "<sequenceFlow id=\"f2\" sourceRef=\"sub\" targetRef=\"e\"/><endEvent id=\"e\"/></process>"
        "<process id=\"undrawn\"/>"
        "<bpmndi:BPMNDiagram><bpmndi:BPMNPlane id=\"pl\" bpmnElement=\"p\">"
        "<bpmndi:BPMNShape id=\"s_di\" bpmnElement=\"s\"><dc:Bounds x=\"0\" y=\"0\" width=\"36\" height=\"36\"/></bpmndi:BPMNShape>"
        "<bpmndi:BPMNShape id=\"sub_di\" bpmnElement=\"sub\"><dc:Bounds x=\"0\" y=\"0\" width=\"0\" height=\"80\"/></bpmndi:BPMNShape>"
        "<bpmndi:BPMNShape id=\"e_di\" bpmnElement=\"e\"><dc:Bounds x=\"0\" y=\"0\" width=\"36\" height=\"36\"/></bpmndi:BPMNShape>"
        "<bpmndi:BPMNShape id=\"e_di2\" bpmnElement=\"e\"><dc:Bounds x=\"9\" y=\"0\" width=\"36\" height=\"36\"/></bpmndi:BPMNShape>"
        "<bpmndi:BPMNShape id=\"ghost_di\" bpmnElement=\"ghost\"><dc:Bounds x=\"0\" y=\"0\" width=\"1\" height=\"1\"/></bpmndi:BPMNShape>"
        "<bpmndi:BPMNEdge id=\"f1_di\" bpmnElement=\"f1\"><di:waypoint x=\"1\" y=\"1\"/></bpmndi:BPMNEdge>"
        "</bpmndi:BPMNPlane></bpmndi:BPMNDiagram></definitions>";
    chk c;
    check_memory(&c, "broken.bpmn", xml, sizeof xml - 1);
    CU_ASSERT(has_msg(&c, "broken.bpmn: inner:", "has 0 shapes")); /* nested in the sub-process */
    CU_ASSERT(has_msg(&c, "broken.bpmn: b:", "has 0 shapes"));     /* a boundary event */
    CU_ASSERT(has_msg(&c, "broken.bpmn: e:", "has 2 shapes"));
    CU_ASSERT(has_msg(&c, "broken.bpmn: sub:", "positive width"));
    CU_ASSERT(has_msg(&c, "broken.bpmn: ghost_di:", "'ghost' names no element"));
    CU_ASSERT(has_msg(&c, "broken.bpmn: f1:", "1 waypoints"));
    CU_ASSERT(has_msg(&c, "broken.bpmn: f2:", "has 0 edges"));
    CU_ASSERT(has_msg(&c, "broken.bpmn: undrawn:", "on no plane"));
    CU_ASSERT(!has_msg(&c, ": s:", "")); /* the start event is fine; extension ids are not BPMN */
    CU_ASSERT(!has_msg(&c, ": p:", ""));
    CU_ASSERT_EQUAL(c.nmsgs, 8);
    chk_free(&c);

    /* A collaboration's plane draws the processes of its participants; each pool needs a shape. */
    static const char pools[] =
        "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" "
        "xmlns:bpmndi=\"http://www.omg.org/spec/BPMN/20100524/DI\" "
        "xmlns:dc=\"http://www.omg.org/spec/DD/20100524/DC\" id=\"d\">"
        "<collaboration id=\"c\"><participant id=\"pa\" processRef=\"p\"/>"
        "<participant id=\"pb\" processRef=\"q\"/></collaboration>"
        "<process id=\"p\"/><process id=\"q\"/>"
        "<bpmndi:BPMNDiagram><bpmndi:BPMNPlane id=\"pl\" bpmnElement=\"c\">"
        "<bpmndi:BPMNShape id=\"pa_di\" bpmnElement=\"pa\"><dc:Bounds x=\"0\" y=\"0\" width=\"600\" height=\"250\"/></bpmndi:BPMNShape>"
        "</bpmndi:BPMNPlane></bpmndi:BPMNDiagram></definitions>";
    check_memory(&c, "pools.bpmn", pools, sizeof pools - 1);
    CU_ASSERT(has_msg(&c, "pools.bpmn: pb:", "has 0 shapes"));
    CU_ASSERT_EQUAL(c.nmsgs, 1);
    chk_free(&c);
}

/* ---- sales-deal through the bpmnrt command ---------------------------------------------- */

static char db[64];

static void fresh_db(void)
{
    tu_store_path(db);
}

static void remove_db(void)
{
    tu_store_remove(db);
}

/* Runs `bpmnrt --db DB --now NOW ARGS... --json` (arguments end with NULL), asserts the exit
 * code and returns the parsed output (NULL when the command was refused). */
static cJSON *run(int expect, const char *now, ...)
{
    char *args[28];
    int k = 0;
    args[k++] = "--db";
    args[k++] = db;
    args[k++] = "--now";
    args[k++] = (char *)now;
    va_list ap;
    va_start(ap, now);
    const char *a;
    while ((a = va_arg(ap, const char *)) && k < 26)
        args[k++] = (char *)a;
    va_end(ap);
    args[k++] = "--json";
    args[k] = NULL;
    char *out, *err;
    int rc = tu_cli(args, &out, &err);
    if (rc != expect)
        fprintf(stderr, "\n%s %s: exit %d, expected %d\nstdout: %s\nstderr: %s\n", args[4],
                k > 5 ? args[5] : "", rc, expect, out, err);
    CU_ASSERT_EQUAL(rc, expect);
    /* A sanitizer also exits 1: a refusal must be the command's own. */
    CU_ASSERT_PTR_NULL(strstr(err, "Sanitizer"));
    CU_ASSERT_PTR_NULL(strstr(err, "runtime error"));
    cJSON *j = rc == 0 ? cJSON_Parse(out) : NULL;
    if (expect == 0) {
        CU_ASSERT_PTR_NOT_NULL(j);
    } else {
        CU_ASSERT(strlen(err) > 0);
    }
    free(out);
    free(err);
    return j;
}

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItem(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static int num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItem(o, k);
    return cJSON_IsNumber(v) ? v->valueint : -1;
}

static const char *start_deal(const char *now, const char *key, const char *client)
{
    static char id[32];
    char vars[128];
    snprintf(vars, sizeof vars, "{\"client\":\"%s\",\"amount\":20000}", client);
    cJSON *s = run(0, now, "start", "sales-deal", "--key", key, "--vars", vars, NULL);
    snprintf(id, sizeof id, "%s", str(s, "instance"));
    CU_ASSERT_STRING_EQUAL(str(s, "state"), "active");
    cJSON_Delete(s);
    return id;
}

/* The id of the only open task of the instance, asserting its element, its one candidate group
 * and its due date. */
static char *task_at(const char *now, const char *inst, const char *element, const char *group,
                     const char *due)
{
    static char id[32];
    id[0] = '\0';
    cJSON *t = run(0, now, "tasks", "--instance", inst, NULL);
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(t), 1);
    const cJSON *x = cJSON_GetArrayItem(t, 0);
    if (strcmp(str(x, "element"), element) != 0)
        fprintf(stderr, "\ninstance %s waits at %s, expected %s\n", inst, str(x, "element"), element);
    CU_ASSERT_STRING_EQUAL(str(x, "element"), element);
    const cJSON *g = cJSON_GetObjectItem(x, "candidateGroups");
    CU_ASSERT_EQUAL(cJSON_GetArraySize(g), 1);
    CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(cJSON_GetArrayItem(g, 0)), group);
    if (due)
        CU_ASSERT_STRING_EQUAL(str(x, "due"), due);
    snprintf(id, sizeof id, "%s", str(x, "id"));
    cJSON_Delete(t);
    return id;
}

static void complete(const char *now, const char *task, const char *user, const char *groups,
                     const char *vars)
{
    cJSON_Delete(run(0, now, "complete", task, "--user", user, "--groups", groups, "--vars", vars,
                     NULL));
}

static int fired(const char *now)
{
    cJSON *t = run(0, now, "tick", NULL);
    int n = num(t, "fired");
    cJSON_Delete(t);
    return n;
}

/* The state of the instance and whether its history passed through element. */
static void expect_ended_at(const char *inst, const char *end, const char *not_end)
{
    cJSON *sh = run(0, "2026-06-01T00:00:00Z", "show", inst, NULL);
    CU_ASSERT_STRING_EQUAL(str(sh, "state"), "completed");
    CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(sh, "waiting")), 0);
    cJSON_Delete(sh);
    cJSON *h = run(0, "2026-06-01T00:00:00Z", "history", inst, NULL);
    int reached = 0, other = 0;
    const cJSON *ev;
    cJSON_ArrayForEach(ev, h) {
        if (strcmp(str(ev, "type"), "element_completed") != 0)
            continue;
        reached += strcmp(str(ev, "element"), end) == 0;
        other += strcmp(str(ev, "element"), not_end) == 0;
    }
    CU_ASSERT_EQUAL(reached, 1);
    CU_ASSERT_EQUAL(other, 0);
    cJSON_Delete(h);
}

static void deploy_sales_deal(void)
{
    fresh_db();
    cJSON *d = run(0, "2026-03-02T09:00:00Z", "deploy", SAMPLES "/sales-deal.bpmn", NULL);
    const cJSON *dep = cJSON_GetArrayItem(cJSON_GetObjectItem(d, "deployments"), 0);
    CU_ASSERT_STRING_EQUAL(str(dep, "process"), "sales-deal");
    cJSON_Delete(d);
}

static void test_sales_deal_is_won_stage_by_stage_with_reminders_and_a_renegotiation(void)
{
    deploy_sales_deal();
    const char *t0 = "2026-03-02T09:00:00Z";
    cJSON_Delete(run(1, t0, "start", "sales-deal", "--vars", "{\"amount\":5}", NULL)); /* no client */
    char inst[32];
    snprintf(inst, sizeof inst, "%s", start_deal(t0, "D-1", "ACME"));

    /* Qualification: sales, three days; the reminder fires on the second day, not before. */
    char task[32];
    snprintf(task, sizeof task, "%s", task_at(t0, inst, "Qualification", "sales", "2026-03-05T09:00:00Z"));
    CU_ASSERT_EQUAL(fired("2026-03-04T08:59:59Z"), 0);
    cJSON *jobs = run(0, t0, "jobs", "--type", "notify", NULL);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(jobs), 0);
    cJSON_Delete(jobs);
    CU_ASSERT_EQUAL(fired("2026-03-04T09:00:00Z"), 1);
    jobs = run(0, t0, "jobs", "--type", "notify", NULL);
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(jobs), 1);
    const cJSON *job = cJSON_GetArrayItem(jobs, 0);
    CU_ASSERT_STRING_EQUAL(str(job, "element"), "RemindQualification");
    CU_ASSERT_STRING_EQUAL(str(job, "instance"), inst);
    cJSON_Delete(run(0, "2026-03-04T09:01:00Z", "job", "complete", str(job, "id"), NULL));
    cJSON_Delete(jobs);
    /* The reminder does not interrupt: the same task is still open; legal may not do it. */
    CU_ASSERT_STRING_EQUAL(task_at(t0, inst, "Qualification", "sales", NULL), task);
    cJSON_Delete(run(1, t0, "complete", task, "--user", "lena", "--groups", "legal", "--vars",
                     "{\"qualification\":\"qualified\"}", NULL));
    complete("2026-03-04T10:00:00Z", task, "boris", "sales", "{\"qualification\":\"qualified\"}");

    /* Proposal (zeebe: attributes, FEEL due date), negotiation; renegotiation goes back. */
    complete("2026-03-05T09:00:00Z",
             task_at(t0, inst, "Proposal", "sales", "2026-03-09T10:00:00Z"), "anna", "sales",
             "{\"amount\":20000}");
    complete("2026-03-06T09:00:00Z",
             task_at(t0, inst, "Negotiation", "sales", "2026-03-12T09:00:00Z"), "boris", "sales",
             "{\"negotiation\":\"renegotiate\"}");
    complete("2026-03-06T12:00:00Z",
             task_at(t0, inst, "Proposal", "sales", "2026-03-11T09:00:00Z"), "anna", "sales",
             "{\"amount\":18000}");
    complete("2026-03-07T09:00:00Z",
             task_at(t0, inst, "Negotiation", "sales", "2026-03-13T12:00:00Z"), "boris", "sales",
             "{\"negotiation\":\"agreed\"}");

    /* Contract: legal only. */
    snprintf(task, sizeof task, "%s", task_at(t0, inst, "Contract", "legal", "2026-03-12T09:00:00Z"));
    cJSON_Delete(run(1, t0, "complete", task, "--user", "boris", "--groups", "sales", "--vars",
                     "{\"contractSigned\":true}", NULL));
    complete("2026-03-08T09:00:00Z", task, "lena", "legal", "{\"contractSigned\":true}");

    /* Payment: the financial manager, ten days, reminded the day before. Only this reminder
     * fires: those of the finished stages went away with their tasks. */
    snprintf(task, sizeof task, "%s", task_at(t0, inst, "Payment", "finance", "2026-03-18T09:00:00Z"));
    CU_ASSERT_EQUAL(fired("2026-03-17T09:00:00Z"), 1);
    jobs = run(0, t0, "jobs", "--type", "notify", NULL);
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(jobs), 1);
    CU_ASSERT_STRING_EQUAL(str(cJSON_GetArrayItem(jobs, 0), "element"), "RemindPayment");
    complete("2026-03-17T15:00:00Z", task, "fiona", "finance", "{\"paymentReceived\":true}");
    /* The deal is won, but the instance ends only once the reminder has gone out too. */
    cJSON *sh = run(0, t0, "show", inst, NULL);
    CU_ASSERT_STRING_EQUAL(str(sh, "state"), "active");
    CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItem(sh, "waiting"), 0)),
                           "RemindPayment");
    cJSON_Delete(sh);
    cJSON_Delete(run(0, "2026-03-17T15:01:00Z", "job", "complete",
                     str(cJSON_GetArrayItem(jobs, 0), "id"), NULL));
    cJSON_Delete(jobs);

    expect_ended_at(inst, "DealWon", "DealLost");
    CU_ASSERT_EQUAL(fired("2026-06-01T00:00:00Z"), 0); /* no timer outlives the deal */
    sh = run(0, t0, "show", inst, NULL);
    const cJSON *vars = cJSON_GetObjectItem(sh, "variables");
    CU_ASSERT_EQUAL(num(vars, "amount"), 18000);
    CU_ASSERT_STRING_EQUAL(str(vars, "negotiation"), "agreed");
    cJSON_Delete(sh);
    /* Who did what, in order. */
    static const char *const who[] = {"boris", "anna", "boris", "anna", "boris", "lena", "fiona"};
    cJSON *h = run(0, t0, "history", inst, NULL);
    size_t k = 0;
    const cJSON *ev;
    cJSON_ArrayForEach(ev, h) {
        if (strcmp(str(ev, "type"), "task_completed") != 0)
            continue;
        CU_ASSERT_FATAL(k < 7);
        CU_ASSERT_STRING_EQUAL(str(ev, "user"), who[k]);
        k++;
    }
    CU_ASSERT_EQUAL(k, 7);
    cJSON_Delete(h);
    remove_db();
}

static void test_sales_deal_is_lost_when_unqualified_or_when_the_client_walks_away(void)
{
    deploy_sales_deal();
    const char *t0 = "2026-03-02T09:00:00Z";
    char a[32], b[32];
    snprintf(a, sizeof a, "%s", start_deal(t0, "D-2", "Globex"));
    snprintf(b, sizeof b, "%s", start_deal(t0, "D-3", "Initech"));
    complete(t0, task_at(t0, a, "Qualification", "sales", NULL), "anna", "sales",
             "{\"qualification\":\"unqualified\"}");
    expect_ended_at(a, "DealLost", "Proposal");

    complete(t0, task_at(t0, b, "Qualification", "sales", NULL), "anna", "sales",
             "{\"qualification\":\"qualified\"}");
    complete(t0, task_at(t0, b, "Proposal", "sales", NULL), "anna", "sales", "{\"amount\":900}");
    char task[32];
    snprintf(task, sizeof task, "%s", task_at(t0, b, "Negotiation", "sales", NULL));
    /* The result is a closed list: anything else is refused and the task stays open. */
    cJSON_Delete(run(1, t0, "complete", task, "--user", "boris", "--groups", "sales", "--vars",
                     "{\"negotiation\":\"maybe\"}", NULL));
    CU_ASSERT_STRING_EQUAL(task_at(t0, b, "Negotiation", "sales", NULL), task);
    complete(t0, task, "boris", "sales", "{\"negotiation\":\"lost\"}");
    expect_ended_at(b, "DealLost", "Contract");
    CU_ASSERT_EQUAL(fired("2026-06-01T00:00:00Z"), 0);
    remove_db();
}

/* One stage of the funnel report: its position, element and counts. */
static void expect_stage(const cJSON *stages, int i, const char *element, int entered,
                         int completed, int waiting)
{
    const cJSON *s = cJSON_GetArrayItem(stages, i);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    if (strcmp(str(s, "element"), element) != 0 || num(s, "entered") != entered ||
        num(s, "completed") != completed || num(s, "waiting") != waiting)
        fprintf(stderr, "\nstage %d: %s %d/%d/%d, expected %s %d/%d/%d\n", i, str(s, "element"),
                num(s, "entered"), num(s, "completed"), num(s, "waiting"), element, entered,
                completed, waiting);
    CU_ASSERT_STRING_EQUAL(str(s, "element"), element);
    CU_ASSERT_EQUAL(num(s, "entered"), entered);
    CU_ASSERT_EQUAL(num(s, "completed"), completed);
    CU_ASSERT_EQUAL(num(s, "waiting"), waiting);
}

static void test_sales_deal_funnel_counts_each_stage(void)
{
    deploy_sales_deal();
    const char *t0 = "2026-03-02T09:00:00Z", *t1 = "2026-03-02T15:00:00Z";
    char won[32], unq[32], neg[32], fresh[32], reneg[32];
    snprintf(won, sizeof won, "%s", start_deal(t0, "F-1", "ACME"));
    snprintf(unq, sizeof unq, "%s", start_deal(t0, "F-2", "Globex"));
    snprintf(neg, sizeof neg, "%s", start_deal(t0, "F-3", "Initech"));
    snprintf(fresh, sizeof fresh, "%s", start_deal(t0, "F-4", "Umbrella"));
    snprintf(reneg, sizeof reneg, "%s", start_deal(t0, "F-5", "Hooli"));
    const char *q = "{\"qualification\":\"qualified\"}", *amount = "{\"amount\":1000}";
    /* won: every stage once */
    complete(t1, task_at(t1, won, "Qualification", "sales", NULL), "anna", "sales", q);
    complete(t1, task_at(t1, won, "Proposal", "sales", NULL), "anna", "sales", amount);
    complete(t1, task_at(t1, won, "Negotiation", "sales", NULL), "boris", "sales",
             "{\"negotiation\":\"agreed\"}");
    complete(t1, task_at(t1, won, "Contract", "legal", NULL), "lena", "legal", "{\"contractSigned\":true}");
    complete(t1, task_at(t1, won, "Payment", "finance", NULL), "fiona", "finance",
             "{\"paymentReceived\":true}");
    /* lost at qualification */
    complete(t1, task_at(t1, unq, "Qualification", "sales", NULL), "boris", "sales",
             "{\"qualification\":\"unqualified\"}");
    /* waiting in negotiation */
    complete(t1, task_at(t1, neg, "Qualification", "sales", NULL), "anna", "sales", q);
    complete(t1, task_at(t1, neg, "Proposal", "sales", NULL), "anna", "sales", amount);
    /* renegotiated once, then lost */
    complete(t1, task_at(t1, reneg, "Qualification", "sales", NULL), "boris", "sales", q);
    complete(t1, task_at(t1, reneg, "Proposal", "sales", NULL), "boris", "sales", amount);
    complete(t1, task_at(t1, reneg, "Negotiation", "sales", NULL), "boris", "sales",
             "{\"negotiation\":\"renegotiate\"}");
    complete(t1, task_at(t1, reneg, "Proposal", "sales", NULL), "boris", "sales", amount);
    complete(t1, task_at(t1, reneg, "Negotiation", "sales", NULL), "boris", "sales",
             "{\"negotiation\":\"lost\"}");
    /* Two days on, only the untouched deal's qualification reminder is due. */
    CU_ASSERT_EQUAL(fired("2026-03-04T09:00:00Z"), 1);

    cJSON *r = run(0, "2026-03-04T09:00:00Z", "report", "funnel", "--process", "sales-deal", NULL);
    CU_ASSERT_STRING_EQUAL(str(r, "process"), "sales-deal");
    const cJSON *st = cJSON_GetObjectItem(r, "stages");
    /* Five stages; the reminders a non-interrupting timer starts beside them are side work. */
    CU_ASSERT_EQUAL(cJSON_GetArraySize(st), 5);
    expect_stage(st, 0, "Qualification", 5, 4, 1);
    expect_stage(st, 1, "Proposal", 4, 4, 0);
    expect_stage(st, 2, "Negotiation", 4, 3, 1);
    expect_stage(st, 3, "Contract", 1, 1, 0);
    expect_stage(st, 4, "Payment", 1, 1, 0);
    cJSON_Delete(r);
    /* The qualification of the deals that left it took six hours each. */
    r = run(0, t1, "report", "funnel", "--process", "sales-deal", NULL);
    CU_ASSERT_EQUAL(num(cJSON_GetArrayItem(cJSON_GetObjectItem(r, "stages"), 0), "medianMs"),
                    6 * 3600 * 1000);
    cJSON_Delete(r);
    remove_db();
}

int main(void)
{
    static const tu_case cases[] = {
        {"every sample has a complete diagram", test_every_sample_has_a_complete_diagram},
        {"every sample validates without warnings", test_every_sample_validates_without_warnings},
        {"the diagram check names each missing or broken piece",
         test_di_check_names_each_missing_or_broken_piece},
        {"sales deal is won stage by stage with reminders and a renegotiation",
         test_sales_deal_is_won_stage_by_stage_with_reminders_and_a_renegotiation},
        {"sales deal is lost when unqualified or when the client walks away",
         test_sales_deal_is_lost_when_unqualified_or_when_the_client_walks_away},
        {"sales deal funnel counts each stage", test_sales_deal_funnel_counts_each_stage},
        {NULL, NULL},
    };
    return tu_run("samples_di", cases);
}
