/*
 * timers_bench.c - a million scheduled timers (a benchmark, not a test). Starts N instances
 * (default 1,000,000) that each wait at a one-minute timer, then moves the clock on and lets
 * tick fire them all, printing the rate. With --kill it forks the tick into a child, kills it
 * with SIGKILL halfway, and checks that every instance is either finished or still has its timer:
 * nothing half-done, nothing lost.
 *
 *   timers_bench [N] [--kill]
 */
#define _DEFAULT_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bpmnrt.h"

static const char process[] =
    "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\">"
    "<process id=\"wait\" isExecutable=\"true\"><startEvent id=\"s\"/>"
    "<sequenceFlow id=\"f0\" sourceRef=\"s\" targetRef=\"w\"/>"
    "<intermediateCatchEvent id=\"w\"><timerEventDefinition><timeDuration>PT1M</timeDuration>"
    "</timerEventDefinition></intermediateCatchEvent>"
    "<sequenceFlow id=\"f1\" sourceRef=\"w\" targetRef=\"e\"/><endEvent id=\"e\"/>"
    "</process></definitions>";

static const long long T0 = 1772442000000LL; /* 2026-03-02T09:00:00Z */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static bpmn_engine *open_store(const char *path, int nosync)
{
    bpmn_engine_options o = {0};
    o.path = path;
    o.nosync = nosync;
    o.map_size = (size_t)4 << 30;
    bpmn_engine *e = NULL;
    char err[256];
    if (bpmn_engine_open(&o, &e, err, sizeof err) != BPMN_OK) {
        fprintf(stderr, "open: %s\n", err);
        exit(1);
    }
    return e;
}

/* Counts instances by state through the public API (slow, but only for the check). */
static long count_state(bpmn_engine *e, const char *state)
{
    char *out = NULL;
    if (bpmn_instance_list(e, "wait", state, &out) != BPMN_OK)
        exit(1);
    long n = 0;
    for (const char *p = out; (p = strstr(p, "\"instance\":")); p++)
        n++;
    bpmn_free(e, out);
    return n;
}

int main(int argc, char **argv)
{
    long n = argc > 1 && argv[1][0] != '-' ? atol(argv[1]) : 1000000;
    int kill_test = argc > 1 && strcmp(argv[argc - 1], "--kill") == 0;
    char dir[] = "/tmp/bpmnrt-timers-bench-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char path[128];
    snprintf(path, sizeof path, "%s/timers.db", dir);
    bpmn_engine *e = open_store(path, 1);
    bpmn_engine_set_now(e, T0);
    char *out = NULL;
    if (bpmn_deploy(e, "wait.bpmn", process, strlen(process), &out) != BPMN_OK)
        return 1;
    bpmn_free(e, out);
    double t0 = now_s();
    for (long i = 0; i < n; i++) {
        if (i % 10000 == 0 && bpmn_batch_begin(e) != BPMN_OK)
            return 1;
        if (bpmn_instance_start(e, "wait", 0, NULL, NULL, &out) != BPMN_OK) {
            fprintf(stderr, "start: %s\n", bpmn_engine_errmsg(e));
            return 1;
        }
        bpmn_free(e, out);
        if ((i % 10000 == 9999 || i == n - 1) && bpmn_batch_commit(e) != BPMN_OK)
            return 1;
    }
    double load = now_s() - t0;
    struct stat st;
    stat(path, &st);
    printf("scheduled %ld timers in %.1f s (%.0f/s, batched); store %.1f MiB\n", n, load, n / load,
           st.st_size / 1048576.0);
    bpmn_engine_close(e);

    if (!kill_test) {
        /* Fully synced, one transaction per firing as `bpmnrt tick` does, for the first 2000;
         * then the rest in batches of 1000 firings per transaction, as a catching-up scheduler. */
        e = open_store(path, 0);
        bpmn_engine_set_now(e, T0 + 120000);
        long single = n < 2000 ? n : 2000;
        t0 = now_s();
        if (bpmn_tick_max(e, (unsigned)single, &out) != BPMN_OK) {
            fprintf(stderr, "tick: %s\n", bpmn_engine_errmsg(e));
            return 1;
        }
        double dt = now_s() - t0;
        printf("tick, one synced transaction per firing: %s in %.2f s: %.0f firings/s\n", out, dt,
               single / dt);
        bpmn_free(e, out);
        t0 = now_s();
        long rest = n - single, fired = 0;
        while (fired < rest) {
            if (bpmn_batch_begin(e) != BPMN_OK || bpmn_tick_max(e, 1000, &out) != BPMN_OK ||
                bpmn_batch_commit(e) != BPMN_OK) {
                fprintf(stderr, "batched tick: %s\n", bpmn_engine_errmsg(e));
                return 1;
            }
            long k = atol(strchr(out, ':') + 1);
            bpmn_free(e, out);
            if (!k)
                break;
            fired += k;
        }
        dt = now_s() - t0;
        printf("tick, 1000 firings per synced transaction: %ld fired in %.1f s: %.0f firings/s\n",
               fired, dt, fired / dt);
        bpmn_engine_close(e);
    } else {
        pid_t pid = fork();
        if (pid == 0) {
            bpmn_engine *c = open_store(path, 0);
            bpmn_engine_set_now(c, T0 + 120000);
            bpmn_tick(c, &out);
            _exit(0);
        }
        usleep(1500000);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        e = open_store(path, 0);
        long done = count_state(e, "completed"), waiting = count_state(e, "active");
        long long due = 0;
        int more = bpmn_next_timer(e, &due) == BPMN_OK;
        printf("killed the tick after 1.5 s: %ld instances finished, %ld still waiting%s; "
               "%s\n", done, waiting, more ? " with their timers" : "",
               done + waiting == n ? "consistent (every instance is one or the other)"
                                   : "INCONSISTENT");
        bpmn_engine_set_now(e, T0 + 120000);
        if (bpmn_tick(e, &out) == BPMN_OK) {
            long finished = count_state(e, "completed");
            printf("the rest fired afterwards: %s; finished now: %ld\n", out, finished);
            bpmn_free(e, out);
        }
        bpmn_engine_close(e);
    }
    char lock[160];
    snprintf(lock, sizeof lock, "%s-lock", path);
    unlink(path);
    unlink(lock);
    rmdir(dir);
    return 0;
}
