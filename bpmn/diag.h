/*
 * diag.h - the diagnostics of one file, collected in one pass and sorted by line.
 */
#ifndef BPMN_DIAG_H
#define BPMN_DIAG_H

#include "base/arena.h"

typedef struct bm_diags {
    bm_arena arena; /* owns the strings */
    bpmn_diagnostic *items;
    size_t n, cap;
    size_t errors;
    int oom; /* set when a diagnostic could not be recorded */
} bm_diags;

void bm_diags_init(bm_diags *d, const bpmn_allocator *a);
void bm_diags_free(bm_diags *d);
/* Records one diagnostic; element may be NULL. Sets d->oom on allocation failure. */
void bm_diag(bm_diags *d, bpmn_severity sev, unsigned line, const char *element,
             const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Stable sort by line. */
void bm_diags_sort(bm_diags *d);

#endif
