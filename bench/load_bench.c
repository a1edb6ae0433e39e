/*
 * load_bench.c - throughput of bpmnrt's load+validate+compile pipeline over a directory of real
 * BPMN files, measured side by side with libxml2's bare parse of the same bytes in the same run.
 *
 * Every *.bpmn and *.xml file under the directory is read into memory once, before any timing.
 * Each round then times one pass of each side over all buffers, the two sides in alternating
 * order from round to round so that neither always runs on the warmer cache. The bare side is
 * the parser call sequence of bpmn/load.c with nothing of bpmnrt around it; the pipeline side is
 * bpmn_validate_memory() + bpmn_report_free(). Files that fail to parse count on both sides.
 *
 * Usage: load_bench [DIR] [-r ROUNDS] [-w WARMUP] [-m both|bare|pipeline]
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>

#include "bpmnrt.h"

#ifndef LOAD_BENCH_DEFAULT_DIR
#define LOAD_BENCH_DEFAULT_DIR "../shared/corpus"
#endif

/* Exactly the options bm_load() in bpmn/load.c passes to libxml2. */
#define BARE_OPTIONS                                                                 \
    (XML_PARSE_NONET | XML_PARSE_BIG_LINES | XML_PARSE_COMPACT | XML_PARSE_NOERROR | \
     XML_PARSE_NOWARNING)

typedef struct file_buf {
    char *path;
    char *data;
    size_t len;
} file_buf;

typedef struct corpus {
    file_buf *files;
    size_t n, cap;
    size_t bytes;
} corpus;

enum { MODE_BOTH, MODE_BARE, MODE_PIPELINE };

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
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

static int add_file(corpus *c, const char *path)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        file_buf *f = realloc(c->files, cap * sizeof *f);
        if (!f)
            return -1;
        c->files = f;
        c->cap = cap;
    }
    file_buf *f = &c->files[c->n];
    f->path = strdup(path);
    if (!f->path || read_whole(path, &f->data, &f->len) != 0) {
        fprintf(stderr, "load_bench: cannot read %s: %s\n", path, strerror(errno));
        free(f->path);
        return -1;
    }
    c->n++;
    c->bytes += f->len;
    return 0;
}

/* Recursive directory walk with opendir/stat (POSIX only; nftw would need _XOPEN_SOURCE). */
static int scan_dir(corpus *c, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "load_bench: cannot open directory %s: %s\n", dir, strerror(errno));
        return -1;
    }
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        size_t need = strlen(dir) + strlen(de->d_name) + 2;
        char *path = malloc(need);
        if (!path) {
            rc = -1;
            break;
        }
        snprintf(path, need, "%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(path, &st) == 0) {
            if (S_ISDIR(st.st_mode))
                rc = scan_dir(c, path);
            else if (S_ISREG(st.st_mode) &&
                     (has_suffix(de->d_name, ".bpmn") || has_suffix(de->d_name, ".xml")))
                rc = add_file(c, path);
        }
        free(path);
    }
    closedir(d);
    return rc;
}

static int by_path(const void *a, const void *b)
{
    return strcmp(((const file_buf *)a)->path, ((const file_buf *)b)->path);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The parse of bm_load() alone: same context constructor, options and parse call, no hooks. */
static int bare_pass(const corpus *c)
{
    int well_formed = 0;
    for (size_t i = 0; i < c->n; i++) {
        xmlParserCtxtPtr ctxt = xmlCreateMemoryParserCtxt(c->files[i].data, (int)c->files[i].len);
        if (!ctxt)
            continue;
        xmlCtxtUseOptions(ctxt, BARE_OPTIONS);
        xmlParseDocument(ctxt);
        xmlDocPtr doc = ctxt->myDoc;
        ctxt->myDoc = NULL;
        if (doc && ctxt->wellFormed)
            well_formed++;
        xmlFreeParserCtxt(ctxt);
        xmlFreeDoc(doc);
    }
    return well_formed;
}

typedef struct pipeline_stats {
    size_t failed_calls; /* status other than BPMN_OK */
    size_t valid;        /* reports with no error */
    size_t invalid;      /* reports with at least one error */
    size_t not_xml;      /* reports saying the bytes are not well-formed XML or have a DOCTYPE */
    size_t processes;
} pipeline_stats;

static void pipeline_pass(const corpus *c, pipeline_stats *s)
{
    for (size_t i = 0; i < c->n; i++) {
        bpmn_report *r = NULL;
        int rc = bpmn_validate_memory(c->files[i].path, c->files[i].data, c->files[i].len, NULL,
                                      &r);
        if (s) {
            if (rc != BPMN_OK) {
                s->failed_calls++;
            } else if (bpmn_report_errors(r) == 0) {
                s->valid++;
                s->processes += bpmn_report_processes(r);
            } else {
                s->invalid++;
                const bpmn_diagnostic *d;
                for (size_t k = 0; (d = bpmn_report_get(r, k)) != NULL; k++)
                    if (strstr(d->message, "not well-formed") || strstr(d->message, "DOCTYPE")) {
                        s->not_xml++;
                        break;
                    }
            }
        }
        bpmn_report_free(r);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(const double *v, int n)
{
    double *s = malloc((size_t)n * sizeof *s);
    if (!s)
        return v[0];
    memcpy(s, v, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    double m = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    free(s);
    return m;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: load_bench [DIR] [-r ROUNDS] [-w WARMUP] [-m both|bare|pipeline]\n"
            "  DIR      directory searched recursively for *.bpmn and *.xml (default %s)\n"
            "  -r N     timed rounds, median reported (default 7)\n"
            "  -w N     untimed warm-up passes of each side before round 1 (default 1)\n"
            "  -m MODE  run only one side, e.g. under valgrind --tool=callgrind\n",
            LOAD_BENCH_DEFAULT_DIR);
}

int main(int argc, char **argv)
{
    const char *dir = LOAD_BENCH_DEFAULT_DIR;
    int rounds = 7, warmup = 1, mode = MODE_BOTH, dir_given = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if ((strcmp(a, "-r") == 0 || strcmp(a, "-w") == 0 || strcmp(a, "-m") == 0) &&
            i + 1 < argc) {
            const char *v = argv[++i];
            if (a[1] == 'm') {
                if (strcmp(v, "both") == 0)
                    mode = MODE_BOTH;
                else if (strcmp(v, "bare") == 0)
                    mode = MODE_BARE;
                else if (strcmp(v, "pipeline") == 0)
                    mode = MODE_PIPELINE;
                else
                    return usage(), 2;
            } else {
                char *end;
                long n = strtol(v, &end, 10);
                if (*end || n < (a[1] == 'r' ? 1 : 0) || n > 1000)
                    return usage(), 2;
                *(a[1] == 'r' ? &rounds : &warmup) = (int)n;
            }
        } else if (a[0] != '-' && !dir_given) {
            dir = a;
            dir_given = 1;
        } else {
            return usage(), 2;
        }
    }

    xmlInitParser();
    corpus c = {0};
    if (scan_dir(&c, dir) != 0)
        return 1;
    if (c.n == 0) {
        fprintf(stderr, "load_bench: no *.bpmn or *.xml file under %s\n", dir);
        return 1;
    }
    qsort(c.files, c.n, sizeof *c.files, by_path);
    double mb = (double)c.bytes / 1e6;
    printf("corpus: %s\n", dir);
    printf("files: %zu, bytes: %zu (%.2f MB), libxml2 %s\n", c.n, c.bytes, mb, LIBXML_DOTTED_VERSION);

    int do_bare = mode != MODE_PIPELINE, do_pipe = mode != MODE_BARE;
    /* The warm-up passes also collect what the pipeline made of the corpus, so the timed passes
     * carry no bookkeeping beyond what a caller would do. */
    for (int w = 0; w < warmup; w++) {
        if (do_bare) {
            int wf = bare_pass(&c);
            if (w == 0)
                printf("bare parse: %d well-formed, %zu not\n", wf, c.n - (size_t)wf);
        }
        if (do_pipe) {
            pipeline_stats s = {0};
            pipeline_pass(&c, w == 0 ? &s : NULL);
            if (w == 0)
                printf("pipeline: %zu valid (%zu processes compiled), %zu with errors "
                       "(%zu of them not well-formed XML or DOCTYPE), %zu calls failed\n",
                       s.valid, s.processes, s.invalid, s.not_xml, s.failed_calls);
        }
    }

    double *bare = calloc((size_t)rounds, sizeof *bare);
    double *pipe = calloc((size_t)rounds, sizeof *pipe);
    if (!bare || !pipe)
        return 1;
    printf("\nround  first     bare_s  pipeline_s  ratio\n");
    for (int r = 0; r < rounds; r++) {
        int pipe_first = r % 2;
        for (int k = 0; k < 2; k++) {
            int run_pipe = (k == 0) == pipe_first;
            if (run_pipe && do_pipe) {
                double t0 = now_s();
                pipeline_pass(&c, NULL);
                pipe[r] = now_s() - t0;
            } else if (!run_pipe && do_bare) {
                double t0 = now_s();
                bare_pass(&c);
                bare[r] = now_s() - t0;
            }
        }
        printf("%5d  %-8s  %7.4f  %10.4f  %5.2f\n", r + 1, pipe_first ? "pipeline" : "bare",
               bare[r], pipe[r], bare[r] > 0 ? pipe[r] / bare[r] : 0.0);
    }

    double mb_ = median(bare, rounds), mp = median(pipe, rounds);
    printf("\nmedian of %d rounds over %zu files, %.2f MB (MB = 10^6 bytes):\n", rounds, c.n, mb);
    if (do_bare)
        printf("  bare parse   %8.4f s  %8.1f MB/s  %9.0f files/s\n", mb_, mb / mb_,
               (double)c.n / mb_);
    if (do_pipe)
        printf("  pipeline     %8.4f s  %8.1f MB/s  %9.0f files/s\n", mp, mb / mp,
               (double)c.n / mp);
    if (do_bare && do_pipe)
        printf("  ratio pipeline/bare (of medians): %.2fx (target <= 2.00x: %s)\n", mp / mb_,
               mp / mb_ <= 2.0 ? "met" : "missed");

    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        printf("peak RSS: %ld KiB (includes the %.2f MB corpus held in memory)\n", ru.ru_maxrss,
               mb);

    free(bare);
    free(pipe);
    for (size_t i = 0; i < c.n; i++) {
        free(c.files[i].path);
        free(c.files[i].data);
    }
    free(c.files);
    xmlCleanupParser();
    return 0;
}
