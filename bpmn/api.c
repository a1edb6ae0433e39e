/*
 * api.c - the public validation entry points: load, validate and compile one document and hand
 * back its diagnostics as a report.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "bpmn/compile.h"
#include "bpmn/load.h"
#include "bpmn/validate.h"
#include "engine/engine.h"

struct bpmn_report {
    bm_diags d;
    size_t processes;
};

const char *bpmn_strerror(int status)
{
    switch (status) {
#define BPMN_STATUS_STR_(name, value, msg) \
    case BPMN_##name: return msg;
        BPMN_STATUS_MAP(BPMN_STATUS_STR_)
#undef BPMN_STATUS_STR_
    default: return "unknown status code";
    }
}

int bm_pipeline(const char *name, const void *data, size_t len, const bpmn_load_options *opts,
                bm_diags *d, bg_graph ***graphs, size_t *ngraphs)
{
    bm_model *m = NULL;
    *graphs = NULL;
    *ngraphs = 0;
    int rc = bm_load(name, data, len, opts, d, &m);
    if (rc != BPMN_OK || !m) {
        bm_diags_sort(d);
        return rc == BPMN_OK && d->oom ? BPMN_ENOMEM : rc;
    }
    bm_validate(m, d);
    if (d->oom)
        rc = BPMN_ENOMEM;
    else if (d->errors == 0)
        rc = bg_compile(m, graphs, ngraphs);
    bm_model_free(m);
    /* Expressions are part of the model: a syntax error is a validation error. */
    for (size_t i = 0; rc == BPMN_OK && i < *ngraphs; i++)
        rc = en_check_expressions((*graphs)[i], d, opts ? opts->expr_depth : 0);
    bm_diags_sort(d); /* may run out of memory too */
    if (rc == BPMN_OK && d->oom)
        rc = BPMN_ENOMEM;
    /* Graphs go to the caller only with a success: a failure after compiling keeps none. */
    if (rc != BPMN_OK || d->errors) {
        bg_graphs_free(*graphs, *ngraphs, d->arena.a);
        *graphs = NULL;
        *ngraphs = 0;
    }
    return rc;
}

int bpmn_validate_memory(const char *name, const void *data, size_t len,
                         const bpmn_load_options *opts, bpmn_report **out)
{
    if (!out)
        return BPMN_EINVAL;
    *out = NULL;
    if (!name || (!data && len))
        return BPMN_EINVAL;
    const bpmn_allocator *a = opts ? opts->allocator : NULL;
    bpmn_report *r = bm_alloc(a, NULL, sizeof *r);
    if (!r)
        return BPMN_ENOMEM;
    memset(r, 0, sizeof *r);
    bm_diags_init(&r->d, a);
    bg_graph **graphs;
    size_t n;
    int rc = bm_pipeline(name, data ? data : "", len, opts, &r->d, &graphs, &n);
    bg_graphs_free(graphs, n, a);
    if (rc == BPMN_EINVALID) {
        /* The compiler met something the validator let through: a bug, reported as such. */
        bm_diag(&r->d, BPMN_SEV_ERROR, 0, NULL, "internal error: the compiler rejected a model "
                                                "that validated");
        rc = r->d.oom ? BPMN_ENOMEM : BPMN_OK;
    }
    if (rc != BPMN_OK) {
        bpmn_report_free(r);
        return rc;
    }
    r->processes = n;
    *out = r;
    return BPMN_OK;
}

/* Reads a whole file, at most cap + 1 bytes, so that an oversized file is refused without
 * reading it all. */
int bm_read_file(const char *path, size_t cap, const bpmn_allocator *a, char **data, size_t *len,
                 int *err)
{
    *data = NULL;
    *len = 0;
    *err = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        *err = errno;
        return BPMN_EIO;
    }
    size_t bufcap = 0, n = 0;
    char *buf = NULL;
    for (;;) {
        if (bm_grow(a, (void **)&buf, &bufcap, n + 65536, 1) != 0) {
            bm_free(a, buf);
            fclose(f);
            return BPMN_ENOMEM;
        }
        size_t want = bufcap - n;
        if (want > cap + 1 - n)
            want = cap + 1 - n;
        size_t got = fread(buf + n, 1, want, f);
        n += got;
        if (got < want || n > cap)
            break;
    }
    if (ferror(f)) {
        *err = errno ? errno : EIO;
        bm_free(a, buf);
        fclose(f);
        return BPMN_EIO;
    }
    fclose(f);
    *data = buf;
    *len = n;
    return BPMN_OK;
}

int bpmn_validate_file(const char *path, const bpmn_load_options *opts, bpmn_report **out)
{
    if (!out)
        return BPMN_EINVAL;
    *out = NULL;
    if (!path)
        return BPMN_EINVAL;
    const bpmn_allocator *a = opts ? opts->allocator : NULL;
    size_t cap = opts && opts->max_bytes ? opts->max_bytes : BPMN_DEFAULT_MAX_BYTES;
    char *data;
    size_t len;
    int err;
    int rc = bm_read_file(path, cap, a, &data, &len, &err);
    if (rc == BPMN_ENOMEM)
        return rc;
    if (rc == BPMN_EIO) {
        bpmn_report *r = bm_alloc(a, NULL, sizeof *r);
        if (!r)
            return BPMN_ENOMEM;
        memset(r, 0, sizeof *r);
        bm_diags_init(&r->d, a);
        bm_diag(&r->d, BPMN_SEV_ERROR, 0, NULL, "cannot read file: %s", strerror(err));
        if (r->d.oom) {
            bpmn_report_free(r);
            return BPMN_ENOMEM;
        }
        *out = r;
        return BPMN_OK;
    }
    if (len > cap) {
        /* Only cap + 1 bytes were read: the message gives the file's real size. */
        struct stat sb;
        unsigned long long size = len;
        if (stat(path, &sb) == 0 && sb.st_size > 0 && (unsigned long long)sb.st_size > size)
            size = (unsigned long long)sb.st_size;
        bm_free(a, data);
        bpmn_report *r = bm_alloc(a, NULL, sizeof *r);
        if (!r)
            return BPMN_ENOMEM;
        memset(r, 0, sizeof *r);
        bm_diags_init(&r->d, a);
        bm_diag(&r->d, BPMN_SEV_ERROR, 0, NULL, "file is %llu bytes, over the size limit of %zu bytes",
                size, cap);
        if (r->d.oom) {
            bpmn_report_free(r);
            return BPMN_ENOMEM;
        }
        *out = r;
        return BPMN_OK;
    }
    rc = bpmn_validate_memory(path, data, len, opts, out);
    bm_free(a, data);
    return rc;
}

size_t bpmn_report_count(const bpmn_report *r)
{
    return r ? r->d.n : 0;
}

size_t bpmn_report_errors(const bpmn_report *r)
{
    return r ? r->d.errors : 0;
}

size_t bpmn_report_processes(const bpmn_report *r)
{
    return r ? r->processes : 0;
}

const bpmn_diagnostic *bpmn_report_get(const bpmn_report *r, size_t i)
{
    return r && i < r->d.n ? &r->d.items[i] : NULL;
}

void bpmn_report_free(bpmn_report *r)
{
    if (!r)
        return;
    const bpmn_allocator *a = r->d.arena.a;
    bm_diags_free(&r->d);
    bm_free(a, r);
}
