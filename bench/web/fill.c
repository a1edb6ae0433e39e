/*
 * fill.c - fills a store for the web app's timing (run.sh): N sales-deal instances through the
 * public API in batches of 5,000 (bpmn_batch_begin/commit, no fsync while loading), as a CRM's
 * deals are: each started by one of five managers (bpmn_instance_start_as) with a client, an
 * amount and a business key, one every 1.2 s of engine time ending now; 30% qualified three
 * hours after they opened (their proposal waits), a third of those with the proposal done five
 * hours later (negotiating), 5% cancelled after a day. No timer of the process (two days or
 * more) falls due before now, so the server starts idle.
 *
 *   cc -O2 -Iinclude bench/web/fill.c -Lbuild -lbpmnrt -o fill && ./fill STORE N sales-deal.bpmn
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "bpmnrt.h"

static long long clock_ms;
static long long engine_clock(void *ud)
{
    (void)ud;
    return clock_ms;
}

static void die(bpmn_engine *e, const char *what)
{
    fprintf(stderr, "fill: %s: %s\n", what, e ? bpmn_engine_errmsg(e) : "");
    exit(1);
}

/* Pending work, due at a time: FIFO per kind since the delays are constant. */
typedef struct pending {
    char instance[32];
    long long due;
    int kind; /* 0 qualify, 1 proposal, 2 cancel */
} pending;

static const char *task_of(bpmn_engine *e, const char *instance, char *buf, size_t cap)
{
    bpmn_task_filter f = {0};
    f.instance = instance;
    f.limit = 1;
    char *out = NULL;
    if (bpmn_task_query(e, &f, &out) != BPMN_OK)
        die(e, "task query");
    const char *p = strstr(out, "\"id\":\"");
    if (!p) {
        bpmn_free(e, out);
        return NULL;
    }
    p += 6;
    size_t n = strcspn(p, "\"");
    snprintf(buf, cap, "%.*s", (int)(n < cap ? n : cap - 1), p);
    bpmn_free(e, out);
    return buf;
}

static void run(bpmn_engine *e, const pending *w)
{
    char id[32], *out = NULL;
    int rc = BPMN_OK;
    clock_ms = w->due;
    if (w->kind == 2) {
        rc = bpmn_instance_cancel_by(e, w->instance, "anna", &out);
    } else if (task_of(e, w->instance, id, sizeof id)) {
        rc = bpmn_task_complete(e, id, w->kind == 0 ? "{\"qualification\":\"qualified\"}"
                                                    : "{\"amount\":5000}", &out);
    }
    if (rc != BPMN_OK)
        die(e, "complete");
    bpmn_free(e, out);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: fill STORE N FILE.bpmn\n");
        return 2;
    }
    long n = atol(argv[2]);
    FILE *fp = fopen(argv[3], "rb");
    if (!fp)
        return perror(argv[3]), 1;
    static char xml[1 << 20];
    size_t xl = fread(xml, 1, sizeof xml, fp);
    fclose(fp);
    const long long step = 1200, qualify_after = 3 * 3600000LL, propose_after = 5 * 3600000LL,
                    cancel_after = 24 * 3600000LL;
    long long end = (long long)time(NULL) * 1000 - 60000;
    long long start = end - n * step;
    clock_ms = start - 60000;
    bpmn_engine_options o = {0};
    o.path = argv[1];
    o.nosync = 1;
    o.map_size = (size_t)16 << 30;
    o.clock = engine_clock;
    bpmn_engine *e = NULL;
    char err[256];
    if (bpmn_engine_open(&o, &e, err, sizeof err) != BPMN_OK) {
        fprintf(stderr, "fill: open: %s\n", err);
        return 1;
    }
    char *out = NULL;
    if (bpmn_deploy(e, "sales-deal.bpmn", xml, xl, &out) != BPMN_OK)
        die(e, "deploy");
    bpmn_free(e, out);
    /* the pending work as one array used as three FIFO queues */
    pending *q[3];
    size_t head[3] = {0}, tail[3] = {0};
    for (int k = 0; k < 3; k++)
        if (!(q[k] = calloc((size_t)n + 1, sizeof **q)))
            return 1;
    static const char *managers[] = {"anna", "boris", "clara", "dmitri", "elena"};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    unsigned long ops = 0;
    for (long i = 0; i <= n; i++) {
        long long at = i < n ? start + i * step : end;
        /* first the work that fell due before this start, oldest first */
        for (;;) {
            int best = -1;
            for (int k = 0; k < 3; k++)
                if (head[k] < tail[k] && q[k][head[k]].due <= at &&
                    (best < 0 || q[k][head[k]].due < q[best][head[best]].due))
                    best = k;
            if (best < 0)
                break;
            pending w = q[best][head[best]++];
            if (ops % 5000 == 0 && bpmn_batch_begin(e) != BPMN_OK)
                die(e, "batch");
            run(e, &w);
            if (w.kind == 0 && tail[0] && head[0] % 3 == 1) { /* a third of the qualified */
                pending p = w;
                p.kind = 1;
                p.due = w.due + propose_after;
                q[1][tail[1]++] = p;
            }
            if (++ops % 5000 == 0 && bpmn_batch_commit(e) != BPMN_OK)
                die(e, "commit");
        }
        if (i == n)
            break;
        clock_ms = at;
        char vars[200], key[32];
        snprintf(vars, sizeof vars, "{\"client\":\"Client %ld\",\"amount\":%ld,\"manager\":\"%s\"}", i,
                 1000 + (i % 97) * 100, managers[i % 5]);
        snprintf(key, sizeof key, "deal-%ld", i);
        bpmn_actor who = {managers[i % 5], "sales"};
        if (ops % 5000 == 0 && bpmn_batch_begin(e) != BPMN_OK)
            die(e, "batch");
        if (bpmn_instance_start_as(e, "sales-deal", 0, vars, key, &who, &out) != BPMN_OK)
            die(e, "start");
        const char *p = strstr(out, "\"instance\":\"");
        pending w = {{0}, 0, 0};
        if (p)
            snprintf(w.instance, sizeof w.instance, "%.*s", (int)strcspn(p + 12, "\""), p + 12);
        bpmn_free(e, out);
        if (++ops % 5000 == 0 && bpmn_batch_commit(e) != BPMN_OK)
            die(e, "commit");
        if (i % 10 < 3) {
            w.kind = 0;
            w.due = at + qualify_after;
            q[0][tail[0]++] = w;
        } else if (i % 20 == 5) {
            w.kind = 2;
            w.due = at + cancel_after;
            q[2][tail[2]++] = w;
        }
    }
    if (ops % 5000 != 0 && bpmn_batch_commit(e) != BPMN_OK)
        die(e, "commit");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    bpmn_engine_close(e);
    struct stat st;
    stat(argv[1], &st);
    printf("filled %ld instances (%lu operations: %zu qualified, %zu proposals done, %zu cancelled) "
           "in %.1f s, %.0f operations/s; store %.0f MiB\n",
           n, ops, tail[0], tail[1], tail[2], s, (double)ops / s, (double)st.st_size / 1048576.0);
    return 0;
}
