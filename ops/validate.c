/*
 * validate.c - the public validation entry points: load, validate, compile and check the
 * expressions of one document (en_pipeline) and hand back its diagnostics as a report.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/engine.h"

struct bpmn_report {
    bm_diags d;
    size_t processes;
};

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
    int rc = en_pipeline(name, data ? data : "", len, opts, &r->d, &graphs, &n);
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
        if (err == EINVAL)
            bm_diag(&r->d, BPMN_SEV_ERROR, 0, NULL,
                    "not a regular file (only regular files are read as diagrams)");
        else
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
