/*
 * bpmnrt.h - the public embedding API of bpmnrt, a BPMN 2.0 interpreter and runtime.
 *
 * This header is the specification: everything a program may call is declared here. All
 * functions that can fail return a status code from the BPMN_STATUS_MAP list below (BPMN_OK is
 * 0, errors are negative). Strings are UTF-8 and NUL-terminated. Pointers returned by accessor
 * functions stay valid until the object they came from is freed.
 */
#ifndef BPMNRT_H
#define BPMNRT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(BPMNRT_BUILDING) && defined(__GNUC__)
#define BPMN_API __attribute__((visibility("default")))
#else
#define BPMN_API
#endif

#define BPMNRT_VERSION_STRING "0.1.0"

/* Status codes: name, value, message. One list generates the enum and bpmn_strerror(). */
#define BPMN_STATUS_MAP(X)                                                   \
    X(OK, 0, "success")                                                      \
    X(EINVAL, -1, "invalid argument")                                        \
    X(ENOMEM, -2, "out of memory")                                           \
    X(EIO, -3, "input/output error")                                         \
    X(ETOOBIG, -4, "input exceeds the configured size limit")                \
    X(EPARSE, -5, "the document is not well-formed BPMN 2.0 XML")            \
    X(EINVALID, -6, "the model has validation errors")                       \
    X(ENOTFOUND, -7, "not found")

typedef enum bpmn_status {
#define BPMN_STATUS_ENUM_(name, value, msg) BPMN_##name = value,
    BPMN_STATUS_MAP(BPMN_STATUS_ENUM_)
#undef BPMN_STATUS_ENUM_
} bpmn_status;

/* The message for a status code; a static string, never NULL (unknown codes get a generic
 * message). */
BPMN_API const char *bpmn_strerror(int status);

/*
 * Allocator hook. alloc(ud, ptr, size) behaves like realloc(ptr, size) when size > 0 and like
 * free(ptr) when size == 0 (then it returns NULL). A NULL hook means the C library's allocator.
 * Memory inside libxml2 and cJSON is not routed through this hook (their allocators are
 * process-global and bpmnrt never changes them).
 */
typedef struct bpmn_allocator {
    void *(*alloc)(void *ud, void *ptr, size_t size);
    void *ud;
} bpmn_allocator;

/* Options for reading BPMN files. Zero-initialise, then set what you need. */
typedef struct bpmn_load_options {
    size_t max_bytes;          /* size cap for one file; 0 means the default of 64 MiB */
    const bpmn_allocator *allocator; /* NULL for the C library's allocator */
} bpmn_load_options;

#define BPMN_DEFAULT_MAX_BYTES ((size_t)64 * 1024 * 1024)

typedef enum bpmn_severity { BPMN_SEV_ERROR = 0, BPMN_SEV_WARNING = 1 } bpmn_severity;

/* One problem found in a file. element is the id of the element concerned, or "" when the
 * problem is not tied to an element with an id. line is 1-based; 0 when no line applies. */
typedef struct bpmn_diagnostic {
    unsigned line;
    bpmn_severity severity;
    const char *element;
    const char *message;
} bpmn_diagnostic;

/* The result of validating one file: every diagnostic, ordered by line. */
typedef struct bpmn_report bpmn_report;

/*
 * Read, check and compile one BPMN document held in memory. name is used in messages (usually
 * the file path). On BPMN_OK *out receives a report the caller frees with bpmn_report_free();
 * the document is valid when bpmn_report_errors(*out) is 0. Problems with the document itself
 * (malformed XML, a DOCTYPE, the size cap, ...) are diagnostics in the report, not status codes.
 * Returns BPMN_EINVAL for NULL arguments and BPMN_ENOMEM when memory runs out (*out is then
 * NULL).
 */
BPMN_API int bpmn_validate_memory(const char *name, const void *data, size_t len,
                                  const bpmn_load_options *opts, bpmn_report **out);

/* Like bpmn_validate_memory() for a file; a file that cannot be read is a diagnostic in the
 * report. The file is read at most up to the size cap plus one byte. */
BPMN_API int bpmn_validate_file(const char *path, const bpmn_load_options *opts,
                                bpmn_report **out);

/* Accessors of a report. bpmn_report_get() returns NULL when i is out of range; the pointer and
 * its strings stay valid until bpmn_report_free(). */
BPMN_API size_t bpmn_report_count(const bpmn_report *r);
BPMN_API size_t bpmn_report_errors(const bpmn_report *r);
BPMN_API const bpmn_diagnostic *bpmn_report_get(const bpmn_report *r, size_t i);
/* Number of executable processes compiled from the document (0 when it has errors). */
BPMN_API size_t bpmn_report_processes(const bpmn_report *r);

/* Frees a report; NULL is a no-op. */
BPMN_API void bpmn_report_free(bpmn_report *r);

#ifdef __cplusplus
}
#endif
#endif /* BPMNRT_H */
