/*
 * test_util.h - helpers shared by the CUnit suites: validating inline documents, looking for a
 * diagnostic, running a suite.
 */
#ifndef BPMNRT_TEST_UTIL_H
#define BPMNRT_TEST_UTIL_H

#include <CUnit/CUnit.h>
#include <stddef.h>

#include "bpmnrt.h"

/* Validates a NUL-terminated document; asserts the call succeeded. */
bpmn_report *tu_validate(const char *xml);
/* Index of the first diagnostic of the given severity whose element equals element (NULL: any)
 * and whose message contains text; -1 when none. */
int tu_find(const bpmn_report *r, bpmn_severity sev, const char *element, const char *text);
/* Prints every diagnostic (used when an assertion about them fails). */
void tu_dump(const bpmn_report *r);
/* Wraps process content in definitions with the BPMN namespace, bpmn: prefix. */
char *tu_process(const char *attrs, const char *body);
char *tu_read_file(const char *path, size_t *len);

/* Runs the bpmnrt binary with args (NULL-terminated) as a separate process; captures stdout and
 * stderr (freed by the caller); returns the exit code (128 + signal when killed). */
int tu_cli(char *const args[], char **out, char **err);
/* tu_cli with standard input read from the file in (NULL: inherited), as uid (0: as we are). */
int tu_cli_as(unsigned uid, const char *in, char *const args[], char **out, char **err);

/* A path for a new temporary store (64 bytes; the file does not exist yet), and removing a
 * store with its lock file. */
void tu_store_path(char *path);
void tu_store_remove(const char *path);

/* A fresh engine on a temporary store (no fsync) whose clock reads *clock_ms; the path goes into
 * path (64 bytes) for tu_engine_remove(). */
bpmn_engine *tu_engine_fresh(char *path, long long *clock_ms);
/* Closes the engine and deletes its store. */
void tu_engine_remove(bpmn_engine *e, const char *path);

typedef struct tu_case {
    const char *name;
    void (*fn)(void);
} tu_case;

/* Registers and runs one suite; returns the process exit code. */
int tu_run(const char *suite, const tu_case *cases);

#define TU_HAS(r, sev, el, text)                                  \
    do {                                                          \
        if (tu_find((r), (sev), (el), (text)) < 0)                \
            tu_dump(r);                                           \
        CU_ASSERT(tu_find((r), (sev), (el), (text)) >= 0);        \
    } while (0)

#endif
