/*
 * engine_bench.c - throughput and memory of the token engine on the peer workloads
 * (../shared/peers/workloads), through the public API only, with the LMDB store in a temporary
 * directory. The numbers are meant to be read next to bpmn-engine's (bench/run-peers.sh runs it
 * in the same session) and next to LMDB's own commit rate.
 *
 * Modes: A one operation per fully synced transaction (default options), B the same with
 * nometasync, C batched: bpmn_batch_begin, K operations, bpmn_batch_commit, full sync.
 * Workloads: straight and gateways complete inside bpmn_instance_start; usertask starts N
 * instances that wait at 'approve', lists the tasks once, then completes every one; timer starts
 * N instances that wait at a 1 ms timer, then fires them with bpmn_tick_max.
 *
 * Every run happens in a forked child so that its peak RSS (getrusage ru_maxrss) is its own.
 * Runs are interleaved (rep 1 of every mode and workload, then rep 2, ...) so that drift on a
 * shared machine spreads over all of them.
 *
 * LMDB's own commit rate is measured next to the engine, not before or after it: the synced
 * rate of this machine's disk swings by several times within minutes when other jobs write.
 * In modes A and B a bare probe (lmdb_ceiling.c's commit test: one 200-byte put per
 * transaction, the mode's sync setting, its own environment) takes a turn of PROBE_CHUNK commits
 * after every PROBE_CHUNK engine operations, each side on its own clock; the target is judged on
 * operations per second over the probe's commits per second. Before the workloads of each mode
 * a probe set lets the plain probe and shaped ones (transactions writing the tables an engine
 * operation writes) take turns the same way, to tell LMDB's share of the cost from the engine's.
 *
 * This file holds the options, the children and the report; engine_runs.c the workload runs on
 * the public API; lmdb_probe.c what talks to LMDB directly.
 *
 * Usage: engine_bench [options]; see usage() or bench/README.md.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>

#include "bpmnrt.h"
#include "engine_bench.h"

#ifndef ENGINE_BENCH_DEFAULT_DIR
#define ENGINE_BENCH_DEFAULT_DIR "../shared/peers/workloads"
#endif

const char *const eb_wl_names[W_COUNT] = {"straight", "gateways", "usertask", "timer"};
static const char *const mode_names[M_COUNT] = {"A", "B", "C"};
static const char *const mode_text[M_COUNT] = {
    "one operation per fully synced transaction",
    "one operation per transaction, nometasync",
    "batched, K operations per fully synced transaction",
};

double eb_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int read_whole(const char *path, char **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        char *bigger = realloc(buf, cap * 2);
        if (!bigger) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = bigger;
        cap *= 2;
    }
    int bad = !buf || ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return -1;
    }
    *data = buf;
    *len = n;
    return 0;
}

void eb_say(run_result *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->msg, sizeof r->msg, fmt, ap);
    va_end(ap);
}

int eb_scratch_make(const options *o, scratch *s)
{
    snprintf(s->dir, sizeof s->dir, "%s/engine_bench.XXXXXX", o->tmp);
    if (!mkdtemp(s->dir))
        return -1;
    snprintf(s->store, sizeof s->store, "%s/store", s->dir);
    return 0;
}

/* Removes the files the engine (DIR/store, DIR/store-lock) or the probe (data.mdb, lock.mdb)
 * left in the directory, then the directory. */
void eb_scratch_remove(const scratch *s)
{
    static const char *const names[] = {"store", "store-lock", "data.mdb", "lock.mdb"};
    char p[700];
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        snprintf(p, sizeof p, "%s/%s", s->dir, names[i]);
        unlink(p);
    }
    rmdir(s->dir);
}

void eb_file_size(const char *path, long long *size, long long *blocks)
{
    struct stat st;
    if (stat(path, &st) == 0) {
        *size = (long long)st.st_size;
        *blocks = (long long)st.st_blocks * 512;
    } else {
        *size = *blocks = -1;
    }
}

/* VmRSS, RssAnon and RssFile of this process in KiB (Linux); -1 where not available. */
void eb_rss_now(run_result *r)
{
    r->rss_kib = r->rss_anon_kib = r->rss_file_kib = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return;
    char line[256];
    long v;
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "VmRSS: %ld", &v) == 1)
            r->rss_kib = v;
        else if (sscanf(line, "RssAnon: %ld", &v) == 1)
            r->rss_anon_kib = v;
        else if (sscanf(line, "RssFile: %ld", &v) == 1)
            r->rss_file_kib = v;
    }
    fclose(f);
}

/* Peak RSS so far; taken at the end of the timed phase, so that the untimed checks after it
 * (which list every instance as JSON) do not count. */
double eb_cpu_now(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

void eb_mark_peak(run_result *r)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        r->maxrss_kib = ru.ru_maxrss;
}

static void finish_child(run_result *r)
{
    if (!r->maxrss_kib)
        eb_mark_peak(r);
}

/* ---- running children --------------------------------------------------------------------- */

typedef void (*run_fn)(const void *job, run_result *r);


/* Runs fn(job) in a forked child (or here with -1) and returns what it reported. */
static run_result spawn(const options *o, run_fn fn, const void *job)
{
    run_result r;
    memset(&r, 0, sizeof r);
    if (o->in_process) {
        fn(job, &r);
        finish_child(&r);
        return r;
    }
    int fd[2];
    if (pipe(fd) != 0) {
        eb_say(&r, "pipe: %s", strerror(errno));
        return r;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        eb_say(&r, "fork: %s", strerror(errno));
        close(fd[0]);
        close(fd[1]);
        return r;
    }
    if (pid == 0) {
        close(fd[0]);
        fn(job, &r);
        finish_child(&r);
        const char *p = (const char *)&r;
        size_t left = sizeof r;
        while (left) {
            ssize_t w = write(fd[1], p, left);
            if (w <= 0)
                _exit(1);
            p += w;
            left -= (size_t)w;
        }
        fflush(stdout);
        _exit(0);
    }
    close(fd[1]);
    char *p = (char *)&r;
    size_t got = 0;
    while (got < sizeof r) {
        ssize_t n = read(fd[0], p + got, sizeof r - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (got != sizeof r) {
        memset(&r, 0, sizeof r);
        eb_say(&r, "the child died (status %d)", status);
    }
    return r;
}

typedef struct probe_job {
    const options *o;
    unsigned flags;
} probe_job;

static void run_probe_job(const void *job, run_result *r)
{
    const probe_job *p = job;
    eb_probe_set_run(p->o, p->flags, r);
}

static void run_engine_job(const void *job, run_result *r)
{
    eb_engine_run(job, r);
}

static void run_storage_job(const void *job, run_result *r)
{
    eb_storage_run(job, r);
}

/* ---- report ------------------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(const double *v, int n)
{
    double s[MAX_REPS];
    if (n <= 0)
        return 0;
    memcpy(s, v, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* Per workload and mode: the figures of every rep, for medians. */
/* Workloads whose instances take two operations: a start, then a task completion or a timer
 * firing. */
static int two_phase(int w)
{
    return w == W_USERTASK || w == W_TIMER;
}

typedef struct series {
    int n;
    double ips[MAX_REPS], start[MAX_REPS], complete[MAX_REPS], list[MAX_REPS], parse[MAX_REPS];
    double rss[MAX_REPS], grow[MAX_REPS], cpu[MAX_REPS];
    double pcps[MAX_REPS], ratio[MAX_REPS]; /* the probe taking turns; operations over it */
    int nratio;
} series;

static void usage(void)
{
    fprintf(stderr,
            "usage: engine_bench [-d DIR] [-w LIST] [-m LIST] [-n N] [-N N] [-k K] [-M MIB]\n"
            "                    [-r R] [-p SECS] [-x LIST] [-s LIST] [-t TMPDIR] [-V] [-1]\n"
            "  -d DIR   the workload files (default %s)\n"
            "  -w LIST  workloads, comma-separated: straight,gateways,usertask,timer (default all)\n"
            "  -m LIST  modes, comma-separated: A,B,C (default A,B,C)\n"
            "  -n N     instances per run in modes A and B (default 10000)\n"
            "  -N N     instances per run in mode C (default 100000)\n"
            "  -k K     operations per batch in mode C (default 1000)\n"
            "  -M MIB   initial map size of the stores (default 4096; 0: the engine's 64 MiB;\n"
            "           a batch cannot grow the map, see README.md)\n"
            "  -r R     runs of each workload and mode; medians reported (default 3)\n"
            "  -p SECS  seconds each probe of the probe set commits before modes A and B (default\n"
            "           3); 0: no probes at all, neither the set nor the turns with the engine\n"
            "  -x LIST  shaped probes, comma-separated; each a set of letters: c counters, r record,\n"
            "           b 780-byte or s 200-byte appended block (default crb, the tables a\n"
            "           straight-through start writes)\n"
            "  -s LIST  storage runs: usertask instances left waiting, comma-separated\n"
            "           (default 100000; 0 skips)\n"
            "  -t DIR   where the temporary stores go (default $TMPDIR or /tmp)\n"
            "  -V       pass the amount variables on every workload, as bench.js does\n"
            "  -1       run everything in this process (for valgrind); peak RSS is then cumulative\n",
            ENGINE_BENCH_DEFAULT_DIR);
}

static int parse_size(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-')
        return -1;
    *out = (size_t)v;
    return 0;
}

/* Sets want[i] for each comma-separated name of names[] in list. */
static int parse_list(const char *list, const char *const *names, int count, int *want)
{
    for (int i = 0; i < count; i++)
        want[i] = 0;
    const char *p = list;
    while (*p) {
        size_t len = strcspn(p, ",");
        int found = 0;
        for (int i = 0; i < count; i++)
            if (strlen(names[i]) == len && strncmp(p, names[i], len) == 0)
                want[i] = found = 1;
        if (!found)
            return -1;
        p += len;
        if (*p == ',')
            p++;
    }
    return 0;
}

static int parse_args(int argc, char **argv, options *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-V") == 0) {
            o->vars_everywhere = 1;
            continue;
        }
        if (strcmp(a, "-1") == 0) {
            o->in_process = 1;
            continue;
        }
        if (a[0] != '-' || !a[1] || a[2] || i + 1 >= argc)
            return -1;
        const char *v = argv[++i];
        size_t n;
        switch (a[1]) {
        case 'd': o->dir = v; break;
        case 't': o->tmp = v; break;
        case 'w':
            if (parse_list(v, eb_wl_names, W_COUNT, o->want_wl))
                return -1;
            break;
        case 'm':
            if (parse_list(v, mode_names, M_COUNT, o->want_mode))
                return -1;
            break;
        case 'M':
            if (parse_size(v, &n) || n > ((size_t)1 << 24))
                return -1;
            o->map_mib = n;
            break;
        case 'n':
        case 'N':
        case 'k':
        case 'r':
            if (parse_size(v, &n) || n == 0 || (a[1] == 'r' && n > MAX_REPS))
                return -1;
            if (a[1] == 'n')
                o->n_sync = n;
            else if (a[1] == 'N')
                o->n_batch = n;
            else if (a[1] == 'k')
                o->k = n;
            else
                o->reps = (int)n;
            break;
        case 'p': {
            char *end;
            o->probe_secs = strtod(v, &end);
            if (*end || o->probe_secs < 0)
                return -1;
            break;
        }
        case 'x': {
            o->nshapes = 0;
            const char *p = v;
            while (*p) {
                size_t len = strcspn(p, ",");
                if (len == 0 || len > 4 || o->nshapes == MAX_SHAPES ||
                    strspn(p, "crbs") < len)
                    return -1;
                memcpy(o->shapes[o->nshapes], p, len);
                o->shapes[o->nshapes++][len] = '\0';
                p += len;
                if (*p == ',')
                    p++;
            }
            break;
        }
        case 's': {
            o->nstorage = 0;
            const char *p = v;
            while (*p) {
                char item[32];
                size_t len = strcspn(p, ",");
                if (len == 0 || len >= sizeof item || o->nstorage == MAX_STORAGE)
                    return -1;
                memcpy(item, p, len);
                item[len] = '\0';
                if (parse_size(item, &n))
                    return -1;
                if (n)
                    o->storage[o->nstorage++] = n;
                p += len;
                if (*p == ',')
                    p++;
            }
            break;
        }
        default:
            return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    options o;
    memset(&o, 0, sizeof o);
    o.dir = ENGINE_BENCH_DEFAULT_DIR;
    o.tmp = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    for (int i = 0; i < W_COUNT; i++)
        o.want_wl[i] = 1;
    for (int i = 0; i < M_COUNT; i++)
        o.want_mode[i] = 1;
    o.n_sync = 10000;
    o.n_batch = 100000;
    o.k = 1000;
    o.map_mib = 4096;
    o.reps = 3;
    o.probe_secs = 3;
    o.storage[0] = 100000;
    o.nstorage = 1;
    strcpy(o.shapes[0], "crb");
    o.nshapes = 1;
    if (parse_args(argc, argv, &o) != 0)
        return usage(), 2;

    for (int w = 0; w < W_COUNT; w++) {
        if (!o.want_wl[w] && !(w == W_USERTASK && o.nstorage))
            continue;
        size_t need = strlen(o.dir) + strlen(eb_wl_names[w]) + 8;
        o.wl[w].path = malloc(need);
        if (!o.wl[w].path)
            return 1;
        snprintf(o.wl[w].path, need, "%s/%s.bpmn", o.dir, eb_wl_names[w]);
        if (read_whole(o.wl[w].path, &o.wl[w].xml, &o.wl[w].len) != 0) {
            fprintf(stderr, "engine_bench: cannot read %s: %s\n", o.wl[w].path, strerror(errno));
            return 1;
        }
    }

    int major, minor, patch;
    mdb_version(&major, &minor, &patch);
    printf("engine_bench: bpmnrt %s, LMDB %d.%d.%d, workloads %s, stores in %s\n",
           BPMNRT_VERSION_STRING, major, minor, patch, o.dir, o.tmp);
    printf("N = %zu per run in modes A and B, %zu in mode C (K = %zu per batch), %d runs each, "
           "map_size %zu MiB%s\n",
           o.n_sync, o.n_batch, o.k, o.reps, o.map_mib,
           o.vars_everywhere ? ", amount variables on every workload" : "");
    for (int m = 0; m < M_COUNT; m++)
        if (o.want_mode[m])
            printf("mode %s: %s\n", mode_names[m], mode_text[m]);
    printf("\n");

    static series ser[W_COUNT][M_COUNT];
    /* The probe set's figures: [0] the plain probe, [1 + i] the shaped probe o.shapes[i]; and
     * each shape's rate over the plain one's in the same set. */
    static double probe[1 + MAX_SHAPES][M_COUNT][MAX_REPS], vs_plain[MAX_SHAPES][M_COUNT][MAX_REPS];
    int nprobe[M_COUNT] = {0};
    int failures = 0;

    for (int rep = 1; rep <= o.reps; rep++) {
        for (int m = 0; m < M_COUNT; m++) {
            if (!o.want_mode[m])
                continue;
            unsigned flags = m == M_B ? MDB_NOMETASYNC : 0;
            if (m != M_C && o.probe_secs > 0) {
                probe_job pj = {&o, flags};
                run_result r = spawn(&o, run_probe_job, &pj);
                if (!r.ok) {
                    printf("RESULT probe mode=%s rep=%d FAILED %s\n", mode_names[m], rep, r.msg);
                    failures++;
                } else {
                    int i = nprobe[m]++;
                    probe[0][m][i] = r.cps;
                    printf("RESULT probe mode=%s rep=%d commits=%zu secs=%.3f cps=%.1f "
                           "cpu_us_op=%.1f\n",
                           mode_names[m], rep, r.n, r.secs, r.cps, r.cpu_s * 1e6 / (double)r.n);
                    for (int k = 0; k < o.nshapes; k++) {
                        probe[1 + k][m][i] = r.shape_cps[k];
                        vs_plain[k][m][i] = r.shape_cps[k] / r.cps;
                        printf("RESULT shaped shape=%s mode=%s rep=%d cps=%.1f vs_plain=%.3f\n",
                               o.shapes[k], mode_names[m], rep, r.shape_cps[k],
                               vs_plain[k][m][i]);
                    }
                }
            }
            for (int w = 0; w < W_COUNT; w++) {
                if (!o.want_wl[w])
                    continue;
                engine_job j = {&o, w, m, m == M_C ? o.n_batch : o.n_sync,
                                m != M_C && o.probe_secs > 0, flags};
                run_result r = spawn(&o, run_engine_job, &j);
                if (!r.ok) {
                    printf("RESULT engine workload=%s mode=%s rep=%d FAILED %s\n", eb_wl_names[w],
                           mode_names[m], rep, r.msg);
                    failures++;
                    continue;
                }
                series *s = &ser[w][m];
                int i = s->n++;
                s->ips[i] = (double)r.n / r.secs;
                s->rss[i] = (double)r.maxrss_kib;
                /* CPU per operation (user + system); a usertask instance is two operations. */
                s->cpu[i] = r.cpu_s * 1e6 / (double)(two_phase(w) ? 2 * r.n : r.n);
                printf("RESULT engine workload=%s mode=%s rep=%d n=%zu secs=%.3f ips=%.1f "
                       "maxrss_kib=%ld rss_anon_kib=%ld rss_file_kib=%ld cpu_s=%.3f cpu_us_op=%.1f",
                       eb_wl_names[w], mode_names[m], rep, r.n, r.secs, s->ips[i], r.maxrss_kib,
                       r.rss_anon_kib, r.rss_file_kib, r.cpu_s, s->cpu[i]);
                if (two_phase(w)) {
                    s->start[i] = (double)r.n / r.start_s;
                    s->complete[i] = (double)r.n / r.complete_s;
                    printf(" start_s=%.3f start_ips=%.1f complete_s=%.3f complete_ips=%.1f",
                           r.start_s, s->start[i], r.complete_s, s->complete[i]);
                }
                if (w == W_USERTASK) {
                    s->list[i] = r.list_s;
                    s->parse[i] = r.parse_s;
                    s->grow[i] = (double)(r.size_after - r.size_before) / (double)r.n;
                    printf(" list_s=%.4f parse_s=%.4f grow_b=%.0f", r.list_s, r.parse_s,
                           s->grow[i]);
                }
                if (r.cps > 0) {
                    /* Operations per second against the probe that took turns with them; in
                     * usertask and timer an operation is a start, or a completion or a firing,
                     * each one transaction: the slower kind counts. */
                    double ops = !two_phase(w)                   ? s->ips[i]
                                 : s->start[i] < s->complete[i] ? s->start[i]
                                                                : s->complete[i];
                    s->pcps[i] = r.cps;
                    s->ratio[i] = ops / r.cps;
                    s->nratio++;
                    printf(" probe_commits=%zu probe_cps=%.1f ops_vs_probe=%.3f", r.probe_n, r.cps,
                           s->ratio[i]);
                }
                printf("\n");
            }
        }
    }

    run_result st[MAX_STORAGE];
    for (int i = 0; i < o.nstorage; i++) {
        storage_job j = {&o, o.storage[i]};
        st[i] = spawn(&o, run_storage_job, &j);
        run_result *r = &st[i];
        if (!r->ok) {
            printf("RESULT storage n=%zu FAILED %s\n", o.storage[i], r->msg);
            failures++;
            continue;
        }
        printf("RESULT storage n=%zu start_s=%.3f start_ips=%.1f file_before=%lld "
               "file_after=%lld blocks_before=%lld blocks_after=%lld grow_b=%.1f "
               "blocks_grow_b=%.1f file_b=%.1f rss_kib=%ld rss_anon_kib=%ld rss_file_kib=%ld "
               "maxrss_kib=%ld\n",
               r->n, r->start_s, (double)r->n / r->start_s, r->size_before, r->size_after,
               r->blocks_before, r->blocks_after,
               (double)(r->size_after - r->size_before) / (double)r->n,
               (double)(r->blocks_after - r->blocks_before) / (double)r->n,
               (double)r->size_after / (double)r->n, r->rss_kib, r->rss_anon_kib,
               r->rss_file_kib, r->maxrss_kib);
    }

    /* Medians. */
    printf("\nmedians of %d runs\n", o.reps);
    for (int m = 0; m < M_COUNT; m++) {
        if (!nprobe[m])
            continue;
        printf("MEDIAN probe mode=%s cps=%.1f runs=%d\n", mode_names[m],
               median(probe[0][m], nprobe[m]), nprobe[m]);
        for (int k = 0; k < o.nshapes; k++)
            printf("MEDIAN shaped shape=%s mode=%s cps=%.1f vs_plain=%.3f runs=%d\n", o.shapes[k],
                   mode_names[m], median(probe[1 + k][m], nprobe[m]),
                   median(vs_plain[k][m], nprobe[m]), nprobe[m]);
    }
    for (int w = 0; w < W_COUNT; w++) {
        for (int m = 0; m < M_COUNT; m++) {
            series *s = &ser[w][m];
            if (!s->n)
                continue;
            printf("MEDIAN engine workload=%s mode=%s ips=%.1f maxrss_kib=%.0f cpu_us_op=%.1f runs=%d",
                   eb_wl_names[w], mode_names[m], median(s->ips, s->n), median(s->rss, s->n),
                   median(s->cpu, s->n), s->n);
            if (two_phase(w))
                printf(" start_ips=%.1f complete_ips=%.1f", median(s->start, s->n),
                       median(s->complete, s->n));
            if (w == W_USERTASK)
                printf(" list_s=%.4f parse_s=%.4f grow_b=%.0f", median(s->list, s->n),
                       median(s->parse, s->n), median(s->grow, s->n));
            if (s->nratio == s->n)
                printf(" probe_cps=%.1f ops_vs_probe=%.3f", median(s->pcps, s->n),
                       median(s->ratio, s->n));
            printf("\n");
        }
    }

    printf("\n%-9s %-4s %14s %14s %14s %14s %10s\n", "workload", "mode", "instances/s",
           "starts/s", "completes/s", "vs probe", "peak RSS");
    printf("(timer: completes/s are firings/s)\n");
    for (int w = 0; w < W_COUNT; w++)
        for (int m = 0; m < M_COUNT; m++) {
            series *s = &ser[w][m];
            if (!s->n)
                continue;
            char a[32] = "-", b[32] = "-", c[32] = "-";
            if (two_phase(w)) {
                snprintf(a, sizeof a, "%.0f", median(s->start, s->n));
                snprintf(b, sizeof b, "%.0f", median(s->complete, s->n));
            }
            if (s->nratio == s->n)
                snprintf(c, sizeof c, "%.1f%%", 100.0 * median(s->ratio, s->n));
            printf("%-9s %-4s %14.0f %14s %14s %14s %7.1f MiB\n", eb_wl_names[w], mode_names[m],
                   median(s->ips, s->n), a, b, c, median(s->rss, s->n) / 1024.0);
        }
    for (int i = 0; i < o.nstorage; i++)
        if (st[i].ok)
            printf("storage: %zu waiting usertask instances: %.0f bytes each (file growth), "
                   "file %.1f MiB, RSS %.1f MiB (anon %.1f, file-backed %.1f)\n",
                   st[i].n, (double)(st[i].size_after - st[i].size_before) / (double)st[i].n,
                   (double)st[i].size_after / 1048576.0, st[i].rss_kib / 1024.0,
                   st[i].rss_anon_kib / 1024.0, st[i].rss_file_kib / 1024.0);

    for (int w = 0; w < W_COUNT; w++) {
        free(o.wl[w].path);
        free(o.wl[w].xml);
    }
    if (failures)
        printf("\n%d run(s) FAILED\n", failures);
    return failures ? 1 : 0;
}
