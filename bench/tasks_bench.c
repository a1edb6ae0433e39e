/*
 * tasks_bench.c - work-list queries against a store holding many open user tasks (a benchmark,
 * not a test). Starts N instances (default 1,000,000) that each wait at a user task claimable by
 * one of 100 groups, with due dates spread over a month, then times the first page (50 tasks)
 * of a group's list, of a user's work list over three groups, and of the overdue list, then the
 * three reports (funnel, durations, tasks) over the whole store.
 *
 *   tasks_bench [N] [DIR]
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bpmnrt.h"

static const char process[] =
    "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" "
    "xmlns:camunda=\"http://camunda.org/schema/1.0/bpmn\">"
    "<process id=\"deal\" isExecutable=\"true\"><startEvent id=\"s\"/>"
    "<sequenceFlow id=\"f0\" sourceRef=\"s\" targetRef=\"t\"/>"
    "<userTask id=\"t\" name=\"Qualify\" camunda:candidateGroups=\"${group}\" "
    "camunda:dueDate=\"${due}\"/>"
    "<sequenceFlow id=\"f1\" sourceRef=\"t\" targetRef=\"e\"/><endEvent id=\"e\"/>"
    "</process></definitions>";

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static long long fixed_clock(void *ud)
{
    (void)ud;
    return 1772442000000LL; /* 2026-03-02T09:00:00Z */
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median time of `reps` runs of one query, in microseconds; checks it returned `expect` tasks. */
static double time_query(bpmn_engine *e, const bpmn_task_filter *f, int reps, int expect)
{
    double *t = malloc((size_t)reps * sizeof *t);
    for (int i = 0; i < reps; i++) {
        char *out = NULL;
        double t0 = now_s();
        int rc = bpmn_task_query(e, f, &out);
        t[i] = (now_s() - t0) * 1e6;
        int n = 0;
        for (const char *p = out; p && (p = strstr(p, "\"id\":")); p++)
            n++;
        if (rc != BPMN_OK || n != expect) {
            fprintf(stderr, "query returned %d tasks (rc %d), expected %d\n", n, rc, expect);
            exit(1);
        }
        bpmn_free(e, out);
    }
    qsort(t, (size_t)reps, sizeof *t, cmp_double);
    double m = t[reps / 2];
    free(t);
    return m;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    char dir[256];
    snprintf(dir, sizeof dir, "%s", argc > 2 ? argv[2] : "/tmp/bpmnrt-tasks-bench-XXXXXX");
    if (argc <= 2 && !mkdtemp(dir))
        return 1;
    char path[300];
    snprintf(path, sizeof path, "%s/tasks.db", dir);
    bpmn_engine_options o = {0};
    o.path = path;
    o.nosync = 1; /* loading only; queries are reads */
    o.map_size = (size_t)4 << 30;
    o.clock = fixed_clock;
    bpmn_engine *e = NULL;
    char err[256];
    if (bpmn_engine_open(&o, &e, err, sizeof err) != BPMN_OK) {
        fprintf(stderr, "open: %s\n", err);
        return 1;
    }
    char *out = NULL;
    if (bpmn_deploy(e, "deal.bpmn", process, strlen(process), &out) != BPMN_OK) {
        fprintf(stderr, "deploy: %s\n", bpmn_engine_errmsg(e));
        return 1;
    }
    bpmn_free(e, out);
    double t0 = now_s();
    char vars[160];
    for (long i = 0; i < n; i++) {
        if (i % 10000 == 0 && bpmn_batch_begin(e) != BPMN_OK)
            return 1;
        /* due dates from 2026-02-15 over 30 days, in 10-minute steps */
        long minutes = (i * 7919) % (30 * 24 * 6) * 10;
        snprintf(vars, sizeof vars, "{\"group\":\"g%ld\",\"due\":\"2026-02-%02ldT%02ld:%02ld:00Z\"}",
                 i % 100, 15 + minutes / 1440 > 28 ? 28 : 15 + minutes / 1440, minutes / 60 % 24,
                 minutes % 60);
        if (bpmn_instance_start(e, "deal", 0, vars, NULL, &out) != BPMN_OK) {
            fprintf(stderr, "start: %s\n", bpmn_engine_errmsg(e));
            return 1;
        }
        bpmn_free(e, out);
        if (i % 10000 == 9999 || i == n - 1)
            if (bpmn_batch_commit(e) != BPMN_OK)
                return 1;
    }
    double load = now_s() - t0;
    struct stat st;
    stat(path, &st);
    printf("loaded %ld waiting instances with open tasks in %.1f s (%.0f/s); store %.1f MiB, "
           "%.0f bytes per waiting instance with its task\n",
           n, load, n / load, st.st_size / 1048576.0, (double)st.st_size / (double)n);

    bpmn_task_filter g = {0};
    g.candidate_group = "g42";
    g.limit = 50;
    bpmn_actor anna = {"anna", "g1,g2,g3"};
    bpmn_task_filter w = {0};
    w.worklist = &anna;
    w.limit = 50;
    bpmn_task_filter od = {0};
    od.overdue = 1;
    od.limit = 50;
    bpmn_task_filter deep = g;
    deep.offset = 5000;
    int expect = n >= 100 * 50 ? 50 : (int)(n / 100);
    printf("first 50 of a group's list:          median %8.1f us\n", time_query(e, &g, 201, expect));
    printf("first 50 of a work list (3 groups):  median %8.1f us\n",
           time_query(e, &w, 201, n >= 3 * 50 ? 50 : (int)n));
    printf("first 50 overdue tasks:              median %8.1f us\n",
           time_query(e, &od, 201, n >= 50 ? 50 : (int)n));
    if (n >= 100 * 5050)
        printf("page at offset 5000 of a group:      median %8.1f us\n",
               time_query(e, &deep, 51, 50));
    /* The reports read the whole store once: a million instances and their history. */
    const char *names[3] = {"funnel", "durations", "tasks"};
    for (int r = 0; r < 3; r++) {
        double r0 = now_s();
        int rc = r == 0 ? bpmn_report_funnel(e, "deal", &out)
                 : r == 1 ? bpmn_report_durations(e, "deal", &out)
                          : bpmn_report_tasks(e, "deal", 0, 0, &out);
        if (rc != BPMN_OK) {
            fprintf(stderr, "report %s: %s\n", names[r], bpmn_engine_errmsg(e));
            return 1;
        }
        printf("report %-10s over %ld instances: %.2f s\n", names[r], n, now_s() - r0);
        bpmn_free(e, out);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("peak RSS %.1f MiB\n", ru.ru_maxrss / 1024.0);
    bpmn_engine_close(e);
    if (argc <= 2) {
        char lock[320];
        snprintf(lock, sizeof lock, "%s-lock", path);
        unlink(path);
        unlink(lock);
        rmdir(dir);
    }
    return 0;
}
