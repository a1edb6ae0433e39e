/*
 * cmd_engine.c - the commands that work on the store: deploy, start, show, instances, tasks,
 * complete, jobs, job complete|fail, and the management of instances (cancel, suspend, resume,
 * set-vars, retry, migrate, definitions, purge). Each opens the engine through the public header
 * only, runs one operation and prints its JSON (--json) or a readable form. The commands that
 * read history and reports (history, export, report) are in cmd_reports.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static long long days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* --now: an ISO 8601 date or date-time, with Z or an offset (no offset means UTC). */
int cli_parse_time(const char *s, long long *ms)
{
    int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || mo < 1 || mo > 12 || d < 1 || d > 31)
        return -1;
    const char *p = s + n;
    long long frac = 0;
    if (*p == 'T' || *p == ' ') {
        int k = 0;
        if (sscanf(p + 1, "%2d:%2d%n", &h, &mi, &k) != 2)
            return -1;
        p += 1 + k;
        if (*p == ':') {
            if (sscanf(p + 1, "%2d%n", &sec, &k) != 1)
                return -1;
            p += 1 + k;
        }
        if (*p == '.') {
            long long scale = 100;
            for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
                frac += (*p - '0') * scale;
        }
    }
    long long off = 0;
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om = 0, k = 0;
        if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &k) < 1)
            return -1;
        off = (oh * 60LL + om) * 60000LL * (*p == '-' ? -1 : 1);
        p += 1 + (k ? k : 2);
    }
    if (*p || h > 23 || mi > 59 || sec > 60)
        return -1;
    *ms = (days_from_civil(y, mo, d) * 86400LL + h * 3600LL + mi * 60LL + sec) * 1000LL + frac - off;
    return 0;
}

/* The commands that have a use for the options naming who acts (--user, --groups) and what
 * they bring (--vars). Any other command refuses them as a usage error: an option that is
 * accepted and ignored would let a caller believe it was recorded or checked. */
static int takes(const char *cmd, const char *opt)
{
    static const char *const user[] = {"start", "tasks", "claim", "unclaim", "complete", "task",
                                       "cancel", "suspend", "resume", "set-vars", "retry",
                                       "migrate", NULL};
    static const char *const groups[] = {"tasks", "claim", "complete", "task", NULL};
    static const char *const vars[] = {"start", "complete", "job", "set-vars", "task", NULL};
    const char *const *list = strcmp(opt, "--user") == 0     ? user
                              : strcmp(opt, "--groups") == 0 ? groups
                              : strcmp(opt, "--vars") == 0   ? vars
                                                             : NULL;
    if (!list)
        return 1;
    for (; *list; list++)
        if (strcmp(*list, cmd) == 0)
            return 1;
    return 0;
}

/* Options every engine command understands; an unknown one is a usage error. */
int cli_parse_args(const char *cmd, int argc, char **argv, cli_args *a)
{
    memset(a, 0, sizeof *a);
    a->retries = -1;
    for (int i = 0; i < argc; i++) {
        const char *o = argv[i];
        const char **slot = NULL;
        if (strcmp(o, "--json") == 0) {
            a->json = 1;
            continue;
        }
        if (strcmp(o, "--overdue") == 0) {
            a->overdue = 1;
            continue;
        }
        if (strcmp(o, "--csv") == 0) {
            a->csv = 1;
            continue;
        }
        if (strncmp(o, "--", 2) != 0) {
            if (a->npos == 4) {
                cli_error("%s: too many arguments", cmd);
                return CLI_USAGE;
            }
            a->pos[a->npos++] = o;
            continue;
        }
        if (i + 1 >= argc) {
            cli_error("%s: option %s needs a value", cmd, o);
            return CLI_USAGE;
        }
        const char *val = argv[++i];
        if (!takes(cmd, o)) {
            cli_error("%s: option %s does not apply to this command", cmd, o);
            return CLI_USAGE;
        }
        if (strcmp(o, "--vars") == 0)
            slot = &a->vars;
        else if (strcmp(o, "--key") == 0)
            slot = &a->key;
        else if (strcmp(o, "--process") == 0)
            slot = &a->process;
        else if (strcmp(o, "--state") == 0)
            slot = &a->state;
        else if (strcmp(o, "--instance") == 0)
            slot = &a->instance;
        else if (strcmp(o, "--assignee") == 0)
            slot = &a->assignee;
        else if (strcmp(o, "--group") == 0)
            slot = &a->group;
        else if (strcmp(o, "--type") == 0)
            slot = &a->type;
        else if (strcmp(o, "--message") == 0)
            slot = &a->message;
        else if (strcmp(o, "--error") == 0 || strcmp(o, "--code") == 0)
            slot = &a->error;
        else if (strcmp(o, "--user") == 0)
            slot = &a->user;
        else if (strcmp(o, "--groups") == 0)
            slot = &a->groups;
        else if (strcmp(o, "--candidate") == 0)
            slot = &a->candidate;
        else if (strcmp(o, "--out") == 0)
            slot = &a->out;
        else if (strcmp(o, "--since") == 0) {
            char *end;
            errno = 0;
            a->since = strtoull(val, &end, 10);
            if (*end || errno || val[0] == '-') {
                cli_error("%s: --since needs a sequence number, not '%s'", cmd, val);
                return CLI_USAGE;
            }
            continue;
        }
        else if (strcmp(o, "--version") == 0 || strcmp(o, "--retries") == 0 ||
                 strcmp(o, "--limit") == 0 || strcmp(o, "--offset") == 0) {
            char *end;
            errno = 0;
            long v = strtol(val, &end, 10);
            if (*end || errno || v < 0 || v > 1000000) {
                cli_error("%s: %s needs a non-negative number, not '%s'", cmd, o, val);
                return CLI_USAGE;
            }
            if (o[2] == 'v')
                a->version = (int)v;
            else if (o[2] == 'r')
                a->retries = (int)v;
            else if (o[2] == 'l')
                a->limit = (int)v;
            else
                a->offset = (int)v;
            continue;
        } else {
            cli_error("%s: unknown option '%s'", cmd, o);
            return CLI_USAGE;
        }
        *slot = val;
    }
    return CLI_OK;
}

/* Reads fd to its end, at most max + 1 bytes (*len > max: over the limit); NUL-terminated.
 * NULL with errno set when reading fails or memory runs out. */
static char *read_bounded(int fd, size_t max, size_t *len)
{
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap + 1);
    while (buf && n <= max) {
        if (n == cap) {
            char *nb = realloc(buf, (cap *= 2) + 1);
            if (!nb) {
                free(buf);
                errno = ENOMEM;
                return NULL;
            }
            buf = nb;
        }
        ssize_t got = read(fd, buf + n, cap - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            int err = errno;
            free(buf);
            errno = err;
            return NULL;
        }
        if (got == 0)
            break;
        n += (size_t)got;
    }
    if (buf)
        buf[n] = '\0';
    *len = n;
    return buf;
}

int cli_vars_text(const cli_globals *g, const char *cmd, const char **vars, char **owned)
{
    *owned = NULL;
    const char *v = *vars;
    if (!v || (strcmp(v, "-") != 0 && v[0] != '@'))
        return CLI_OK; /* the JSON itself: no JSON text begins with @, nor is just - */
    size_t max = g->limits.max_file_bytes ? g->limits.max_file_bytes : BPMN_DEFAULT_MAX_BYTES;
    int stdin_ = v[0] == '-';
    const char *path = stdin_ ? "standard input" : v + 1;
    /* O_NONBLOCK: opening a FIFO must not wait for a writer; a regular file ignores it. */
    int fd = stdin_ ? 0 : open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        cli_error("%s: --vars %s: %s", cmd, v, strerror(errno));
        return CLI_FAIL;
    }
    struct stat sb;
    if (!stdin_ && (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))) {
        cli_error("%s: --vars %s: not a regular file", cmd, v);
        close(fd);
        return CLI_FAIL;
    }
    size_t len = 0;
    char *text = read_bounded(fd, max, &len);
    int err = errno;
    if (!stdin_)
        close(fd);
    if (!text) {
        cli_error("%s: --vars %s: %s", cmd, v, strerror(err));
        return CLI_FAIL;
    }
    if (len > max) {
        cli_error("%s: --vars %s: over the size limit of %zu bytes (--limit file-bytes=N)", cmd,
                  v, max);
        free(text);
        return CLI_FAIL;
    }
    if (strlen(text) != len) {
        cli_error("%s: --vars %s: contains a NUL byte; variables are JSON text", cmd, v);
        free(text);
        return CLI_FAIL;
    }
    *vars = text;
    *owned = text;
    return CLI_OK;
}

bpmn_engine *cli_open_engine(const cli_globals *g)
{
    bpmn_engine_options o = {0};
    o.path = g->db;
    o.history_level = g->history_level;
    o.limits = g->limits;
    bpmn_engine *e = NULL;
    char err[512] = "";
    int rc = bpmn_engine_open(&o, &e, err, sizeof err);
    if (rc != BPMN_OK) {
        /* The store's messages name its path already: once is enough. */
        if (err[0] && strstr(err, g->db))
            cli_error("%s", err);
        else
            cli_error("%s: %s", g->db, err[0] ? err : bpmn_strerror(rc));
        return NULL;
    }
    if (g->now) {
        long long ms;
        if (cli_parse_time(g->now, &ms) != 0) {
            cli_error("--now '%s' is not an ISO 8601 date-time like 2026-01-01T09:00:00Z", g->now);
            bpmn_engine_close(e);
            return NULL;
        }
        bpmn_engine_set_now(e, ms);
    }
    return e;
}

/* Prints the result of an operation: the JSON itself, or an indented form; closes the engine. */
int cli_finish(bpmn_engine *e, const char *cmd, int rc, char *json, int as_json)
{
    if (rc != BPMN_OK) {
        const char *m = bpmn_engine_errmsg(e);
        if (m[0] && m[strlen(m) - 1] == '\n')
            fprintf(stderr, "bpmnrt: %s: %s\n%s", cmd, bpmn_strerror(rc), m);
        else
            cli_error("%s: %s", cmd, m[0] ? m : bpmn_strerror(rc));
        bpmn_free(e, json);
        bpmn_engine_close(e);
        return CLI_FAIL;
    }
    if (as_json) {
        puts(json);
    } else {
        cJSON *j = cJSON_Parse(json);
        char *pretty = j ? cJSON_Print(j) : NULL;
        puts(pretty ? pretty : json);
        cJSON_free(pretty);
        cJSON_Delete(j);
    }
    bpmn_free(e, json);
    bpmn_engine_close(e);
    return CLI_OK;
}

static int need(const char *cmd, const cli_args *a, int n, const char *usage)
{
    if (a->npos != n) {
        cli_error("usage: bpmnrt %s %s", cmd, usage);
        return 0;
    }
    return 1;
}

/* Reads a regular file, at most max + 1 bytes (*len > max tells the caller it is over the
 * limit). Anything else (a FIFO, a device, a directory) is refused without blocking: NULL with
 * errno set, EINVAL for "not a regular file". */
static char *read_all(const char *path, size_t max, size_t *len)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        int err = S_ISREG(sb.st_mode) ? errno : EINVAL;
        close(fd);
        errno = err;
        return NULL;
    }
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        close(fd);
        return NULL;
    }
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && n <= max && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap && n <= max) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                buf = NULL;
            } else {
                buf = nb;
            }
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

int cli_deploy(const cli_globals *g, int argc, char **argv)
{
    int json = 0, nfiles = 0;
    unsigned flags = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (strcmp(argv[i], "--assume-executable") == 0)
            flags |= BPMN_DOC_ASSUME_EXECUTABLE;
        else if (strncmp(argv[i], "--", 2) == 0) {
            cli_error("deploy: unknown option '%s'", argv[i]);
            return CLI_USAGE;
        } else
            nfiles++;
    }
    if (nfiles < 1) {
        cli_error("usage: bpmnrt deploy FILE... [--assume-executable] [--json]");
        return CLI_USAGE;
    }
    /* Every file is read before the store is opened, and bpmn_deploy_many compiles them all
     * before its one write transaction: either every process is deployed or none is, and no
     * other writer waits for the reading or the parsing. */
    bpmn_document *docs = calloc((size_t)nfiles, sizeof *docs);
    if (!docs) {
        cli_error("deploy: out of memory");
        return CLI_FAIL;
    }
    size_t max = g->limits.max_file_bytes ? g->limits.max_file_bytes : BPMN_DEFAULT_MAX_BYTES;
    int n = 0, failed = 0;
    for (int i = 0; i < argc && !failed; i++) {
        if (strncmp(argv[i], "--", 2) == 0)
            continue;
        size_t len = 0;
        char *data = read_all(argv[i], max, &len);
        if (!data || len > max) {
            if (data)
                cli_error("deploy: %s: file is over the size limit of %zu bytes", argv[i], max);
            else if (errno == EINVAL)
                cli_error("deploy: %s: not a regular file", argv[i]);
            else
                cli_error("deploy: %s: %s", argv[i], strerror(errno));
            free(data);
            failed = 1;
            break;
        }
        docs[n].name = argv[i];
        docs[n].data = data;
        docs[n].flags = flags;
        docs[n++].len = len;
    }
    int rc = BPMN_OK;
    bpmn_engine *e = NULL;
    char *out = NULL;
    if (!failed && !(e = cli_open_engine(g)))
        failed = 1;
    if (!failed)
        rc = bpmn_deploy_many(e, docs, (size_t)n, &out);
    for (int i = 0; i < n; i++)
        free((void *)docs[i].data);
    free(docs);
    if (failed) {
        bpmn_engine_close(e);
        return CLI_FAIL;
    }
    return cli_finish(e, "deploy", rc, out, json);
}

int cli_start(const cli_globals *g, int argc, char **argv)
{
    cli_args a;
    int u = cli_parse_args("start", argc, argv, &a);
    if (u != CLI_OK)
        return u;
    if (!need("start", &a, 1, "PROCESS [--vars JSON] [--key KEY] [--version N] [--user U] [--json]"))
        return CLI_USAGE;
    char *owned;
    if (cli_vars_text(g, "start", &a.vars, &owned) != CLI_OK)
        return CLI_FAIL;
    bpmn_engine *e = cli_open_engine(g);
    char *json = NULL;
    bpmn_actor who = {a.user, NULL};
    int rc = e ? bpmn_instance_start_as(e, a.pos[0], (unsigned)a.version, a.vars, a.key,
                                        a.user ? &who : NULL, &json)
               : 0;
    free(owned);
    return e ? cli_finish(e, "start", rc, json, a.json) : CLI_FAIL;
}

int cli_show(const cli_globals *g, int argc, char **argv)
{
    cli_args a;
    int u = cli_parse_args("show", argc, argv, &a);
    if (u != CLI_OK)
        return u;
    if (!need("show", &a, 1, "INSTANCE [--json]"))
        return CLI_USAGE;
    bpmn_engine *e = cli_open_engine(g);
    if (!e)
        return CLI_FAIL;
    char *json = NULL;
    int rc = bpmn_instance_show(e, a.pos[0], &json);
    return cli_finish(e, "show", rc, json, a.json);
}

int cli_instances(const cli_globals *g, int argc, char **argv)
{
    cli_args a;
    int u = cli_parse_args("instances", argc, argv, &a);
    if (u != CLI_OK)
        return u;
    if (!need("instances", &a, 0, "[--process P] [--state S] [--limit N] [--offset N] [--json]"))
        return CLI_USAGE;
    bpmn_engine *e = cli_open_engine(g);
    if (!e)
        return CLI_FAIL;
    cli_list l = {a.json, 0};
    int rc = bpmn_instance_each(e, a.process, a.state, (size_t)a.offset, (size_t)a.limit,
                                cli_list_item, &l);
    return cli_list_end(e, "instances", rc, &l);
}

int cli_tasks(const cli_globals *g, int argc, char **argv)
{
    cli_args a;
    int u = cli_parse_args("tasks", argc, argv, &a);
    if (u != CLI_OK)
        return u;
    if (!need("tasks", &a, 0, "[--instance ID] [--process P] [--assignee U] [--candidate U] "
                              "[--group G] [--user U [--groups G1,G2]] [--overdue] [--limit N] "
                              "[--offset N] [--json]"))
        return CLI_USAGE;
    bpmn_engine *e = cli_open_engine(g);
    if (!e)
        return CLI_FAIL;
    bpmn_actor who = {a.user, a.groups};
    bpmn_task_filter f = {0};
    f.instance = a.instance;
    f.process = a.process;
    f.assignee = a.assignee;
    f.candidate_user = a.candidate;
    f.candidate_group = a.group;
    f.worklist = a.user ? &who : NULL;
    f.overdue = a.overdue;
    f.limit = (size_t)a.limit;
    f.offset = (size_t)a.offset;
    cli_list l = {a.json, 0};
    int rc = bpmn_task_each(e, &f, cli_list_item, &l);
    return cli_list_end(e, "tasks", rc, &l);
}

/* claim TASK --user U [--groups G]; unclaim TASK [--user U]. */
static int claim_cmd(const cli_globals *g, int argc, char **argv, int claim)
{
    const char *cmd = claim ? "claim" : "unclaim";
    cli_args a;
    int u = cli_parse_args(cmd, argc, argv, &a);
    if (u != CLI_OK)
        return u;
    if (!need(cmd, &a, 1, claim ? "TASK --user U [--groups G1,G2] [--json]"
                               : "TASK [--user U] [--json]"))
        return CLI_USAGE;
    if (claim && !a.user) {
        cli_error("claim: --user is required");
        return CLI_USAGE;
    }
    bpmn_engine *e = cli_open_engine(g);
    if (!e)
        return CLI_FAIL;
    bpmn_actor who = {a.user, a.groups};
    char *json = NULL;
    int rc = claim ? bpmn_task_claim(e, a.pos[0], &who, &json)
                   : bpmn_task_unclaim(e, a.pos[0], a.user ? &who : NULL, &json);
    return cli_finish(e, cmd, rc, json, a.json);
}

int cli_claim(const cli_globals *g, int argc, char **argv)
{
    return claim_cmd(g, argc, argv, 1);
}

int cli_unclaim(const cli_globals *g, int argc, char **argv)
{
    return claim_cmd(g, argc, argv, 0);
}

int cli_complete(const cli_globals *g, int argc, char **argv)
{
    cli_args a;
    int u = cli_parse_args("complete", argc, argv, &a);
    if (u != CLI_OK)
        return u;
    if (!need("complete", &a, 1, "TASK [--user U] [--groups G1,G2] [--vars JSON] [--json]"))
        return CLI_USAGE;
    char *owned;
    if (cli_vars_text(g, "complete", &a.vars, &owned) != CLI_OK)
        return CLI_FAIL;
    bpmn_engine *e = cli_open_engine(g);
    bpmn_actor who = {a.user, a.groups};
    char *json = NULL;
    int rc = e ? bpmn_task_complete_as(e, a.pos[0], a.user ? &who : NULL, a.vars, &json) : 0;
    free(owned);
    return e ? cli_finish(e, "complete", rc, json, a.json) : CLI_FAIL;
}

/* task error TASK --code C [--message M] [--vars JSON] [--user U --groups G]: the task ends in
 * a BPMN error, caught by an error boundary event (Camunda's handleBpmnError for tasks). */
int cli_task(const cli_globals *g, int argc, char **argv)
{
    cli_args a;
    int u = cli_parse_args("task", argc, argv, &a);
    if (u != CLI_OK)
        return u;
    if (a.npos != 2 || strcmp(a.pos[0], "error") != 0 || !a.error) {
        cli_error("usage: bpmnrt task error TASK --code CODE [--message M] [--vars JSON] "
                  "[--user U [--groups G1,G2]] [--json]");
        return CLI_USAGE;
    }
    char *owned;
    if (cli_vars_text(g, "task error", &a.vars, &owned) != CLI_OK)
        return CLI_FAIL;
    bpmn_engine *e = cli_open_engine(g);
    bpmn_actor who = {a.user, a.groups};
    char *json = NULL;
    int rc = e ? bpmn_task_error(e, a.pos[1], a.user ? &who : NULL, a.error, a.message, a.vars,
                                 &json)
               : 0;
    free(owned);
    return e ? cli_finish(e, "task error", rc, json, a.json) : CLI_FAIL;
}

int cli_jobs(const cli_globals *g, int argc, char **argv)
{
    cli_args a;
    int u = cli_parse_args("jobs", argc, argv, &a);
    if (u != CLI_OK)
        return u;
    if (!need("jobs", &a, 0, "[--type T] [--limit N] [--offset N] [--json]"))
        return CLI_USAGE;
    bpmn_engine *e = cli_open_engine(g);
    if (!e)
        return CLI_FAIL;
    cli_list l = {a.json, 0};
    int rc = bpmn_job_each(e, a.type, (size_t)a.offset, (size_t)a.limit, cli_list_item, &l);
    return cli_list_end(e, "jobs", rc, &l);
}

int cli_job(const cli_globals *g, int argc, char **argv)
{
    cli_args a;
    int u = cli_parse_args("job", argc, argv, &a);
    if (u != CLI_OK)
        return u;
    int is_fail = a.npos == 2 && strcmp(a.pos[0], "fail") == 0;
    if (a.npos != 2 || (!is_fail && strcmp(a.pos[0], "complete") != 0)) {
        cli_error("usage: bpmnrt job complete ID [--vars JSON] | job fail ID --message M "
                  "[--retries N] [--error CODE [--vars JSON]]");
        return CLI_USAGE;
    }
    if (is_fail && !a.message) {
        cli_error("job fail: --message is required");
        return CLI_USAGE;
    }
    if (is_fail && a.vars && !a.error) {
        cli_error("job fail: option --vars goes with --error (variables for the error's catch); a "
                  "failed job changes no variables");
        return CLI_USAGE;
    }
    char *owned;
    if (cli_vars_text(g, "job complete", &a.vars, &owned) != CLI_OK)
        return CLI_FAIL;
    bpmn_engine *e = cli_open_engine(g);
    char *json = NULL;
    /* A BPMN error with variables: they are set before the error is caught, as Camunda's
     * handleBpmnError does. */
    int rc = !e                 ? 0
             : is_fail && a.error ? bpmn_job_bpmn_error_by(e, a.pos[1], NULL, a.error, a.message,
                                                        a.vars, &json)
             : is_fail           ? bpmn_job_fail(e, a.pos[1], a.message, a.retries, NULL, &json)
                                 : bpmn_job_complete(e, a.pos[1], a.vars, &json);
    free(owned);
    return e ? cli_finish(e, is_fail ? "job fail" : "job complete", rc, json, a.json) : CLI_FAIL;
}

/* cancel / suspend / resume / retry INSTANCE; set-vars INSTANCE --vars JSON;
 * migrate INSTANCE --to-version N [--map OLD=NEW,...]. All print the show object. */
static int manage_cmd(const cli_globals *g, int argc, char **argv, const char *cmd)
{
    cli_args a;
    const char *to = NULL, *map = NULL;
    /* --to-version and --map belong to migrate only; peel them off before the common parser. */
    char *rest[64];
    int n = 0;
    for (int i = 0; i < argc && n < 63; i++) {
        if (strcmp(cmd, "migrate") == 0 && (strcmp(argv[i], "--to-version") == 0 ||
                                            strcmp(argv[i], "--map") == 0) && i + 1 < argc) {
            if (argv[i][2] == 't')
                to = argv[++i];
            else
                map = argv[++i];
            continue;
        }
        rest[n++] = argv[i];
    }
    int u = cli_parse_args(cmd, n, rest, &a);
    if (u != CLI_OK)
        return u;
    int is_set = strcmp(cmd, "set-vars") == 0, is_migrate = strcmp(cmd, "migrate") == 0;
    if (a.npos != 1 || (is_set && !a.vars) || (is_migrate && !to)) {
        cli_error("usage: bpmnrt %s INSTANCE%s [--user U] [--json]", cmd,
                  is_set ? " --vars JSON|@FILE|-"
                  : is_migrate ? " --to-version N [--map OLD=NEW,...]" : "");
        return CLI_USAGE;
    }
    char *end = NULL;
    unsigned long version = to ? strtoul(to, &end, 10) : 0;
    if (to && (*end || !version)) {
        cli_error("migrate: --to-version needs a version number, not '%s'", to);
        return CLI_USAGE;
    }
    char *owned;
    if (cli_vars_text(g, cmd, &a.vars, &owned) != CLI_OK)
        return CLI_FAIL;
    bpmn_engine *e = cli_open_engine(g);
    if (!e) {
        free(owned);
        return CLI_FAIL;
    }
    /* The acting user goes into the history event the operation records. */
    bpmn_actor who = {a.user, NULL};
    const bpmn_actor *by = a.user ? &who : NULL;
    char *json = NULL;
    int rc;
    if (strcmp(cmd, "cancel") == 0)
        rc = bpmn_instance_cancel_as(e, a.pos[0], by, &json);
    else if (strcmp(cmd, "suspend") == 0)
        rc = bpmn_instance_suspend_as(e, a.pos[0], by, &json);
    else if (strcmp(cmd, "resume") == 0)
        rc = bpmn_instance_resume_as(e, a.pos[0], by, &json);
    else if (strcmp(cmd, "retry") == 0)
        rc = bpmn_instance_retry_as(e, a.pos[0], by, &json);
    else if (is_set)
        rc = bpmn_instance_set_vars_as(e, a.pos[0], by, a.vars, &json);
    else
        rc = bpmn_instance_migrate_as(e, a.pos[0], by, (unsigned)version, map, &json);
    free(owned);
    return cli_finish(e, cmd, rc, json, a.json);
}

int cli_cancel(const cli_globals *g, int argc, char **argv)
{
    return manage_cmd(g, argc, argv, "cancel");
}

int cli_suspend(const cli_globals *g, int argc, char **argv)
{
    return manage_cmd(g, argc, argv, "suspend");
}

int cli_resume(const cli_globals *g, int argc, char **argv)
{
    return manage_cmd(g, argc, argv, "resume");
}

int cli_set_vars(const cli_globals *g, int argc, char **argv)
{
    return manage_cmd(g, argc, argv, "set-vars");
}

int cli_retry(const cli_globals *g, int argc, char **argv)
{
    return manage_cmd(g, argc, argv, "retry");
}

int cli_migrate(const cli_globals *g, int argc, char **argv)
{
    return manage_cmd(g, argc, argv, "migrate");
}

int cli_definitions(const cli_globals *g, int argc, char **argv)
{
    cli_args a;
    int u = cli_parse_args("definitions", argc, argv, &a);
    if (u != CLI_OK)
        return u;
    if (!need("definitions", &a, 0, "[--json]"))
        return CLI_USAGE;
    bpmn_engine *e = cli_open_engine(g);
    if (!e)
        return CLI_FAIL;
    char *json = NULL;
    int rc = bpmn_definitions(e, &json);
    return cli_finish(e, "definitions", rc, json, a.json);
}

/* purge --completed-before TIME [--process P] */
int cli_purge(const cli_globals *g, int argc, char **argv)
{
    const char *before = NULL;
    char *rest[64];
    int n = 0;
    for (int i = 0; i < argc && n < 63; i++) {
        if (strcmp(argv[i], "--completed-before") == 0 && i + 1 < argc)
            before = argv[++i];
        else
            rest[n++] = argv[i];
    }
    cli_args a;
    int u = cli_parse_args("purge", n, rest, &a);
    if (u != CLI_OK)
        return u;
    long long ms = 0;
    if (a.npos || !before || cli_parse_time(before, &ms) != 0) {
        cli_error("usage: bpmnrt purge --completed-before TIME [--process P] [--json]");
        return CLI_USAGE;
    }
    bpmn_engine *e = cli_open_engine(g);
    if (!e)
        return CLI_FAIL;
    char *json = NULL;
    int rc = bpmn_purge(e, ms, a.process, &json);
    return cli_finish(e, "purge", rc, json, a.json);
}
