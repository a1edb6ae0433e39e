/*
 * test_streaming.c - every list streams in bounded memory and pages: a store of a million
 * history events (BPMNRT_STREAM_EVENTS=N for another size, e.g. 4000000 by hand) is printed by
 * `bpmnrt history --json` and `export` in a child process whose peak resident memory stays under
 * 50 MB, as a well-formed JSON array (NDJSON for export) of exactly the events stored, counted as
 * the output streams by; instances, tasks and jobs of 20,000 waiting instances likewise; and
 * --limit/--offset give the pages of every list, through the API and the command.
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "test_util.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

#define RSS_LIMIT_KB (50L * 1024)
#define INSTANCES 20000

/* Each instance runs a sequential multi-instance manual task (two events an iteration) in one
 * go, then waits at a user task and a job: K iterations make about 2K events an instance. */
static const char *MODEL =
    "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\">"
    "<process id=\"p\" isExecutable=\"true\"><startEvent id=\"s\"/>"
    "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"m\"/>"
    "<manualTask id=\"m\"><multiInstanceLoopCharacteristics isSequential=\"true\">"
    "<loopCardinality>%d</loopCardinality></multiInstanceLoopCharacteristics></manualTask>"
    "<sequenceFlow id=\"f2\" sourceRef=\"m\" targetRef=\"g\"/>"
    "<parallelGateway id=\"g\"/>"
    "<sequenceFlow id=\"f3\" sourceRef=\"g\" targetRef=\"u\"/>"
    "<sequenceFlow id=\"f4\" sourceRef=\"g\" targetRef=\"j\"/>"
    "<userTask id=\"u\" name=\"Check\"><potentialOwner><resourceAssignmentExpression>"
    "<formalExpression>group(sales)</formalExpression></resourceAssignmentExpression>"
    "</potentialOwner></userTask>"
    "<serviceTask id=\"j\"><extensionElements><zeebe:taskDefinition "
    "xmlns:zeebe=\"http://camunda.org/schema/zeebe/1.0\" type=\"ship\"/></extensionElements>"
    "</serviceTask>"
    "<sequenceFlow id=\"f5\" sourceRef=\"u\" targetRef=\"e\"/>"
    "<sequenceFlow id=\"f6\" sourceRef=\"j\" targetRef=\"e\"/>"
    "<endEvent id=\"e\"/></process></definitions>";

static int count_item(void *ud, const char *json)
{
    (void)json;
    (*(size_t *)ud)++;
    return 0;
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* A store of n instances of MODEL with k iterations, written in one batch; returns the number
 * of history events it holds. */
static size_t build_store(const char *path, int n, int k)
{
    bpmn_engine_options o = {0};
    o.path = path;
    o.nosync = 1;
    o.map_size = (size_t)1 << 30; /* a batch cannot grow the map */
    bpmn_engine *e = NULL;
    CU_ASSERT_EQUAL_FATAL(bpmn_engine_open(&o, &e, NULL, 0), BPMN_OK);
    char xml[4096], *out = NULL;
    snprintf(xml, sizeof xml, MODEL, k);
    CU_ASSERT_EQUAL_FATAL(bpmn_deploy(e, "p.bpmn", xml, strlen(xml), &out), BPMN_OK);
    bpmn_free(e, out);
    CU_ASSERT_EQUAL_FATAL(bpmn_batch_begin(e), BPMN_OK);
    int rc = BPMN_OK;
    for (int i = 0; i < n && rc == BPMN_OK; i++) {
        rc = bpmn_instance_start(e, "p", 0, NULL, NULL, &out);
        bpmn_free(e, out);
    }
    if (rc != BPMN_OK)
        fprintf(stderr, "\nstart: %s\n", bpmn_engine_errmsg(e));
    CU_ASSERT_EQUAL_FATAL(rc, BPMN_OK);
    CU_ASSERT_EQUAL_FATAL(bpmn_batch_commit(e), BPMN_OK);
    size_t events = 0;
    CU_ASSERT_EQUAL(bpmn_history_each(e, NULL, 0, count_item, &events), BPMN_OK);
    bpmn_engine_close(e);
    return events;
}

/* Counts the elements of a JSON array as its text streams by, and checks its shape: '[', values
 * separated by commas at depth 1, ']' and a newline, strings and escapes taken into account. */
typedef struct array_count {
    int depth, in_str, esc, started, ended, bad;
    size_t items, lines;
} array_count;

static void count_chunk(array_count *c, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        if (ch == '\n')
            c->lines++;
        if (c->in_str) {
            if (c->esc)
                c->esc = 0;
            else if (ch == '\\')
                c->esc = 1;
            else if (ch == '"')
                c->in_str = 0;
            continue;
        }
        if (c->ended) {
            c->bad |= ch != '\n';
            continue;
        }
        if (!c->started) {
            c->bad |= ch != '[';
            c->started = 1;
            c->depth = 1;
            continue;
        }
        if (ch == '"') {
            c->in_str = 1;
        } else if (ch == '[' || ch == '{') {
            if (c->depth == 1 && c->items == 0)
                c->items = 1;
            c->depth++;
        } else if (ch == ']' || ch == '}') {
            if (--c->depth == 0)
                c->ended = 1;
            c->bad |= c->depth < 0;
        } else if (ch == ',' && c->depth == 1) {
            c->items++;
        }
    }
}

/* The child's anonymous resident memory (its heap, not the store file LMDB maps), in KB. */
static long rss_anon_kb(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kb = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "RssAnon: %ld kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb;
}

static long anon_peak_kb; /* the highest RssAnon seen by run_child while it read the output */

/* Runs bpmnrt with args; its standard output goes through count (or to /dev/null when count is
 * NULL). Returns the exit code; *maxrss_kb receives the child's peak resident memory. */
static int run_child(char *const args[], array_count *count, long *maxrss_kb)
{
    char *argv[16];
    int k = 0;
    argv[k++] = (char *)BPMNRT_BIN;
    for (int i = 0; args[i] && k < 15; i++)
        argv[k++] = args[i];
    argv[k] = NULL;
    int po[2];
    CU_ASSERT_EQUAL_FATAL(pipe(po), 0);
    pid_t pid = fork();
    if (pid == 0) {
        if (!count) {
            FILE *null = freopen("/dev/null", "w", stdout);
            (void)null;
        } else {
            dup2(po[1], 1);
        }
        close(po[0]);
        close(po[1]);
        execv(BPMNRT_BIN, argv);
        _exit(127);
    }
    close(po[1]);
    char buf[65536];
    ssize_t got;
    unsigned chunks = 0;
    anon_peak_kb = 0;
    while ((got = read(po[0], buf, sizeof buf)) > 0) {
        if (count)
            count_chunk(count, buf, (size_t)got);
        if (chunks++ % 8 == 0) {
            long kb = rss_anon_kb(pid);
            anon_peak_kb = kb > anon_peak_kb ? kb : anon_peak_kb;
        }
    }
    close(po[0]);
    int st = 0;
    struct rusage ru;
    CU_ASSERT_EQUAL(wait4(pid, &st, 0, &ru), pid);
    *maxrss_kb = ru.ru_maxrss;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The events of history per instance: BPMNRT_STREAM_EVENTS / INSTANCES, a million by default
 * (a tenth of it in a sanitizer build, whose memory figures are not the program's). */
static int iterations(void)
{
    const char *env = getenv("BPMNRT_STREAM_EVENTS");
    long want = env ? atol(env) : SANITIZED ? 100000 : 1000000;
    int k = (int)(want / INSTANCES / 2);
    return k < 1 ? 1 : k;
}

static void check_rss(const char *what, long kb)
{
    if (SANITIZED) /* ASan's shadow and quarantine are not the program's memory */
        return;
    if (kb >= RSS_LIMIT_KB)
        fprintf(stderr, "\n%s: peak RSS %ld KB, limit %ld KB\n", what, kb, RSS_LIMIT_KB);
    CU_ASSERT(kb < RSS_LIMIT_KB);
}

static char big[64];
static size_t big_events;

/* The store is written by a child process: a child of fork() starts with its parent's resident
 * memory, and Linux carries that peak over exec into ru_maxrss, so the parent must stay small. */
static size_t build_store_apart(const char *path, int n, int k)
{
    int po[2];
    CU_ASSERT_EQUAL_FATAL(pipe(po), 0);
    pid_t pid = fork();
    if (pid == 0) {
        close(po[0]);
        size_t events = build_store(path, n, k);
        ssize_t w = write(po[1], &events, sizeof events);
        _exit(w == (ssize_t)sizeof events && CU_get_number_of_failures() == 0 ? 0 : 1);
    }
    close(po[1]);
    size_t events = 0;
    CU_ASSERT_EQUAL(read(po[0], &events, sizeof events), (ssize_t)sizeof events);
    close(po[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    return events;
}

static void test_history_and_export_of_a_large_store_stream_in_bounded_memory(void)
{
    tu_store_path(big);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    big_events = build_store_apart(big, INSTANCES, iterations());
    fprintf(stderr, "\n  store: %zu events, %d instances, built in %.1f s\n", big_events,
            INSTANCES, seconds_since(&t0));
    CU_ASSERT(big_events >= (size_t)INSTANCES * 2 * (size_t)iterations());

    clock_gettime(CLOCK_MONOTONIC, &t0);
    array_count c = {0};
    long rss = 0;
    char *hist[] = {"--db", big, "history", "--json", NULL};
    CU_ASSERT_EQUAL(run_child(hist, &c, &rss), 0);
    fprintf(stderr, "  history --json: %.1f s, peak RSS %ld KB\n", seconds_since(&t0), rss);
    CU_ASSERT(!c.bad && c.started && c.ended && c.depth == 0 && c.lines == 1);
    CU_ASSERT_EQUAL(c.items, big_events);
    check_rss("history --json", rss);

    /* the same with stdout on /dev/null, as the limit is stated */
    CU_ASSERT_EQUAL(run_child(hist, NULL, &rss), 0);
    check_rss("history --json > /dev/null", rss);

    char out[80];
    snprintf(out, sizeof out, "%s.ndjson", big);
    char *exp[] = {"--db", big, "export", "--out", out, NULL};
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CU_ASSERT_EQUAL(run_child(exp, NULL, &rss), 0);
    fprintf(stderr, "  export: %.1f s, peak RSS %ld KB\n", seconds_since(&t0), rss);
    check_rss("export", rss);
    FILE *f = fopen(out, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    size_t lines = 0, n;
    char buf[65536];
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        for (size_t i = 0; i < n; i++)
            lines += buf[i] == '\n';
    fclose(f);
    unlink(out);
    CU_ASSERT_EQUAL(lines, big_events);
}

/* instances, tasks and jobs of the same store: one item per instance, with a heap that does not
 * grow with the list. Their resident memory also holds the pages of the store file the list
 * touched (instance records of this model are ~4 KB; 20,000 of them are ~80 MB of the file):
 * these lists read in one transaction, unlike history, so what is bounded here is the heap,
 * sampled as RssAnon while the output streams (the whole list built at once took ~40 MB). */
static void test_instances_tasks_and_jobs_stream_in_bounded_memory(void)
{
    CU_ASSERT_FATAL(big_events > 0);
    const char *lists[][3] = {{"instances", NULL, NULL},
                              {"tasks", "--group", "sales"},
                              {"jobs", "--type", "ship"}};
    for (int i = 0; i < 3; i++) {
        char *args[] = {"--db", big, (char *)lists[i][0], "--json", (char *)lists[i][1],
                        (char *)lists[i][2], NULL};
        array_count c = {0};
        long rss = 0;
        CU_ASSERT_EQUAL(run_child(args, &c, &rss), 0);
        fprintf(stderr, "\n  %s: %zu items, peak RSS %ld KB", lists[i][0], c.items, rss);
        fprintf(stderr, ", heap (RssAnon) %ld KB", anon_peak_kb);
        CU_ASSERT(!c.bad && c.ended && c.depth == 0);
        CU_ASSERT_EQUAL(c.items, INSTANCES);
        if (!SANITIZED)
            CU_ASSERT(anon_peak_kb > 0 && anon_peak_kb < 16 * 1024);
    }
    fprintf(stderr, "\n");
}

/* Runs `bpmnrt --db DB ARGS... --json` and returns the parsed array. */
static cJSON *cli_array(char *a0, char *a1, char *a2, char *a3, char *a4, char *a5, char *a6)
{
    char *args[] = {"--db", big, a0, a1, a2, a3, a4, a5, a6, NULL, NULL};
    for (int i = 2; i < 10; i++)
        if (!args[i]) {
            args[i] = "--json";
            args[i + 1] = NULL;
            break;
        }
    char *out = NULL, *err = NULL;
    int rc = tu_cli(args, &out, &err);
    if (rc != 0)
        fprintf(stderr, "\n%s: exit %d: %s\n", a0, rc, err);
    CU_ASSERT_EQUAL(rc, 0);
    cJSON *j = cJSON_Parse(out);
    CU_ASSERT(cJSON_IsArray(j));
    free(out);
    free(err);
    return j;
}

static const char *member(const cJSON *arr, int i, const char *name)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(arr, i), name);
    return cJSON_IsString(m) ? m->valuestring : "";
}

static double seq_of(const cJSON *arr, int i)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(arr, i), "seq");
    return cJSON_IsNumber(m) ? m->valuedouble : -1;
}

/* Whether page is the slice [offset, offset + n) of whole, by the member name. */
static int is_slice(const cJSON *page, const cJSON *whole, int offset, int n, const char *name)
{
    if (cJSON_GetArraySize(page) != n)
        return 0;
    for (int i = 0; i < n; i++)
        if (strcmp(member(page, i, name), member(whole, offset + i, name)) != 0 ||
            !member(page, i, name)[0])
            return 0;
    return 1;
}

/* --limit/--offset on every list: the page is the slice of the whole list. */
static void test_every_list_pages_with_limit_and_offset(void)
{
    CU_ASSERT_FATAL(big_events > 0);
    cJSON *all = cli_array("instances", NULL, NULL, NULL, NULL, NULL, NULL);
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(all), INSTANCES);
    cJSON *p = cli_array("instances", "--limit", "3", "--offset", "5", NULL, NULL);
    CU_ASSERT(is_slice(p, all, 5, 3, "instance"));
    cJSON_Delete(p);
    p = cli_array("instances", "--offset", "19999", NULL, NULL, NULL, NULL);
    CU_ASSERT(is_slice(p, all, 19999, 1, "instance"));
    cJSON_Delete(p);
    p = cli_array("instances", "--offset", "20000", NULL, NULL, NULL, NULL);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(p), 0);
    cJSON_Delete(p);
    char second[32];
    snprintf(second, sizeof second, "%s", member(all, 1, "instance"));
    cJSON_Delete(all);

    all = cli_array("jobs", NULL, NULL, NULL, NULL, NULL, NULL);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(all), INSTANCES);
    p = cli_array("jobs", "--limit", "2", "--offset", "1", NULL, NULL);
    CU_ASSERT(is_slice(p, all, 1, 2, "id"));
    cJSON_Delete(p);
    cJSON_Delete(all);

    all = cli_array("tasks", "--group", "sales", NULL, NULL, NULL, NULL);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(all), INSTANCES);
    p = cli_array("tasks", "--group", "sales", "--limit", "1", "--offset", "7");
    CU_ASSERT(is_slice(p, all, 7, 1, "id"));
    cJSON_Delete(p);
    cJSON_Delete(all);

    /* history: the page after an offset, and a page crossing the 100,000-event slices */
    p = cli_array("history", "--limit", "4", "--offset", "10", NULL, NULL);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(p), 4);
    CU_ASSERT_EQUAL(seq_of(p, 0), 11);
    CU_ASSERT_EQUAL(seq_of(p, 3), 14);
    cJSON_Delete(p);
    if (big_events > 100010) {
        p = cli_array("history", "--since", "99990", "--limit", "20", NULL, NULL);
        CU_ASSERT_EQUAL(cJSON_GetArraySize(p), 20);
        for (int i = 0; i < 20; i++)
            CU_ASSERT_EQUAL(seq_of(p, i), 99991 + i);
        cJSON_Delete(p);
    }
    all = cli_array("history", second, NULL, NULL, NULL, NULL, NULL);
    CU_ASSERT(cJSON_GetArraySize(all) > 4);
    p = cli_array("history", second, "--limit", "2", "--offset", "1", NULL);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(p), 2);
    CU_ASSERT_STRING_EQUAL(member(p, 0, "instance"), second);
    CU_ASSERT(seq_of(p, 0) == seq_of(all, 1) && seq_of(p, 1) == seq_of(all, 2));
    cJSON_Delete(p);
    cJSON_Delete(all);
}

/* The _each functions give the items of the array functions, in order, one page at a time. */
static int collect(void *ud, const char *json)
{
    cJSON *arr = ud;
    cJSON_AddItemToArray(arr, cJSON_Parse(json));
    return 0;
}

static int stop_at_two(void *ud, const char *json)
{
    (void)json;
    return ++*(int *)ud == 2;
}

static void test_each_functions_match_the_arrays(void)
{
    CU_ASSERT_FATAL(big_events > 0);
    bpmn_engine_options o = {0};
    o.path = big;
    bpmn_engine *e = NULL;
    CU_ASSERT_EQUAL_FATAL(bpmn_engine_open(&o, &e, NULL, 0), BPMN_OK);
    char *json = NULL;
    CU_ASSERT_EQUAL(bpmn_instance_list(e, "p", "active", &json), BPMN_OK);
    cJSON *all = cJSON_Parse(json);
    bpmn_free(e, json);
    cJSON *page = cJSON_CreateArray();
    CU_ASSERT_EQUAL(bpmn_instance_each(e, "p", "active", 100, 3, collect, page), BPMN_OK);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(page), 3);
    for (int i = 0; i < 3; i++)
        CU_ASSERT(cJSON_Compare(cJSON_GetArrayItem(page, i), cJSON_GetArrayItem(all, 100 + i), 1));
    char inst[32];
    snprintf(inst, sizeof inst, "%s", member(all, 2, "instance"));
    cJSON_Delete(page);
    cJSON_Delete(all);

    page = cJSON_CreateArray();
    CU_ASSERT_EQUAL(bpmn_job_each(e, "ship", 0, 2, collect, page), BPMN_OK);
    CU_ASSERT_EQUAL(bpmn_job_each(e, "nothing", 0, 0, collect, page), BPMN_OK);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(page), 2);
    cJSON_Delete(page);

    bpmn_task_filter f = {0};
    f.instance = inst;
    page = cJSON_CreateArray();
    CU_ASSERT_EQUAL(bpmn_task_each(e, &f, collect, page), BPMN_OK);
    CU_ASSERT_EQUAL(bpmn_task_query(e, &f, &json), BPMN_OK);
    cJSON *whole = cJSON_Parse(json);
    CU_ASSERT(cJSON_Compare(page, whole, 1));
    CU_ASSERT_EQUAL(cJSON_GetArraySize(whole), 1);
    cJSON_Delete(whole);
    cJSON_Delete(page);
    bpmn_free(e, json);

    /* one instance's history, whole and as two pages */
    CU_ASSERT_EQUAL(bpmn_history(e, inst, &json), BPMN_OK);
    whole = cJSON_Parse(json);
    bpmn_free(e, json);
    int n = cJSON_GetArraySize(whole);
    CU_ASSERT(n > 4);
    page = cJSON_CreateArray();
    CU_ASSERT_EQUAL(bpmn_history_page(e, inst, 0, 0, 4, collect, page), BPMN_OK);
    CU_ASSERT_EQUAL(bpmn_history_page(e, inst, 0, 4, 0, collect, page), BPMN_OK);
    CU_ASSERT(cJSON_Compare(page, whole, 1));
    cJSON_Delete(page);
    cJSON_Delete(whole);

    /* a consumer that stops ends the list with BPMN_EINVAL */
    int seen = 0;
    CU_ASSERT_EQUAL(bpmn_instance_each(e, NULL, NULL, 0, 0, stop_at_two, &seen), BPMN_EINVAL);
    CU_ASSERT_EQUAL(seen, 2);
    CU_ASSERT(strlen(bpmn_engine_errmsg(e)) > 0);
    CU_ASSERT_EQUAL(bpmn_instance_each(e, NULL, NULL, 0, 0, NULL, NULL), BPMN_EINVAL);
    bpmn_engine_close(e);
    tu_store_remove(big);
}

int main(void)
{
    static const tu_case cases[] = {
        {"history_and_export_of_a_large_store_stream_in_bounded_memory",
         test_history_and_export_of_a_large_store_stream_in_bounded_memory},
        {"instances_tasks_and_jobs_stream_in_bounded_memory",
         test_instances_tasks_and_jobs_stream_in_bounded_memory},
        {"every_list_pages_with_limit_and_offset", test_every_list_pages_with_limit_and_offset},
        {"each_functions_match_the_arrays", test_each_functions_match_the_arrays},
        {NULL, NULL}};
    return tu_run("streaming", cases);
}
