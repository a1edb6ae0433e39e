/*
 * source_names.h - which vendor attributes, extension elements, BPMN attributes and BPMN
 * element tags the source code looks up, found by scanning bpmn/ and engine/ at test time.
 */
#ifndef BPMNRT_TEST_SOURCE_NAMES_H
#define BPMNRT_TEST_SOURCE_NAMES_H

#include "docs/doc_text.h"

/* Everything the code reads, by kind: vendor attributes and extension elements as "ns:name"
 * (ns one of camunda, zeebe, flowable, activiti), extension element names compared without a
 * namespace, attributes of extension elements, BPMN attributes and BPMN element tags; problems
 * lists lookups whose namespace the scanner could not tell. */
typedef struct names {
    strset vattr, vext, extname, extattr, battr, btag;
    strset problems;
} names;

/* Scans every C file of bpmn/ and engine/ under BPMNRT_SOURCE_DIR into n (zero-initialised). */
void scan_sources(names *n);
void names_free(names *n);

#endif
