/*
 * load.h - reading a BPMN document from memory into a model.
 */
#ifndef BPMN_LOAD_H
#define BPMN_LOAD_H

#include "bpmn/diag.h"
#include "bpmn/model.h"

/* Parses data securely. Problems with the document are diagnostics in d; *out is NULL when the
 * document could not be read as BPMN at all. Returns BPMN_OK or BPMN_ENOMEM. */
int bm_load(const char *file, const void *data, size_t len, const bpmn_load_options *opts,
            bm_diags *d, bm_model **out);
void bm_model_free(bm_model *m);

/* The linear pre-pass of xmlscan.c: 0 when the document is within opts' XML limits (or their
 * defaults), 1 when it is not (an error diagnostic in d names the line and the limit), or
 * BPMN_ENOMEM. */
int bm_xml_scan(const char *file, const char *s, size_t n, const bpmn_load_options *opts,
                bm_diags *d);

#endif
