/*
 * compile.h - model to execution graphs, one per executable process.
 */
#ifndef BPMN_COMPILE_H
#define BPMN_COMPILE_H

#include "bpmn/graph.h"

/* Compiles every executable process of a model that validated without errors. On BPMN_OK,
 * *out is an array of *count graphs (possibly 0) the caller frees with bg_graphs_free(). */
int bg_compile(const bm_model *m, bg_graph ***out, size_t *count);
void bg_graph_free(bg_graph *g);
void bg_graphs_free(bg_graph **gs, size_t count, const bpmn_allocator *a);

#include "bpmn/diag.h"

/* Checks one compiled graph further (the engine compiles its expressions), adding diagnostics
 * to d; returns BPMN_OK or a failure status (BPMN_ENOMEM). */
typedef int (*bm_check_fn)(bg_graph *g, bm_diags *d, unsigned max_depth);

/* The whole pipeline for one document: load, validate, and when there is no error, compile,
 * then run check (may be NULL) on every graph. Diagnostics go to d (sorted by line on return).
 * Returns BPMN_OK, BPMN_ENOMEM, or BPMN_EINVALID when the compiler rejects what the validator
 * accepted (a bug). Graphs reach the caller only when there is no error. */
int bm_pipeline_check(const char *name, const void *data, size_t len, const bpmn_load_options *opts,
                      bm_check_fn check, bm_diags *d, bg_graph ***graphs, size_t *ngraphs);
/* bm_pipeline_check without a check. */
int bm_pipeline(const char *name, const void *data, size_t len, const bpmn_load_options *opts,
                bm_diags *d, bg_graph ***graphs, size_t *ngraphs);
/* Reads a file of at most cap bytes (cap + 1 are read to detect an oversized file). On
 * BPMN_EIO, *err holds errno. */
int bm_read_file(const char *path, size_t cap, const bpmn_allocator *a, char **data, size_t *len,
                 int *err);

#endif
