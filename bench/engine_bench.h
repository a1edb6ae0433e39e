/*
 * engine_bench.h - what the parts of engine_bench share: the options, the result a run reports
 * through the pipe, and the functions of engine_runs.c (workloads on the public API) and
 * lmdb_probe.c (LMDB on its own). See engine_bench.c for what is measured.
 */
#ifndef ENGINE_BENCH_H
#define ENGINE_BENCH_H

#include <stddef.h>
#include <stdio.h>

#define MAX_REPS 99
#define MAX_STORAGE 4
#define MAX_SHAPES 8
/* Commits per turn when probes take turns with each other or with the engine's operations. */
#define PROBE_CHUNK 100

enum { W_STRAIGHT, W_GATEWAYS, W_USERTASK, W_TIMER, W_COUNT };
enum { M_A, M_B, M_C, M_COUNT };

/* Workload names: the file stems in the workload directory and the process ids in them. */
extern const char *const eb_wl_names[W_COUNT];

typedef struct workload {
    char *path;
    char *xml;
    size_t len;
} workload;

typedef struct options {
    const char *dir, *tmp;
    int want_wl[W_COUNT], want_mode[M_COUNT];
    size_t n_sync, n_batch, k;
    size_t map_mib;      /* bpmn_engine_options.map_size in MiB; 0: the engine's default */
    int reps;
    double probe_secs;
    size_t storage[MAX_STORAGE];
    int nstorage;
    char shapes[MAX_SHAPES][5]; /* shaped probes (see eb_probe_run), "crb" by default */
    int nshapes;
    int vars_everywhere; /* -V: amount variables on every workload, as bench.js passes them */
    int in_process;      /* -1: no fork (for valgrind); peak RSS is then the process's */
    workload wl[W_COUNT];
} options;

/* What a child reports to the parent through a pipe; plain data, no pointers. */
typedef struct run_result {
    int ok;
    char msg[512];
    size_t n;
    double secs;       /* the timed phase; usertask and timer: start + complete (or fire) */
    double start_s, list_s, parse_s, complete_s;
    double cps;        /* the plain probe's commits per second (taking turns with the run) */
    size_t probe_n;    /* its commits */
    double shape_cps[MAX_SHAPES]; /* probe set: the shaped probes */
    long maxrss_kib;   /* peak RSS at the end of the timed phase */
    double cpu_s;      /* user + system time of the timed phases (probe set: of its plain
                          probe) */
    long long size_before, size_after, blocks_before, blocks_after; /* store file, bytes */
    long rss_kib, rss_anon_kib, rss_file_kib; /* /proc/self/status: usertask with all waiting,
                                                 others at the end of the timed phase */
} run_result;

/* A fresh directory for one store; the store file is DIR/store, its lock DIR/store-lock. */
typedef struct scratch {
    char dir[512];
    char store[600];
} scratch;

typedef struct engine_job {
    const options *o;
    int w, mode;
    size_t n;
    int with_probe;       /* a plain probe takes turns with the operations */
    unsigned probe_flags; /* its LMDB flags: the mode's sync setting */
} engine_job;

typedef struct storage_job {
    const options *o;
    size_t n;
} storage_job;

/* engine_bench.c */
double eb_now(void);
double eb_cpu_now(void); /* user + system time of this process, seconds */
void eb_say(run_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int eb_scratch_make(const options *o, scratch *s);
void eb_scratch_remove(const scratch *s);
void eb_file_size(const char *path, long long *size, long long *blocks);
void eb_rss_now(run_result *r);
void eb_mark_peak(run_result *r);

/* engine_runs.c: one run of a workload in a mode; the storage run. */
void eb_engine_run(const engine_job *j, run_result *r);
void eb_storage_run(const storage_job *j, run_result *r);

/* lmdb_probe.c: a probe environment in its own scratch directory; eb_probe_commit runs count
 * commits and adds their time to secs. */
typedef struct eb_probe {
    scratch s;
    int made;
    struct MDB_env *env;
    unsigned dbi[3]; /* MDB_dbi */
    int plain, counters, record;
    size_t block; /* bytes of the appended block; 0 none */
    unsigned long long n;
    double secs, cpu; /* wall and CPU time of its commits */
} eb_probe;

int eb_probe_open(const options *o, unsigned flags, const char *shape, eb_probe *p, run_result *r);
int eb_probe_commit(eb_probe *p, size_t count, run_result *r);
void eb_probe_close(eb_probe *p);
void eb_probe_set_run(const options *o, unsigned flags, run_result *r);
void eb_table_report(const char *path, FILE *out);

#endif
