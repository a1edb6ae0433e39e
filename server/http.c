/*
 * http.c - the HTTP server: libmicrohttpd in thread-per-connection mode, bodies read into
 * bounded buffers (413 before a byte past the limit is kept), HTTP Basic authentication against
 * the store's users, the route table, and one engine handle per thread.
 *
 * libmicrohttpd was chosen because it is a maintained, audited embedded HTTP/1.1 server in C with
 * TLS (GnuTLS), connection limits and timeouts built in, packaged by Debian; and its
 * thread-per-connection mode matches the engine's rule of one handle per thread, lets a
 * long-polling fetchAndLock simply wait, and keeps a slow client from holding anyone else.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <microhttpd.h>
#include <sodium.h>

#include "server/server.h"

#define SV_DEFAULT_BODY ((size_t)16 << 20)
#define SV_DEFAULT_DEPLOY_BODY ((size_t)64 << 20)
#define SV_CRED_CACHE 64
#define SV_CRED_TTL_MS 60000

/* A verified name and password, remembered (as a keyed hash) for a minute so that a client
 * sending credentials with every request does not pay Argon2id every time. */
typedef struct cred {
    unsigned char tag[32];
    long long until;
    sv_user user;
} cred;

struct sv_server {
    struct MHD_Daemon *d;
    sv_options o;
    char *path;
    char *cert, *key;
    pthread_key_t engine_key;
    pthread_key_t auth_key;   /* a second handle per thread, for authorization lookups */
    const sv_route **routes;
    size_t nroutes;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned long generation; /* bumped by sv_notify */
    int stopping;
    unsigned char cred_key[32];
    cred creds[SV_CRED_CACHE];
    size_t cred_next;
    unsigned failures;        /* recent failed logins, for the slow-down */
    sv_committer *committer;
    unsigned inflight;        /* requests between their first byte and their answer's end */
    long long last_failure;
};

typedef struct conn {
    char *body;
    size_t len, cap, limit;
    int too_big;
} conn;

long long sv_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void engine_free(void *p)
{
    bpmn_engine_close(p);
}

/* This thread's engine handle for key, opened on first use. */
static bpmn_engine *thread_engine(sv_server *s, pthread_key_t key, char *err, size_t errcap)
{
    bpmn_engine *e = pthread_getspecific(key);
    if (e)
        return e;
    bpmn_engine_options eo = s->o.engine;
    eo.path = s->path;
    if (bpmn_engine_open(&eo, &e, err, errcap) != BPMN_OK)
        return NULL;
    pthread_setspecific(key, e);
    return e;
}

static const sv_route *const *all_tables(void)
{
    static const sv_route *const tables[] = {
        sv_routes_deployments, sv_routes_definitions, sv_routes_instances, sv_routes_tasks,
        sv_routes_external,    sv_routes_history,     sv_routes_api,       sv_routes_web,
        NULL};
    return tables;
}

/* Matches a pattern against a path: literal segments equal, {name} segments captured (into
 * buf, NUL-separated). Returns the number of captures, or -1. */
static int match(const char *pattern, const char *path, char *buf, size_t cap,
                 const char **params)
{
    int n = 0;
    size_t off = 0;
    const char *p = pattern, *u = path;
    while (*p && *u) {
        if (*p != '/' || *u != '/')
            return -1;
        p++, u++;
        const char *pe = strchr(p, '/'), *ue = strchr(u, '/');
        size_t pl = pe ? (size_t)(pe - p) : strlen(p), ul = ue ? (size_t)(ue - u) : strlen(u);
        if (pl >= 2 && p[0] == '{') {
            if (ul == 0 || n == SV_MAX_PARAMS || off + ul + 1 > cap)
                return -1;
            memcpy(buf + off, u, ul);
            buf[off + ul] = '\0';
            params[n++] = buf + off;
            off += ul + 1;
        } else if (pl != ul || memcmp(p, u, pl) != 0) {
            return -1;
        }
        p += pl, u += ul;
    }
    if (*u == '/' && u[1] == '\0')
        u++; /* a trailing slash */
    return *p || *u ? -1 : n;
}

/* ---- authentication --------------------------------------------------------------------- */

static void cred_tag(sv_server *s, const char *name, const char *pw, unsigned char tag[32])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, s->cred_key, sizeof s->cred_key, 32);
    crypto_generichash_update(&st, (const unsigned char *)name, strlen(name) + 1);
    crypto_generichash_update(&st, (const unsigned char *)pw, strlen(pw));
    crypto_generichash_final(&st, tag, 32);
}

static int user_from_json(const char *json, sv_user *u)
{
    cJSON *j = cJSON_Parse(json);
    const cJSON *name = cJSON_GetObjectItem(j, "name"), *groups = cJSON_GetObjectItem(j, "groups");
    if (!cJSON_IsString(name)) {
        cJSON_Delete(j);
        return -1;
    }
    memset(u, 0, sizeof *u);
    snprintf(u->name, sizeof u->name, "%s", name->valuestring);
    const cJSON *g;
    size_t off = 0;
    cJSON_ArrayForEach(g, groups) if (cJSON_IsString(g) && off < sizeof u->groups)
        off += (size_t)snprintf(u->groups + off, sizeof u->groups - off, "%s%s", off ? "," : "",
                                g->valuestring);
    u->admin = cJSON_IsTrue(cJSON_GetObjectItem(j, "admin"));
    cJSON_Delete(j);
    return 0;
}

/* Checks the request's Basic credentials: 0 and *u filled, or -1 (unknown, wrong, absent). */
static int authenticate(sv_server *s, struct MHD_Connection *c, bpmn_engine *e, sv_user *u)
{
    char *pw = NULL;
    char *name = MHD_basic_auth_get_username_password(c, &pw);
    if (!name || !pw) {
        MHD_free(name);
        MHD_free(pw);
        return -1;
    }
    unsigned char tag[32];
    cred_tag(s, name, pw, tag);
    long long now = sv_mono_ms();
    int ok = -1;
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < SV_CRED_CACHE; i++) {
        if (s->creds[i].until > now && sodium_memcmp(s->creds[i].tag, tag, 32) == 0) {
            *u = s->creds[i].user;
            ok = 0;
            break;
        }
    }
    /* Repeated failures slow every login down (at most 2 s), whoever sends them. */
    unsigned failures = now - s->last_failure > 60000 ? 0 : s->failures;
    pthread_mutex_unlock(&s->mu);
    if (ok != 0) {
        if (failures > 3) {
            long long wait = 100LL * (failures - 3);
            struct timespec ts = {(time_t)((wait > 2000 ? 2000 : wait) / 1000),
                                  (long)((wait > 2000 ? 2000 : wait) % 1000) * 1000000L};
            nanosleep(&ts, NULL);
        }
        char *json = NULL;
        if (bpmn_user_verify(e, name, pw, &json) == BPMN_OK && user_from_json(json, u) == 0) {
            ok = 0;
            pthread_mutex_lock(&s->mu);
            cred *slot = &s->creds[s->cred_next++ % SV_CRED_CACHE];
            memcpy(slot->tag, tag, 32);
            slot->until = now + SV_CRED_TTL_MS;
            slot->user = *u;
            pthread_mutex_unlock(&s->mu);
        } else {
            pthread_mutex_lock(&s->mu);
            s->failures = (now - s->last_failure > 60000 ? 0 : s->failures) + 1;
            s->last_failure = now;
            pthread_mutex_unlock(&s->mu);
        }
        bpmn_free(e, json);
    }
    sodium_memzero(pw, strlen(pw));
    MHD_free(name);
    MHD_free(pw);
    return ok;
}

int sv_may(const sv_request *r, const char *right, const char *process, int *own_only)
{
    if (own_only)
        *own_only = 0;
    if (r->user->admin)
        return 1;
    int allowed = 0, own = 0;
    if (bpmn_user_may(r->auth_e, r->user->name, right, process ? process : "*", &allowed, &own) !=
        BPMN_OK)
        return 0;
    /* Only a read-own/work-own grant: the caller must look at the instance (sv_owns); one that
     * cannot (own_only NULL) refuses. */
    if (own && !own_only)
        return 0;
    if (own_only)
        *own_only = own;
    return allowed;
}

typedef struct owns_ctx {
    const char *user;
    int found;
} owns_ctx;

static int owns_event(void *ud, const char *json)
{
    owns_ctx *o = ud;
    cJSON *ev = cJSON_Parse(json);
    const cJSON *u = cJSON_GetObjectItem(ev, "user");
    if (cJSON_IsString(u) && strcmp(u->valuestring, o->user) == 0)
        o->found = 1;
    cJSON_Delete(ev);
    return o->found; /* stops the walk once found */
}

int sv_owns(const sv_request *r, const char *instance)
{
    owns_ctx o = {r->user->name, 0};
    bpmn_history_each(r->auth_e, instance, 0, owns_event, &o);
    if (o.found)
        return 1;
    /* A task of it the user holds now. */
    bpmn_task_filter f = {0};
    f.instance = instance;
    f.assignee = r->user->name;
    f.limit = 1;
    char *json = NULL;
    int mine = bpmn_task_query(r->auth_e, &f, &json) == BPMN_OK && json && strcmp(json, "[]") != 0;
    bpmn_free(r->auth_e, json);
    return mine;
}

/* ---- answering ---------------------------------------------------------------------------- */

static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    sv_answer *a = cls;
    long n = a->stream(a->stream_ud, buf, max);
    if (n < 0)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    if (n == 0)
        return MHD_CONTENT_READER_END_OF_STREAM;
    return (ssize_t)n;
}

static void stream_free(void *cls)
{
    sv_answer *a = cls;
    if (a->stream_free)
        a->stream_free(a->stream_ud);
    free(a);
}

static enum MHD_Result send_answer(struct MHD_Connection *c, sv_answer *a, int unauthorized)
{
    struct MHD_Response *res;
    if (a->stream) {
        sv_answer *copy = malloc(sizeof *copy);
        if (!copy)
            return MHD_NO;
        *copy = *a;
        res = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 65536, stream_reader, copy,
                                                stream_free);
        if (!res) {
            stream_free(copy);
            return MHD_NO;
        }
    } else {
        res = MHD_create_response_from_buffer(a->len, a->body ? a->body : (void *)"",
                                              a->body ? MHD_RESPMEM_MUST_FREE
                                                      : MHD_RESPMEM_PERSISTENT);
        if (!res) {
            free(a->body);
            return MHD_NO;
        }
    }
    if (a->status != 204)
        MHD_add_response_header(res, MHD_HTTP_HEADER_CONTENT_TYPE,
                                a->content_type ? a->content_type : "application/json");
    if (unauthorized)
        MHD_add_response_header(res, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                "Basic realm=\"bpmnrt\", charset=\"UTF-8\"");
    MHD_add_response_header(res, "X-Content-Type-Options", "nosniff");
    enum MHD_Result r = MHD_queue_response(c, (unsigned)a->status, res);
    MHD_destroy_response(res);
    return r;
}

static enum MHD_Result dispatch(sv_server *s, struct MHD_Connection *c, const char *url,
                                const char *method, conn *k)
{
    sv_answer a = {0};
    char err[512] = "";
    bpmn_engine *e = thread_engine(s, s->engine_key, err, sizeof err);
    /* Authorization reads on a handle of its own: a list handler asks while its own handle is
     * in the middle of a scan. */
    bpmn_engine *ae = e ? thread_engine(s, s->auth_key, err, sizeof err) : NULL;
    if (!e || !ae) {
        sv_error(&a, 503, "ServiceUnavailable", "the store cannot be opened: %s", err);
        return send_answer(c, &a, 0);
    }
    const sv_route *route = NULL;
    const char *params[SV_MAX_PARAMS] = {0};
    char pbuf[2048];
    int path_known = 0;
    for (size_t i = 0; i < s->nroutes && !route; i++) {
        const char *tmp[SV_MAX_PARAMS] = {0};
        if (match(s->routes[i]->pattern, url, pbuf, sizeof pbuf, tmp) < 0)
            continue;
        path_known = 1;
        if (strcmp(s->routes[i]->method, method) == 0) {
            route = s->routes[i];
            memcpy(params, tmp, sizeof params);
        }
    }
    if (!route) {
        if (path_known)
            sv_error(&a, 405, "MethodNotAllowed", "%s is not allowed on %s", method, url);
        else
            sv_error(&a, 404, "NotFound", "no resource at %s", url);
        return send_answer(c, &a, 0);
    }
    sv_user user = {"anonymous", "", 1};
    if (!route->public_ && !s->o.no_auth && authenticate(s, c, ae, &user) != 0) {
        sv_error(&a, 401, "AuthenticationException",
                 "a user name and password are needed (HTTP Basic), and these were not accepted");
        return send_answer(c, &a, 1);
    }
    if (k->too_big) {
        sv_error(&a, 413, "InvalidRequestException", "the body is over the limit of %zu bytes",
                 k->limit);
        return send_answer(c, &a, 0);
    }
    sv_request r = {0};
    r.method = method;
    r.url = url;
    memcpy(r.params, params, sizeof r.params);
    r.body = k->body ? k->body : "";
    r.body_len = k->len;
    r.content_type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    r.user = &user;
    r.e = e;
    r.auth_e = ae;
    r.srv = s;
    r.conn = c;
    if (route->fn(&r, &a) != 0 && !a.status)
        sv_error(&a, 500, "ServerError", "the request failed");
    if (!a.status)
        a.status = 200;
    /* maxResults=0 asks for an empty page (Camunda Modeler's connection check does): every list
     * handler reads 0 as "no limit", so the page is emptied here, in one place. */
    const char *mr = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "maxResults");
    if (a.status == 200 && !a.stream && mr && strcmp(mr, "0") == 0 && a.body && a.body[0] == '[') {
        free(a.body);
        a.body = strdup("[]");
        a.len = a.body ? 2 : 0;
    }
    return send_answer(c, &a, 0);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version;
    sv_server *s = cls;
    conn *k = *con_cls;
    if (!k) {
        k = calloc(1, sizeof *k);
        if (!k)
            return MHD_NO;
        *con_cls = k;
        pthread_mutex_lock(&s->mu);
        s->inflight++;
        pthread_mutex_unlock(&s->mu);
        k->limit = strstr(url, "/deployment/create") ? s->o.max_deploy_body : s->o.max_body;
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > k->limit)
            k->too_big = 1; /* answered once the body is discarded, before any of it is kept */
        return MHD_YES;
    }
    if (*upload_size) {
        if (!k->too_big && k->len + *upload_size > k->limit)
            k->too_big = 1;
        if (!k->too_big) {
            if (k->len + *upload_size + 1 > k->cap) {
                size_t cap = k->cap ? k->cap : 8192;
                while (cap < k->len + *upload_size + 1)
                    cap *= 2;
                char *b = realloc(k->body, cap);
                if (!b)
                    return MHD_NO;
                k->body = b;
                k->cap = cap;
            }
            memcpy(k->body + k->len, upload, *upload_size);
            k->len += *upload_size;
            k->body[k->len] = '\0';
        }
        *upload_size = 0;
        return MHD_YES;
    }
    return dispatch(s, c, url, method, k);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)c, (void)toe;
    sv_server *s = cls;
    conn *k = *con_cls;
    if (k) {
        free(k->body);
        free(k);
        *con_cls = NULL;
        pthread_mutex_lock(&s->mu);
        s->inflight--;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
    }
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap);
    size_t got;
    while (b && (got = fread(b + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (n + 1 == cap) {
            char *nb = cap > (1u << 22) ? NULL : realloc(b, cap *= 2);
            if (!nb) {
                free(b);
                b = NULL;
            } else {
                b = nb;
            }
        }
    }
    fclose(f);
    if (b)
        b[n] = '\0';
    return b;
}

/* Decodes %XX in the path and query arguments as libmicrohttpd does, but an encoded NUL becomes
 * DEL instead of ending the string early: "/app.js%00.txt" must not read as "/app.js". */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls, (void)c;
    size_t n = MHD_http_unescape(s);
    for (size_t i = 0; i < n; i++)
        if (s[i] == '\0')
            s[i] = '\x7f';
    return n;
}

sv_server *sv_start(const sv_options *o, char *err, size_t errcap)
{
    if (sodium_init() < 0) {
        snprintf(err, errcap, "libsodium cannot be initialised");
        return NULL;
    }
    sv_server *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errcap, "out of memory");
        return NULL;
    }
    s->o = *o;
    if (!s->o.max_body)
        s->o.max_body = SV_DEFAULT_BODY;
    if (!s->o.max_deploy_body)
        s->o.max_deploy_body = s->o.max_body > SV_DEFAULT_DEPLOY_BODY ? s->o.max_body
                                                                     : SV_DEFAULT_DEPLOY_BODY;
    if (!s->o.max_connections)
        s->o.max_connections = 256;
    if (!s->o.timeout_s)
        s->o.timeout_s = 30;
    s->path = strdup(o->engine.path ? o->engine.path : "");
    randombytes_buf(s->cred_key, sizeof s->cred_key);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    pthread_key_create(&s->engine_key, engine_free);
    pthread_key_create(&s->auth_key, engine_free);
    for (const sv_route *const *t = all_tables(); *t; t++)
        for (const sv_route *r = *t; r->method; r++)
            s->nroutes++;
    s->routes = calloc(s->nroutes ? s->nroutes : 1, sizeof *s->routes);
    size_t n = 0;
    for (const sv_route *const *t = all_tables(); *t; t++)
        for (const sv_route *r = *t; r->method; r++)
            s->routes[n++] = r;
    bpmn_engine_options ceo = s->o.engine;
    if (!(s->committer = sv_committer_start(&ceo, s->path))) {
        snprintf(err, errcap, "cannot start the writer thread");
        sv_stop(s);
        return NULL;
    }
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)o->port);
    if (inet_pton(AF_INET, o->host ? o->host : "127.0.0.1", &sa.sin_addr) != 1) {
        snprintf(err, errcap, "'%s' is not an IPv4 address", o->host);
        sv_stop(s);
        return NULL;
    }
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_ERROR_LOG | MHD_USE_POLL;
    if (o->tls_cert && o->tls_key) {
        s->cert = slurp(o->tls_cert);
        s->key = slurp(o->tls_key);
        if (!s->cert || !s->key) {
            snprintf(err, errcap, "cannot read %s: %s", s->cert ? o->tls_key : o->tls_cert,
                     strerror(errno));
            sv_stop(s);
            return NULL;
        }
        flags |= MHD_USE_TLS;
    }
    s->d = MHD_start_daemon(
        flags, (uint16_t)o->port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, &sa,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_CONNECTION_LIMIT,
        s->o.max_connections, MHD_OPTION_CONNECTION_TIMEOUT, s->o.timeout_s,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, s->o.max_connections,
        MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
        s->cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, s->cert,
        MHD_OPTION_HTTPS_MEM_KEY, s->key, MHD_OPTION_END);
    if (!s->d) {
        snprintf(err, errcap, "cannot listen on %s:%u (in use, or not permitted)",
                 o->host ? o->host : "127.0.0.1", o->port);
        sv_stop(s);
        return NULL;
    }
    return s;
}

void sv_commit_stats(sv_server *s, unsigned long *commits, unsigned long *ops)
{
    sv_committer_stats(s->committer, commits, ops);
}

const char *sv_store_path(const sv_server *s)
{
    return s->path;
}

const char *sv_web_dir(const sv_server *s)
{
    return s->o.web_dir;
}

unsigned sv_port(const sv_server *s)
{
    const union MHD_DaemonInfo *i = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    return i ? i->port : 0;
}

int sv_write(sv_request *r, sv_write_fn fn, void *ud, char **json_out)
{
    *json_out = NULL;
    int rc = sv_committer_run(r->srv->committer, fn, ud, json_out, r->errbuf, sizeof r->errbuf);
    if (rc == BPMN_OK)
        sv_notify(r->srv);
    return rc;
}

int sv_write_no_content(sv_request *r, sv_answer *a, sv_write_fn fn, void *ud)
{
    char *json = NULL;
    int rc = sv_write(r, fn, ud, &json);
    bpmn_free(r->e, json);
    return rc == BPMN_OK ? sv_no_content(a) : sv_fail(a, r, rc);
}

void sv_notify(sv_server *s)
{
    pthread_mutex_lock(&s->mu);
    s->generation++;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

int sv_wait(sv_server *s, unsigned long *generation, long long deadline_ms)
{
    pthread_mutex_lock(&s->mu);
    while (!s->stopping && s->generation == *generation) {
        long long now = sv_mono_ms();
        if (now >= deadline_ms)
            break;
        /* At most half a second: jobs made by other processes are seen by polling. */
        long long wait = deadline_ms - now > 500 ? 500 : deadline_ms - now;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += (time_t)(wait / 1000);
        ts.tv_nsec += (long)(wait % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L)
            ts.tv_sec++, ts.tv_nsec -= 1000000000L;
        if (pthread_cond_timedwait(&s->cv, &s->mu, &ts) == ETIMEDOUT)
            break;
    }
    *generation = s->generation;
    int stopping = s->stopping;
    pthread_mutex_unlock(&s->mu);
    return stopping ? -1 : 0;
}

unsigned long sv_generation(sv_server *s)
{
    pthread_mutex_lock(&s->mu);
    unsigned long g = s->generation;
    pthread_mutex_unlock(&s->mu);
    return g;
}

void sv_stop(sv_server *s)
{
    if (!s)
        return;
    /* No new connections; long polls answer now; the requests in flight finish and their
     * answers go out (at most 30 s) before the connections are closed. */
    if (s->d)
        MHD_quiesce_daemon(s->d);
    pthread_mutex_lock(&s->mu);
    s->stopping = 1;
    pthread_cond_broadcast(&s->cv);
    long long until = sv_mono_ms() + 30000;
    while (s->inflight && sv_mono_ms() < until) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100000000L;
        if (ts.tv_nsec >= 1000000000L)
            ts.tv_sec++, ts.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&s->cv, &s->mu, &ts);
    }
    pthread_mutex_unlock(&s->mu);
    if (s->d)
        MHD_stop_daemon(s->d); /* waits for the connections' threads */
    sv_committer_stop(s->committer); /* after the requests: their operations are committed */
    bpmn_engine *e = pthread_getspecific(s->engine_key);
    if (e) {
        bpmn_engine_close(e);
        pthread_setspecific(s->engine_key, NULL);
    }
    pthread_key_delete(s->engine_key);
    e = pthread_getspecific(s->auth_key);
    if (e) {
        bpmn_engine_close(e);
        pthread_setspecific(s->auth_key, NULL);
    }
    pthread_key_delete(s->auth_key);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free(s->routes);
    free(s->path);
    free(s->cert);
    free(s->key);
    free(s);
}
