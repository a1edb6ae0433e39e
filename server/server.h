/*
 * server.h - what the files of the HTTP server share: a parsed request, an answer, the route
 * table, and the helpers every resource file uses. The server is a thin face on the public API
 * (include/bpmnrt.h) like the command line: routing, request parsing, authentication and answers
 * live here, behaviour in the engine.
 *
 * One connection is served by one thread (libmicrohttpd's thread-per-connection mode), and each
 * thread has its own engine handle on the store, as the public API asks.
 */
#ifndef BPMNRT_SERVER_H
#define BPMNRT_SERVER_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "bpmnrt.h"
#include "server/commit.h"

typedef struct sv_server sv_server;

/* Options of bpmnrt serve --http. */
typedef struct sv_options {
    const char *host;          /* address to listen on; NULL: 127.0.0.1 */
    unsigned port;             /* 0: any free port (sv_port tells which) */
    const char *tls_cert, *tls_key; /* PEM files: HTTPS when both are given */
    int no_auth;               /* 1: no credentials asked (a warning is printed) */
    size_t max_body;           /* 0: 16 MiB */
    size_t max_deploy_body;    /* 0: 64 MiB */
    unsigned max_connections;  /* 0: 256 */
    unsigned timeout_s;        /* idle connection timeout; 0: 30 s */
    bpmn_engine_options engine; /* what each thread's engine handle is opened with */
    const char *web_dir;       /* the web app's built files served at /; NULL: web/dist of the
                                * source tree the binary was built from */
} sv_options;

/* Starts serving in background threads. On failure returns NULL with the reason in err. */
sv_server *sv_start(const sv_options *o, char *err, size_t errcap);
unsigned sv_port(const sv_server *s);
/* Stops accepting, lets requests in flight finish, closes every handle. NULL is a no-op. */
void sv_stop(sv_server *s);
/* Wakes long-polling requests (a job may have become available). */
void sv_notify(sv_server *s);
/* The notification count, and waiting for it to change: returns when sv_notify was called
 * since *generation was read, after at most half a second (other processes' changes are seen
 * by looking again), or at deadline (CLOCK_MONOTONIC ms); -1 when the server is stopping. */
unsigned long sv_generation(sv_server *s);
int sv_wait(sv_server *s, unsigned long *generation, long long deadline_ms);
long long sv_mono_ms(void);
/* The path of the store the server serves. */
const char *sv_store_path(const sv_server *s);
/* The web app's folder (sv_options.web_dir); NULL when not given. */
const char *sv_web_dir(const sv_server *s);
/* Group commits made and write operations run since the server started. */
void sv_commit_stats(sv_server *s, unsigned long *commits, unsigned long *ops);

/* ---- what a handler sees and answers -------------------------------------------------------- */

#define SV_MAX_PARAMS 4

/* The authenticated user: name, groups and whether an admin (all rights). With --no-auth the
 * user is an admin named "anonymous". */
typedef struct sv_user {
    char name[72];
    char groups[512]; /* comma separated */
    int admin;
} sv_user;

typedef struct sv_request {
    const char *method;             /* GET, POST, PUT, DELETE */
    const char *url;                /* the whole path, decoded */
    const char *params[SV_MAX_PARAMS]; /* the {name} parts of the route, in order */
    const char *body;               /* NUL-terminated; "" when none */
    size_t body_len;
    const char *content_type;       /* NULL when not given */
    const sv_user *user;
    bpmn_engine *e;                 /* this thread's engine */
    bpmn_engine *auth_e;            /* this thread's second engine, for sv_may and sv_owns */
    sv_server *srv;
    void *conn;                     /* the libmicrohttpd connection (query arguments) */
    char errbuf[1024];              /* the message of a failed sv_write, for sv_fail */
} sv_request;

/* An answer: a status and a body, or a stream (body NULL, stream set). */
typedef struct sv_answer {
    int status;
    char *body;                /* malloc'd */
    size_t len;
    const char *content_type;  /* static; NULL: application/json */
    /* Streaming: called until it returns 0 (end) or -1 (error), writing at most cap bytes. */
    long (*stream)(void *ud, char *buf, size_t cap);
    void (*stream_free)(void *ud);
    void *stream_ud;
} sv_answer;

typedef int (*sv_handler)(sv_request *r, sv_answer *a);

typedef struct sv_route {
    const char *method;
    const char *pattern; /* "/engine-rest/task/{id}/claim" */
    sv_handler fn;
    int public_;         /* 1: no credentials needed */
} sv_route;

/* The route tables of the resource files (NULL-terminated), joined by http.c. */
extern const sv_route sv_routes_deployments[]; /* version, deployments */
extern const sv_route sv_routes_definitions[]; /* process definitions */
extern const sv_route sv_routes_instances[];   /* process instances, messages, signals, incidents */
extern const sv_route sv_routes_tasks[];       /* user tasks */
extern const sv_route sv_routes_external[];    /* external tasks */
extern const sv_route sv_routes_history[];     /* history */
extern const sv_route sv_routes_api[];         /* bpmnrt's own /api */
extern const sv_route sv_routes_web[];         /* the web app's files at / (web.c) */

/* Every change to the store goes through here (group commit, commit.c): fn runs on the writer
 * thread's engine in a shared batch, and this returns once the commit holding it is durable;
 * its status (the message for sv_fail kept in r). Long polls are woken afterwards. */
int sv_write(sv_request *r, sv_write_fn fn, void *ud, char **json_out);
/* sv_write for an operation that answers nothing: 204 when it committed, sv_fail otherwise. */
int sv_write_no_content(sv_request *r, sv_answer *a, sv_write_fn fn, void *ud);

/* ---- answers (answer.c): the one place a status becomes an HTTP answer ---------------------- */

/* A JSON answer; takes j (deleted here). 500 when j is NULL (out of memory). */
int sv_json(sv_answer *a, int status, cJSON *j);
/* A JSON answer from text the engine made (takes it; freed with bpmn_free via r->e). */
int sv_engine_json(sv_answer *a, const sv_request *r, int status, char *json);
/* 204 No Content. */
int sv_no_content(sv_answer *a);
/* Camunda's error body {"type":TYPE,"message":...}. */
int sv_error(sv_answer *a, int status, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The answer for a failed engine call: the status maps to 400 (invalid), 404 (not found), 403
 * (denied), 409/500 ..., the message is bpmn_engine_errmsg. */
int sv_fail(sv_answer *a, const sv_request *r, int rc);
/* The message of the last failed call: sv_write's, else the engine's (may be empty). */
const char *sv_errmsg(const sv_request *r);
/* The string member k of o, or NULL when absent or not a string. */
const char *sv_str(const cJSON *o, const char *k);

/* ---- requests (request.c) ------------------------------------------------------------------- */

/* A query argument, or NULL. */
const char *sv_arg(const sv_request *r, const char *name);
/* The body parsed as JSON (an object or array as required); NULL with a 400 in a when it is not
 * valid JSON, has duplicate keys or is not the shape asked for. An empty body gives an empty
 * object when empty_ok. */
cJSON *sv_body_object(const sv_request *r, sv_answer *a, int empty_ok);
/* Integer query arguments: 0 when absent; -1 with a 400 in a when not a number in range. */
int sv_arg_uint(const sv_request *r, sv_answer *a, const char *name, unsigned long max,
                unsigned long *out);
/* true/false query arguments: -1 absent, 0, 1; -2 with a 400 in a when something else. */
int sv_arg_bool(const sv_request *r, sv_answer *a, const char *name);

/* ---- authorization (http.c) ----------------------------------------------------------------- */

/* Whether the user may RIGHT (start, read, work, admin) on process (an id, or NULL for "any").
 * *own_only (may be NULL) is set when only a read-own/work-own grant allows it. */
int sv_may(const sv_request *r, const char *right, const char *process, int *own_only);
/* Whether the instance is the user's own: they started it, acted on it (history names them) or
 * hold one of its tasks; what read-own and work-own grants cover. */
int sv_owns(const sv_request *r, const char *instance);
/* 403 with Camunda's AuthorizationException body. */
int sv_forbidden(sv_answer *a, const sv_request *r, const char *right, const char *process);

/* ---- typed variables (variables.c): the one place Camunda's typed values are mapped --------- */

/* {"name":{"value":..,"type":..,"valueInfo":{}}} into the engine's plain JSON object (a new
 * object); NULL with a 400 in a for an unknown type or a value that does not fit its type. A
 * NULL or absent input gives an empty object. */
cJSON *sv_vars_in(const cJSON *typed, sv_answer *a);
/* One typed value into a plain one; NULL with a 400 in a. */
cJSON *sv_value_in(const char *name, const cJSON *typed, sv_answer *a);
/* A plain JSON value as Camunda's typed value {"value","type","valueInfo"} (a new object). */
cJSON *sv_value_out(const cJSON *v);
/* A plain JSON object of variables as typed values (a new object); only the names in the
 * comma-separated list when names is not NULL. */
cJSON *sv_vars_out(const cJSON *plain, const char *names);

/* ---- multipart/form-data (multipart.c) ------------------------------------------------------ */

typedef struct sv_part {
    char name[128];
    char filename[256]; /* "" when the part is not a file */
    const char *data;   /* into the body; not NUL-terminated */
    size_t len;
} sv_part;

/* Splits a multipart/form-data body (boundary from the content type) into at most max parts.
 * Returns the number of parts, or -1 with the reason in err. */
int sv_multipart(const char *content_type, const char *body, size_t len, sv_part *parts,
                 size_t max, char *err, size_t errcap);

/* ---- shapes shared by the resources -------------------------------------------------------- */

/* A Camunda ProcessDefinition for one stored version (deployments.c). */
cJSON *sv_definition_json(const char *key, unsigned version, const char *name, const char *resource);
/* A Camunda ProcessInstance from the engine's show object (instances.c). */
cJSON *sv_instance_json(const cJSON *show);
/* The engine's show object of an instance, parsed; NULL with the answer set (404, 403 when the
 * user may not `right` on its process) (instances.c). */
cJSON *sv_instance_get(sv_request *r, sv_answer *a, const char *id, const char *right);

/* ---- ids and times shared by the resources (ids.c) ----------------------------------------- */

/* Camunda's process definition id of a process version: "KEY:VERSION". */
void sv_definition_id(char *buf, size_t cap, const char *key, unsigned version);
/* Splits "KEY:VERSION" (a version after the last colon); 0 when it is not one. */
int sv_definition_parse(const char *id, char *key, size_t cap, unsigned *version);
/* ISO 8601 as the engine writes it ("2026-01-01T09:00:00.000Z") into Camunda's form
 * ("2026-01-01T09:00:00.000+0000"); NULL stays NULL. Returns a new cJSON string or null. */
cJSON *sv_time_out(const char *iso);

#endif
