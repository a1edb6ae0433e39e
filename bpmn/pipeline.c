/*
 * pipeline.c - one document from bytes to execution graphs: read the file (bounded), load,
 * validate, compile, and let the caller check what it compiles (the engine checks expressions).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bpmn/compile.h"
#include "bpmn/load.h"
#include "bpmn/validate.h"

int bm_pipeline_check(const char *name, const void *data, size_t len, const bpmn_load_options *opts,
                      bm_check_fn check, bm_diags *d, bg_graph ***graphs, size_t *ngraphs)
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
    for (size_t i = 0; check && rc == BPMN_OK && i < *ngraphs; i++)
        rc = check((*graphs)[i], d, opts ? opts->expr_depth : 0);
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

int bm_pipeline(const char *name, const void *data, size_t len, const bpmn_load_options *opts,
                bm_diags *d, bg_graph ***graphs, size_t *ngraphs)
{
    return bm_pipeline_check(name, data, len, opts, NULL, d, graphs, ngraphs);
}

/* Reads a whole file, at most cap + 1 bytes, so that an oversized file is refused without
 * reading it all. */
int bm_read_file(const char *path, size_t cap, const bpmn_allocator *a, char **data, size_t *len,
                 int *err)
{
    *data = NULL;
    *len = 0;
    *err = 0;
    /* Only a regular file is a diagram: a FIFO or a device is refused without waiting on it
     * (O_NONBLOCK), with *err = EINVAL. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        *err = fd >= 0 && errno == 0 ? EINVAL : errno;
        if (fd >= 0 && !S_ISREG(sb.st_mode))
            *err = EINVAL;
        if (fd >= 0)
            close(fd);
        return BPMN_EIO;
    }
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        *err = errno;
        close(fd);
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
