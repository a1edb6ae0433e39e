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

#define BPMNRT_VERSION_STRING "0.2.0"

/* Status codes: name, value, message. One list generates the enum and bpmn_strerror(). */
#define BPMN_STATUS_MAP(X)                                                   \
    X(OK, 0, "success")                                                      \
    X(EINVAL, -1, "invalid argument")                                        \
    X(ENOMEM, -2, "out of memory")                                           \
    X(EIO, -3, "input/output error")                                         \
    X(ETOOBIG, -4, "input exceeds the configured size limit")                \
    X(EPARSE, -5, "the document is not well-formed BPMN 2.0 XML")            \
    X(EINVALID, -6, "the model has validation errors")                       \
    X(ENOTFOUND, -7, "not found")                                            \
    X(ESTATE, -8, "the operation does not fit the current state")            \
    X(EBUSY, -9, "a batch is already open or none is open")                  \
    X(EFULL, -10, "the store reached its size limit")                       \
    X(EDENIED, -11, "the acting user is not allowed to do this")

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
    unsigned expr_depth;       /* nesting accepted in expressions; 0: 64 (at most 255) */
    /* Bounds checked in one linear pass before the XML is parsed (0: the defaults below): the
     * attributes of one element (and, squared and summed over the document, at most the square
     * of that: libxml2 checks attributes pairwise), the elements of the document, and both
     * together. Over one, the document is refused with an error naming the line and limit. */
    unsigned long xml_attributes;
    unsigned long xml_elements;
    unsigned long xml_nodes;
    /* 1: a process without an isExecutable attribute counts as executable (Flowable's default;
     * BPMN's and Camunda's is not executable). */
    int assume_executable;
} bpmn_load_options;

#define BPMN_LIMIT_XML_ATTRIBUTES 20000ul
#define BPMN_LIMIT_XML_ELEMENTS 1000000ul
#define BPMN_LIMIT_XML_NODES 4000000ul

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

/* ------------------------------------------------------------------------------------------
 * The engine: deployments, instances, tasks and jobs kept in an LMDB store.
 *
 * One handle per thread: calls on one handle must not overlap (it may move to another thread
 * between calls while no batch is open); bpmn_strerror() and the validation functions take no
 * handle and may run in any thread. Several handles, threads or processes may open the same
 * store; every operation that changes it is one write transaction (or joins the open batch;
 * tick fires each timer, purge deletes, in transactions of their own), each read sees one
 * commit's snapshot, readers never block the writer, writers wait for each other. Handles on one
 * store in one process share its LMDB environment: the sync options of the first one opened
 * apply to all, and the largest map_max. After fork(), a handle inherited from the parent
 * refuses every operation (BPMN_EIO); open a new one. docs/concurrency.md has the whole model.
 * Instance, task and job ids are decimal strings of positive integers (uint64).
 * Functions returning JSON hand over a NUL-terminated string the caller frees with bpmn_free().
 * On any error the detailed message (element id, line, reason) is available from
 * bpmn_engine_errmsg() until the next call on the handle, and the store is unchanged.
 * ------------------------------------------------------------------------------------------ */

typedef struct bpmn_engine bpmn_engine;

/*
 * Limits that keep every document, expression, instance and operation bounded, whatever the
 * diagram or its data. A field left 0 takes the default below; a value above the ceiling makes
 * bpmn_engine_open() fail with BPMN_EINVAL. docs/limits.md lists what happens at each one.
 * - max_file_bytes: size of a document given to bpmn_deploy(); over it, the deploy is refused
 *   with BPMN_ETOOBIG and nothing is stored. Default BPMN_DEFAULT_MAX_BYTES.
 * - expr_depth: nesting of an expression, checked when a document is deployed (over it the
 *   deploy is refused, naming the element). Default 64, ceiling 255.
 * - expr_steps: steps of one evaluation of an expression (each node visited and each list item
 *   touched is a step); over it the token raises an incident at its element. Default 100000.
 * - run_steps: elements one instance enters in one operation without stopping at a wait state;
 *   over it the token about to move raises an incident at its element and the operation is
 *   committed (fix the data, then bpmn_instance_retry()). Default 1000000.
 * - tokens: tokens alive in one instance; a split, multi-instance or event that would pass it
 *   raises an incident at its element. Default 200000.
 * - call_depth: call activities nested inside one another (a process calling itself); the call
 *   that would pass it raises an incident. Default 64, ceiling 200.
 * - mi_instances: instances of one multi-instance activity (cardinality or collection size);
 *   over it the activity raises an incident. Default 100000.
 * - xml_attributes, xml_elements, xml_nodes: attributes of one element (the sum of their
 *   squares over a document at most its square), elements of a document, and the two
 *   together, counted in one linear pass before a document is parsed (deploy, validation);
 *   over one, the document is refused naming the line. Defaults 20000, 1000000, 4000000.
 */
typedef struct bpmn_limits {
    size_t max_file_bytes;
    unsigned expr_depth;
    unsigned long expr_steps;
    unsigned long run_steps;
    unsigned long tokens;
    unsigned call_depth;
    unsigned long mi_instances;
    unsigned long xml_attributes;
    unsigned long xml_elements;
    unsigned long xml_nodes;
} bpmn_limits;

#define BPMN_LIMIT_EXPR_DEPTH 64u
#define BPMN_LIMIT_EXPR_DEPTH_MAX 255u
#define BPMN_LIMIT_EXPR_STEPS 100000ul
#define BPMN_LIMIT_RUN_STEPS 1000000ul
#define BPMN_LIMIT_TOKENS 200000ul
#define BPMN_LIMIT_CALL_DEPTH 64u
#define BPMN_LIMIT_CALL_DEPTH_MAX 200u
#define BPMN_LIMIT_MI_INSTANCES 100000ul

typedef struct bpmn_engine_options {
    const char *path;          /* the store file (required); its lock file is PATH-lock */
    size_t map_size;           /* initial LMDB map size; 0 = 64 MiB */
    size_t map_max;            /* the map grows on demand up to this; 0 = 64 GiB */
    int nometasync;            /* 1: MDB_NOMETASYNC: a crash of the OS may lose the last commit,
                                  never corrupt the store; default is a full sync per commit */
    int nosync;                /* 1: no fsync at all (benchmarks, throwaway stores) */
    const bpmn_allocator *allocator; /* NULL: the C library */
    /* The clock: milliseconds since the Unix epoch, UTC. NULL: the system clock. */
    long long (*clock)(void *ud);
    void *clock_ud;
    /* Ids of instances, tasks and jobs: a positive number never handed out before in this store.
     * NULL: a counter kept in the store (1, 2, 3, ... in commit order). Returning 0 refuses the
     * operation (BPMN_EINVAL). */
    unsigned long long (*next_id)(void *ud);
    void *ids_ud;
    /* What history keeps: BPMN_HISTORY_FULL (default: events with variable values),
     * BPMN_HISTORY_ACTIVITY (events with the names of changed variables only) or
     * BPMN_HISTORY_NONE (no events; reports then have nothing to count). */
    int history_level;
    /* Bounds on documents, expressions and instances (see bpmn_limits); zero: the defaults. */
    bpmn_limits limits;
} bpmn_engine_options;

enum { BPMN_HISTORY_FULL = 0, BPMN_HISTORY_ACTIVITY = 1, BPMN_HISTORY_NONE = 2 };

/* Opens the engine on a store (created when missing). On error *out is NULL and, when errbuf is
 * not NULL, the reason is written there (a foreign or damaged file, another schema version). */
BPMN_API int bpmn_engine_open(const bpmn_engine_options *opts, bpmn_engine **out, char *errbuf,
                              size_t errcap);
/* Closes the handle (aborting an open batch); NULL is a no-op. */
BPMN_API void bpmn_engine_close(bpmn_engine *e);
/* The detailed message of the last failed call on this handle; "" after a success. */
BPMN_API const char *bpmn_engine_errmsg(const bpmn_engine *e);
/* Frees a string returned by the engine; NULL is a no-op. */
BPMN_API void bpmn_free(bpmn_engine *e, void *p);

/* Sets the engine clock for the following calls (ms since the epoch, UTC); -1 returns to the
 * clock hook. The CLI's --now uses this. */
BPMN_API void bpmn_engine_set_now(bpmn_engine *e, long long now_ms);

/* Validates a BPMN document and stores a new version of each executable process in it (an
 * identical document is not a new version). *json_out: {"deployments":[{"process","version"}]}.
 * BPMN_EINVALID when the document has errors (all of them in the message, one per line as
 * FILE:LINE: error: ID: text); nothing is stored then. */
BPMN_API int bpmn_deploy(bpmn_engine *e, const char *name, const void *data, size_t len,
                         char **json_out);

/* One document of a deployment: a name for messages (a file name), the bytes and their length. */
typedef struct bpmn_document {
    const char *name;
    const void *data;
    size_t len;
    unsigned flags; /* BPMN_DOC_* */
} bpmn_document;

/* A process of the document without an isExecutable attribute is deployed as executable. */
#define BPMN_DOC_ASSUME_EXECUTABLE 1u

/* Deploys several documents at once: all of them are read, validated and compiled before the
 * store is written (no other writer waits for the parsing), then every process is stored in one
 * transaction: all or none. The answer lists every process as bpmn_deploy() does; a process
 * defined in two of the documents takes the later one. */
BPMN_API int bpmn_deploy_many(bpmn_engine *e, const bpmn_document *docs, size_t n,
                              char **json_out);

/* Starts an instance of the latest version of a process (version 0) or of a given version.
 * vars_json is a JSON object or NULL; business_key may be NULL. *json_out:
 * {"instance":ID,"state":STATE}. BPMN_ENOTFOUND for an unknown process, BPMN_EINVAL for
 * malformed variables: text that is not one JSON object, a number beyond a double, or an object
 * (at any depth) naming a key twice, as in {"a":1,"a":2}; the message names the key. Every call
 * that takes vars_json (task and job completion, job results, correlate, signal, set_vars)
 * checks its variables the same way. */
BPMN_API int bpmn_instance_start(bpmn_engine *e, const char *process, unsigned version,
                                 const char *vars_json, const char *business_key,
                                 char **json_out);

/* One instance as {"instance","process","version","state","key","waiting":[...],
 * "variables":{},"parent","children":[],"incident"}. BPMN_ENOTFOUND when unknown. */
BPMN_API int bpmn_instance_show(bpmn_engine *e, const char *instance, char **json_out);
/* Instances, filtered by process id and state when not NULL, oldest first: a JSON array of the
 * show objects. */
BPMN_API int bpmn_instance_list(bpmn_engine *e, const char *process, const char *state,
                                char **json_out);

/* The consumer of a streamed list: called with each item as one line of JSON (valid during the
 * call only). It runs inside the list's read transaction and must not call the engine. It
 * returns 0 to go on; anything else stops the list, which then fails with BPMN_EINVAL. */
typedef int (*bpmn_each_fn)(void *ud, const char *json);

/* bpmn_instance_list() streamed, one page of it: skips the first offset matching instances and
 * passes at most limit (0: no limit) to fn, oldest first, each as the show object. Memory stays
 * flat for any number of instances; a page costs O(offset + limit) instance reads. */
BPMN_API int bpmn_instance_each(bpmn_engine *e, const char *process, const char *state,
                                size_t offset, size_t limit, bpmn_each_fn fn, void *ud);

/* Who acts on a task: a user and that user's groups (comma-separated, may be NULL). Calls that
 * take a NULL actor act as the operator, who may do anything. */
typedef struct bpmn_actor {
    const char *user;
    const char *groups;
} bpmn_actor;

/* bpmn_instance_start() by a user: the instance_started event records actor->user (NULL
 * actor: as bpmn_instance_start), which is how "the instances a user started" are known (the
 * server's read-own and work-own grants). */
BPMN_API int bpmn_instance_start_as(bpmn_engine *e, const char *process, unsigned version,
                                    const char *vars_json, const char *business_key,
                                    const bpmn_actor *actor, char **json_out);

/* Which open tasks to list. Zero-initialise, set what you need. Lists are sorted by due date
 * (tasks without one last), then by creation. */
typedef struct bpmn_task_filter {
    const char *instance;
    const char *process;
    const char *assignee;        /* tasks assigned to this user */
    const char *candidate_user;  /* unassigned tasks this user may claim */
    const char *candidate_group; /* unassigned tasks this group may claim */
    const bpmn_actor *worklist;  /* assigned to the user, or claimable by the user or groups */
    int overdue;                 /* only tasks whose due date is before the engine's now */
    size_t offset, limit;        /* limit 0: no limit */
} bpmn_task_filter;

/* Open user tasks: [{"id","instance","process","element","name","assignee","candidateUsers",
 * "candidateGroups","due","followUp","priority","formKey","created"}]. Filters by assignee,
 * candidate user, candidate group and work list read indexes: a page costs O(log n + k). */
BPMN_API int bpmn_task_query(bpmn_engine *e, const bpmn_task_filter *f, char **json_out);
/* The same, filtered by instance, assignee and candidate group when not NULL. */
BPMN_API int bpmn_task_list(bpmn_engine *e, const char *instance, const char *assignee,
                            const char *group, char **json_out);
/* bpmn_task_query() streamed: each task object of the page (f->offset, f->limit) goes to fn, in
 * the same order, in bounded memory. */
BPMN_API int bpmn_task_each(bpmn_engine *e, const bpmn_task_filter *f, bpmn_each_fn fn,
                            void *ud);
/* Claims a task for actor->user, which must be allowed to (BPMN_EDENIED otherwise, naming
 * why). Claiming a task one already holds is a no-op. *json_out: the task. */
BPMN_API int bpmn_task_claim(bpmn_engine *e, const char *task, const bpmn_actor *actor,
                             char **json_out);
/* Releases a task: the assignee, or the operator (actor NULL), may. *json_out: the task. */
BPMN_API int bpmn_task_unclaim(bpmn_engine *e, const char *task, const bpmn_actor *actor,
                               char **json_out);
/* Completes a task with variables (a JSON object or NULL) and runs the instance on. The actor
 * must be the assignee, or, when there is none, a candidate user or a member of a candidate
 * group; NULL is the operator. Variables are checked against the task's form (required fields,
 * types, allowed values): BPMN_EINVAL lists every problem. *json_out:
 * {"task","instance","state"}. BPMN_ENOTFOUND for an unknown or finished task. */
BPMN_API int bpmn_task_complete_as(bpmn_engine *e, const char *task, const bpmn_actor *actor,
                                   const char *vars_json, char **json_out);
/* A user task ends in a BPMN error instead of completing (Camunda's handleBpmnError for tasks):
 * actor must be allowed to complete it (as bpmn_task_complete_as); vars_json (may be NULL) are
 * set first, then error_code (required, else BPMN_EINVAL) is thrown at the task: an error
 * boundary event of the task or of an enclosing sub-process catches it and the instance takes
 * its path; else the instance raises an incident. The task's form is not asked for. *json_out:
 * {"task","instance","state"}. */
BPMN_API int bpmn_task_error(bpmn_engine *e, const char *task, const bpmn_actor *actor,
                             const char *error_code, const char *error_message,
                             const char *vars_json, char **json_out);
/* bpmn_task_complete_as() by the operator. */
BPMN_API int bpmn_task_complete(bpmn_engine *e, const char *task, const char *vars_json,
                                char **json_out);

/* Jobs of service, send and business-rule tasks waiting for a worker, filtered by type when
 * not NULL: [{"id","instance","element","type","retries"}]. */
BPMN_API int bpmn_job_list(bpmn_engine *e, const char *type, char **json_out);
/* bpmn_job_list() streamed, one page of it: skips the first offset matching jobs and passes at
 * most limit (0: no limit) to fn, in id order, in bounded memory. */
BPMN_API int bpmn_job_each(bpmn_engine *e, const char *type, size_t offset, size_t limit,
                           bpmn_each_fn fn, void *ud);
/* Completes a job with variables and runs the instance on, whichever worker holds its lock
 * (bpmn_job_complete_by() checks the worker). *json_out: {"job","instance","state"}. */
BPMN_API int bpmn_job_complete(bpmn_engine *e, const char *job, const char *vars_json,
                               char **json_out);
/* Reports a failed job. With error_code, a BPMN error is thrown at the task (caught by an error
 * boundary event of the task or of an enclosing sub-process, else an incident). Otherwise the job
 * keeps retries - 1 (or retries when >= 0) attempts; at 0 the instance raises an incident. No
 * worker is checked: bpmn_job_fail_by() and bpmn_job_bpmn_error_by() are the same by a worker. */
BPMN_API int bpmn_job_fail(bpmn_engine *e, const char *job, const char *message, int retries,
                           const char *error_code, char **json_out);

/* ------------------------------------------------------------------------------------------
 * External workers (Camunda 7's external tasks). A job is fetched and locked by a worker for a
 * while (bpmn_job_fetch_and_lock); while the lock holds, no other worker fetches it, and the
 * calls below that name a worker refuse (BPMN_ESTATE) unless it is the worker holding the lock.
 * A lock that expired is no lock: the job may be fetched again, by any worker, which takes it
 * over. A job's id is its external task id; its type is the topic. Its priority is the
 * camunda:taskPriority of its element (0 without one). Times are ms since the epoch by the
 * engine clock, printed as Camunda does: "2026-01-01T10:00:00.000+0000".
 * ------------------------------------------------------------------------------------------ */

/*
 * Fetches and locks jobs for a worker, in one write transaction. request_json is Camunda's
 * fetchAndLock body: {"workerId","maxTasks","usePriority","topics":[{"topicName","lockDuration",
 * "variables":[names]|null,"localVariables","processDefinitionKey","processDefinitionKeyIn",
 * "processDefinitionId","processDefinitionIdIn","businessKey","processVariables":{name:value}}]}
 * (other members are ignored; maxTasks defaults to 1). A job is fetched when its type is a
 * topic's name and it matches that topic's filters, it is not locked (or its lock expired), it
 * has retries left, the retry timeout of its last failure has passed, and its instance is not
 * suspended; highest priority first when usePriority, then oldest (lowest id) first; at most
 * maxTasks of them. Each is locked for the worker until now + the topic's lockDuration.
 * *json_out: a JSON array (possibly []) of Camunda's LockedExternalTask objects:
 * {"activityId","activityInstanceId","errorMessage","errorDetails","executionId","id",
 * "lockExpirationTime","processDefinitionId","processDefinitionKey",
 * "processDefinitionVersionTag":null,"processInstanceId","tenantId":null,"retries" (null when
 * the job never failed),"workerId","priority","topicName","businessKey","variables"} where
 * processDefinitionId is "PROCESS:VERSION", executionId "INSTANCE:TOKEN", activityInstanceId
 * "ELEMENT:INSTANCE:TOKEN", and variables (those visible at the task; only the named ones when
 * the topic lists names; only the task's local ones with localVariables) are typed as Camunda
 * does: {name:{"value","type","valueInfo":{}}} with type String, Boolean, Integer (an integral
 * number in int32 range), Long (other integral numbers), Double, Null, or Json for objects and
 * arrays, whose value is then the JSON text as a string. BPMN_EINVAL, naming the member, when
 * workerId, topics, a topicName or a lockDuration (> 0) is missing or of the wrong type, or
 * maxTasks is negative. The caller frees *json_out with bpmn_free().
 */
BPMN_API int bpmn_job_fetch_and_lock(bpmn_engine *e, const char *request_json, char **json_out);
/* Whether bpmn_job_fetch_and_lock() with this request would fetch at least one job now:
 * *available is 1 or 0. A read-only check (no lock taken) for a server's long polling; the same
 * errors for a malformed request. */
BPMN_API int bpmn_job_available(bpmn_engine *e, const char *request_json, int *available);
/* Extends the lock of a job the worker holds to now + duration_ms (> 0, else BPMN_EINVAL).
 * BPMN_ESTATE, changing nothing, when the job is not locked ("... It is not locked by any
 * worker."), another worker holds it ("External Task 5 cannot be extended by worker 'w2'. It is
 * locked by worker 'w1'.") or the lock expired ("Cannot extend a lock that expired: ...");
 * BPMN_ENOTFOUND for an unknown job. */
BPMN_API int bpmn_job_extend_lock(bpmn_engine *e, const char *job, const char *worker,
                                  long long duration_ms);
/* Releases the lock of a job, whoever holds it (an expired lock too): it may be fetched at once,
 * the retry timeout of a failure cleared as well. BPMN_ESTATE when it is neither locked nor
 * waiting out a retry timeout; BPMN_ENOTFOUND for an unknown job. */
BPMN_API int bpmn_job_unlock(bpmn_engine *e, const char *job);
/* bpmn_job_complete() by a worker: worker (NULL: no check) must hold the job's lock, even if it
 * expired, as long as no other worker took it over; else BPMN_ESTATE ("External Task 5 cannot be
 * completed by worker 'w2'. It is locked by worker 'w1'.") and nothing changes. vars_json are
 * set as process variables (where a variable of the name is found, else in the process), then
 * local_vars_json in the task's own scope (its local variables when it has input/output
 * mappings, else the scope it runs in); either may be NULL. *json_out: {"job","instance",
 * "state"}. */
BPMN_API int bpmn_job_complete_by(bpmn_engine *e, const char *job, const char *worker,
                                  const char *vars_json, const char *local_vars_json,
                                  char **json_out);
/* bpmn_job_fail() without an error code, by a worker (checked as bpmn_job_complete_by() does):
 * the job keeps retries attempts (retries < 0: one fewer than it had), records message as its
 * errorMessage and details (NULL: the earlier details stay) as its errorDetails, and is
 * unlocked; with retry_timeout_ms > 0 it is fetched again only from now + retry_timeout_ms
 * (negative: BPMN_EINVAL). At 0 retries the instance raises an incident at the task (bpmn_instance_retry()
 * gives the job one retry). *json_out: {"job","instance","state"}. */
BPMN_API int bpmn_job_fail_by(bpmn_engine *e, const char *job, const char *worker,
                              const char *message, const char *details, int retries,
                              long long retry_timeout_ms, char **json_out);
/* A worker (checked as bpmn_job_complete_by() does; NULL: none) throws a BPMN error with
 * error_code (required, else BPMN_EINVAL) and error_message (may be NULL) at the job's task,
 * after setting vars_json (may be NULL) as bpmn_job_complete_by() does: an error boundary event
 * of the task or of an enclosing sub-process catches it and the instance takes its path; else
 * the instance raises an incident. The job is gone either way. *json_out: {"job","instance",
 * "state"}. */
BPMN_API int bpmn_job_bpmn_error_by(bpmn_engine *e, const char *job, const char *worker,
                                    const char *error_code, const char *error_message,
                                    const char *vars_json, char **json_out);
/*
 * Jobs as Camunda's ExternalTask objects, in id order, streamed to fn one page at a time
 * (skipping offset, at most limit; 0: no limit): {"id","activityId","activityInstanceId",
 * "errorMessage","errorDetails","executionId","lockExpirationTime" (null when not locked),
 * "processDefinitionId","processDefinitionKey","processInstanceId","retries","suspended",
 * "workerId","topicName","priority","businessKey","tenantId":null}, ids as in
 * bpmn_job_fetch_and_lock(). filter_json is NULL or a JSON object of Camunda's query members:
 * "externalTaskId", "topicName", "workerId", "locked" and "notLocked" (true: only jobs whose
 * lock holds now / does not), "withRetriesLeft" and "noRetriesLeft" (true), "processInstanceId",
 * "processDefinitionKey", "processDefinitionId", "activityId"; others are ignored, a member of
 * the wrong type is BPMN_EINVAL naming it. To count, pass a callback that counts (limit 0).
 */
BPMN_API int bpmn_external_task_each(bpmn_engine *e, const char *filter_json, size_t offset,
                                     size_t limit, bpmn_each_fn fn, void *ud);

/* In-process job workers. A handler registered for a job type runs inside the operation that
 * reaches a task of that type, instead of the job waiting for an external worker. It receives
 * the job and the variables visible at the task, and answers through the result:
 * bpmn_job_result_vars() to complete with variables, bpmn_job_result_error() to throw a BPMN
 * error (caught by error boundary events). Returning a non-zero status fails the job: it is then
 * stored as an ordinary job with one retry fewer (an incident at 0) for an external worker or a
 * later retry. A handler must not call the engine. Strings in job are valid during the call. */
typedef struct bpmn_job_info {
    const char *id, *instance, *element, *type;
    const char *variables; /* a JSON object */
    unsigned retries;
} bpmn_job_info;

typedef struct bpmn_job_result bpmn_job_result;
typedef int (*bpmn_job_handler)(void *ud, const bpmn_job_info *job, bpmn_job_result *result);

/* Registers fn for a job type (replacing an earlier one); fn NULL removes it. */
BPMN_API int bpmn_job_handler_set(bpmn_engine *e, const char *type, bpmn_job_handler fn, void *ud);
/* Sets the variables the job completes with (a JSON object; copied). BPMN_EINVAL when it is not
 * a JSON object. */
BPMN_API int bpmn_job_result_vars(bpmn_job_result *r, const char *vars_json);
/* Makes the job throw a BPMN error with this code (and an optional message); copied. */
BPMN_API int bpmn_job_result_error(bpmn_job_result *r, const char *code, const char *message);

/* Managing running instances. Each returns the instance's show object in *json_out.
 * cancel: the instance (and its child instances) ends as "terminated".
 * suspend/resume: a suspended instance fires no timers and accepts no completion or message;
 *   those calls are refused with BPMN_ESTATE and say so.
 * set_vars: merges a JSON object into the process variables (to fix the cause of an incident).
 * retry: an instance in "incident" runs the element of the incident again (a job gets one retry).
 * migrate: moves the instance to another version of its process when every element it waits at
 *   exists there (same id, or as mapped by "old=new,old2=new2"); otherwise BPMN_ESTATE naming each
 *   element without a counterpart.
 * A finished instance (completed or terminated) is not changed by any of them: BPMN_ESTATE, and
 * no history event is recorded. set_vars takes the variables as bpmn_instance_start() does
 * (BPMN_EINVAL for malformed ones, duplicate keys included). */
BPMN_API int bpmn_instance_cancel(bpmn_engine *e, const char *instance, char **json_out);
/* Cancel, recording who did it in the instance_terminated event (user may be NULL). */
BPMN_API int bpmn_instance_cancel_by(bpmn_engine *e, const char *instance, const char *user,
                                     char **json_out);
BPMN_API int bpmn_instance_suspend(bpmn_engine *e, const char *instance, char **json_out);
BPMN_API int bpmn_instance_resume(bpmn_engine *e, const char *instance, char **json_out);
BPMN_API int bpmn_instance_set_vars(bpmn_engine *e, const char *instance, const char *vars_json,
                                    char **json_out);
BPMN_API int bpmn_instance_retry(bpmn_engine *e, const char *instance, char **json_out);
BPMN_API int bpmn_instance_migrate(bpmn_engine *e, const char *instance, unsigned version,
                                   const char *map, char **json_out);
/* The same operations by an acting user: actor->user is recorded as the "user" of the history
 * event each writes (instance_terminated, instance_suspended, instance_resumed,
 * variables_updated, incident_resolved, instance_migrated). Managing instances is an operator's
 * work: the actor is recorded, not checked, and its groups are not used. actor NULL (or without
 * a user) is the anonymous operator, as in the functions above, which call these with NULL. */
BPMN_API int bpmn_instance_cancel_as(bpmn_engine *e, const char *instance,
                                     const bpmn_actor *actor, char **json_out);
BPMN_API int bpmn_instance_suspend_as(bpmn_engine *e, const char *instance,
                                      const bpmn_actor *actor, char **json_out);
BPMN_API int bpmn_instance_resume_as(bpmn_engine *e, const char *instance,
                                     const bpmn_actor *actor, char **json_out);
BPMN_API int bpmn_instance_set_vars_as(bpmn_engine *e, const char *instance,
                                       const bpmn_actor *actor, const char *vars_json,
                                       char **json_out);
BPMN_API int bpmn_instance_retry_as(bpmn_engine *e, const char *instance,
                                    const bpmn_actor *actor, char **json_out);
BPMN_API int bpmn_instance_migrate_as(bpmn_engine *e, const char *instance,
                                      const bpmn_actor *actor, unsigned version,
                                      const char *map, char **json_out);
/* Deployed processes: [{"process","version","name","active"}], active counting running instances
 * (active, incident) of that version. */
BPMN_API int bpmn_definitions(bpmn_engine *e, char **json_out);
/* Running instances of a process (version 0: every version) and, for one version, where they
 * wait: {"instances","incidents","elements":[{"element","instances","incidents"}]}, elements
 * listed when at least one token waits there or an incident stands there. With process NULL:
 * the same totals over every process, and "processes":[{"process","version","instances",
 * "incidents","waiting"}] (waiting: tokens) for each version with running instances. One pass
 * over the instance records reading only their headers and tokens (no variables), for a
 * cockpit's diagram and counts. */
BPMN_API int bpmn_process_statistics(bpmn_engine *e, const char *process, unsigned version,
                                     char **json_out);
/* bpmn_definitions() without "active": no instance is read, so it costs the same on a store of
 * any size: [{"process","version","name"}]. */
BPMN_API int bpmn_definition_list(bpmn_engine *e, char **json_out);
/* The source document of a deployed version, byte for byte as it was deployed (version 0: the
 * latest). *xml_out (freed with bpmn_free) is NUL-terminated; *len excludes the NUL. */
BPMN_API int bpmn_definition_xml(bpmn_engine *e, const char *process, unsigned version,
                                 char **xml_out, size_t *len);

/* Fires every timer due at the engine's now, in due-time order, each firing with its
 * consequences in one transaction. *json_out: {"fired":N}. */
BPMN_API int bpmn_tick(bpmn_engine *e, char **json_out);
/* Like bpmn_tick() but fires at most max timers (0: no limit); inside a batch, the firings share
 * the batch's transaction (a scheduler catching up on many timers). */
BPMN_API int bpmn_tick_max(bpmn_engine *e, unsigned max, char **json_out);
/* The due time (ms since the epoch) of the earliest timer; BPMN_ENOTFOUND when none. */
BPMN_API int bpmn_next_timer(bpmn_engine *e, long long *due);
/* Delivers a message to one waiting subscription with this name and correlation key (key NULL
 * reaches subscriptions without a key), or else starts an instance at a message start event.
 * *json_out: {"instance":ID}. BPMN_ENOTFOUND, changing nothing, when nothing waits for it. */
BPMN_API int bpmn_correlate(bpmn_engine *e, const char *message, const char *key,
                            const char *vars_json, char **json_out);
/* Broadcasts a signal to every waiting catch event, boundary event and signal start event.
 * *json_out: {"delivered":N}. */
BPMN_API int bpmn_signal(bpmn_engine *e, const char *signal, const char *vars_json,
                         char **json_out);

/* Hears every message a process throws (intermediate throw and end events) with its name,
 * correlation key and the process variables as JSON, inside the operation that throws it; the
 * message also reaches a subscription waiting for it. fn NULL removes the handler. A handler
 * must not call the engine. */
typedef void (*bpmn_message_handler)(void *ud, const char *message, const char *key,
                                     const char *vars_json);
BPMN_API int bpmn_message_handler_set(bpmn_engine *e, bpmn_message_handler fn, void *ud);

/* Recorded events, oldest first, of one instance or of all (instance NULL), as a JSON array of
 * {"seq","time","instance","process","version","type","element","elementType","name","user",
 * "task","variables"}. */
BPMN_API int bpmn_history(bpmn_engine *e, const char *instance, char **json_out);

/* Streams recorded events with seq > since (of one instance, or all when instance is NULL),
 * oldest first, calling fn with each event as one line of JSON (the object of bpmn_history, plus
 * "key", the business key). Reads with a cursor: memory stays flat for any length of history.
 * fn returns 0 to go on; anything else stops with BPMN_EINVAL. Re-running with the last seq seen
 * as since gives exactly the newer events. */
BPMN_API int bpmn_history_each(bpmn_engine *e, const char *instance, unsigned long long since,
                               int (*fn)(void *ud, const char *json), void *ud);
/* bpmn_history_each(), one page of it: of the events with seq > since (of one instance, or all),
 * skips the first offset and passes at most limit (0: no limit) to fn. Skipped events are still
 * read: to walk a long history page by page, prefer since = the last seq seen, which seeks. */
BPMN_API int bpmn_history_page(bpmn_engine *e, const char *instance, unsigned long long since,
                               size_t offset, size_t limit, bpmn_each_fn fn, void *ud);

/* Deletes finished instances (completed or terminated before completed_before, ms since the
 * epoch; of one process when process is not NULL) and their history, in bounded transactions.
 * Running instances are never touched. *json_out: {"purged":N}. History seq numbers of the
 * purged events are gone for good; the others keep theirs. */
BPMN_API int bpmn_purge(bpmn_engine *e, long long completed_before, const char *process,
                        char **json_out);

/* The funnel of a process, from history: for each stage (a node where instances wait), in
 * diagram order: {"process":P,"stages":[{"element","name","waiting","entered","completed",
 * "avgMs","medianMs"}]}; stages of all versions are added up by element id. */
BPMN_API int bpmn_report_funnel(bpmn_engine *e, const char *process, char **json_out);
/* The funnel split by the value a variable had when each instance started (a region, a
 * manager, a segment): {"process","groupBy","stages":[{"element","name","groups":[{"value",
 * "waiting","entered","completed","avgMs","medianMs"}]}]}; "(none)" when it was not set. */
BPMN_API int bpmn_report_funnel_by(bpmn_engine *e, const char *process, const char *group_by,
                                   char **json_out);
/* Instance durations per process and version (all processes when process is NULL):
 * [{"process","version","started","completed","terminated","incidents","open","minMs",
 * "medianMs","p90Ms","maxMs"}], durations of completed instances. */
BPMN_API int bpmn_report_durations(bpmn_engine *e, const char *process, char **json_out);
/* Each performer's record: per assignee and per candidate group, tasks created and completed
 * (completed late) in [from, to) (ms; to 0: no end), open and overdue now, median and 90th
 * percentile of the time to complete: {"assignees":[{"user",...}],"groups":[{"group",...}]} with
 * "created","completed","completedLate","open","overdue","medianMs","p90Ms". */
BPMN_API int bpmn_report_tasks(bpmn_engine *e, const char *process, long long from, long long to,
                               char **json_out);

/* Purges, for every process whose latest version sets camunda:historyTimeToLive (days, or an
 * ISO 8601 duration), the instances that finished longer ago than that. `serve` runs it at start
 * and every hour. *purged (may be NULL) receives how many went. */
BPMN_API int bpmn_purge_expired(bpmn_engine *e, unsigned long long *purged);

/* Batch mode: the operations between bpmn_batch_begin() and bpmn_batch_commit() share one
 * write transaction (bulk imports, schedulers). A failed operation inside a batch aborts the
 * whole batch (the store stays as it was before bpmn_batch_begin()); bpmn_batch_abort() drops it
 * on purpose. Reads inside a batch see the batch's own writes. The batch holds the store's write
 * lock from bpmn_batch_begin() to its end: other writers, in any thread or process, wait. A
 * batch cannot grow the map while it is open: one that runs out of room fails with BPMN_EFULL,
 * is aborted, and the map grows, so that running the batch again fits (up to map_max). */
BPMN_API int bpmn_batch_begin(bpmn_engine *e);
BPMN_API int bpmn_batch_commit(bpmn_engine *e);
BPMN_API void bpmn_batch_abort(bpmn_engine *e);

/* ------------------------------------------------------------------------------------------
 * Users and grants of the server.
 *
 * The users who may log in to the HTTP server, their passwords and what they may do are kept
 * in the store, so that every process serving it sees the same. The engine's own operations do
 * not look at them: a program calling the functions above acts as the operator. The server
 * authenticates with bpmn_user_verify() and authorizes with bpmn_user_may().
 *
 * Names of users and groups are 1 to 64 characters of A-Z a-z 0-9 . _ @ -. A password is at
 * least 8 and at most 4096 bytes; it is stored only as an Argon2id hash (libsodium's
 * crypto_pwhash_str, opslimit and memlimit INTERACTIVE: 2 passes over 64 MiB, about 0.1 s of
 * one core to hash or verify). Hashing takes those 64 MiB from the C library, not from the
 * allocator hook, and runs before the write transaction begins, so no other writer waits for it.
 *
 * A right is start, read, work, admin, read-own or work-own; it is granted to a group ("GROUP")
 * or one user ("user:NAME") on a process id or on "*", every process. admin on a process implies
 * every right on it, work implies read, work-own implies read-own, and a right implies its -own
 * form. An admin user may do everything, whatever the grants.
 * ------------------------------------------------------------------------------------------ */

/* Adds a user with a password, groups (comma-separated, may be NULL or "") and the admin flag.
 * BPMN_ESTATE when the user exists; BPMN_EINVAL, naming the problem, for a bad name, group or
 * password. */
BPMN_API int bpmn_user_add(bpmn_engine *e, const char *name, const char *password,
                           const char *groups_csv, int admin);
/* Sets a user's password (and clears its failed logins). BPMN_ENOTFOUND for an unknown user. */
BPMN_API int bpmn_user_passwd(bpmn_engine *e, const char *name, const char *password);
/* Removes a user and every grant to "user:NAME". BPMN_ENOTFOUND for an unknown user. */
BPMN_API int bpmn_user_remove(bpmn_engine *e, const char *name);
/* The users, by name: [{"name","groups":[...],"admin":bool}]. */
BPMN_API int bpmn_users(bpmn_engine *e, char **json_out);
/* How many users there are. */
BPMN_API int bpmn_user_count(bpmn_engine *e, unsigned long *n);
/*
 * Checks a user's password. BPMN_OK with *json_out {"name","groups":[...],"admin":bool}, or
 * BPMN_EDENIED with the message "wrong user name or password", the same message and about the
 * same time whether the user exists or not (an unknown name is checked against a dummy hash).
 * Every refusal writes once to the store: the user's count of failed logins in a row and the
 * time of the last, or a counter of failures for unknown names. After 5 failures in a row, a
 * user's password is checked again only once 2^(failures - 5) seconds (at most 15 minutes) have
 * passed since the last failure, by the engine's clock; until then even the right password is
 * refused the same way, and such refusals do not count. A success clears the count. So the
 * limit holds across handles and processes; it does not slow down guessing across many names,
 * which the server must limit by client address.
 */
BPMN_API int bpmn_user_verify(bpmn_engine *e, const char *name, const char *password,
                              char **json_out);

/* Grants a right (see above) to who ("GROUP" or "user:NAME", the user must exist) on process
 * (an id of 1 to 255 bytes without spaces or control characters, or "*"). Granting a grant that
 * exists is a success that changes nothing. BPMN_EINVAL naming a bad argument. */
BPMN_API int bpmn_grant(bpmn_engine *e, const char *who, const char *right, const char *process);
/* Takes a grant back. BPMN_ENOTFOUND when there is no such grant. */
BPMN_API int bpmn_revoke(bpmn_engine *e, const char *who, const char *right, const char *process);
/* Every grant, ordered by who, right and process: [{"who","right","process"}]. */
BPMN_API int bpmn_grants(bpmn_engine *e, char **json_out);
/*
 * The one authorization check: may user exercise right on process (an id; "*" asks about grants
 * on every process)? *allowed is 1 or 0. *own_only (may be NULL) is 1 when only a read-own or
 * work-own grant allows it: the caller then limits the user to the instances the user started
 * or holds or held a task in. Grants to the user and to each of the user's groups count.
 * BPMN_ENOTFOUND for an unknown user (*allowed 0), BPMN_EINVAL for an unknown right.
 */
BPMN_API int bpmn_user_may(bpmn_engine *e, const char *user, const char *right,
                           const char *process, int *allowed, int *own_only);

#ifdef __cplusplus
}
#endif
#endif /* BPMNRT_H */
