/*
 * cmd_events.c - tick, serve, correlate and signal: the commands that make waiting instances
 * move. `serve` sleeps until the next timer is due, wakes when another process changes the store
 * (inotify on the store file) and stops cleanly on SIGINT or SIGTERM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "server/server.h"

/* Options: --json (accepted; output is JSON either way), --key K, --vars JSON|@FILE|-. */
static int parse(const char *cmd, int argc, char **argv, const char **pos, const char **key,
                 const char **vars)
{
    *pos = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            continue;
        if ((strcmp(argv[i], "--key") == 0 || strcmp(argv[i], "--vars") == 0) && i + 1 < argc) {
            if (argv[i][2] == 'k' && key)
                *key = argv[++i];
            else if (argv[i][2] == 'v' && vars)
                *vars = argv[++i];
            else {
                cli_error("%s: option %s does not apply", cmd, argv[i]);
                return CLI_USAGE;
            }
            continue;
        }
        if (strncmp(argv[i], "--", 2) == 0 || *pos) {
            cli_error("%s: unexpected argument '%s'", cmd, argv[i]);
            return CLI_USAGE;
        }
        *pos = argv[i];
    }
    return CLI_OK;
}

int cli_tick(const cli_globals *g, int argc, char **argv)
{
    const char *pos;
    if (parse("tick", argc, argv, &pos, NULL, NULL) != CLI_OK || pos) {
        cli_error("usage: bpmnrt [--now TIME] tick [--json]");
        return CLI_USAGE;
    }
    bpmn_engine *e = cli_open_engine(g);
    if (!e)
        return CLI_FAIL;
    char *json = NULL;
    int rc = bpmn_tick(e, &json);
    return cli_finish(e, "tick", rc, json, 1);
}

int cli_correlate(const cli_globals *g, int argc, char **argv)
{
    const char *pos, *key = NULL, *vars = NULL;
    if (parse("correlate", argc, argv, &pos, &key, &vars) != CLI_OK || !pos) {
        cli_error("usage: bpmnrt correlate MESSAGE [--key K] [--vars JSON|@FILE|-] [--json]");
        return CLI_USAGE;
    }
    char *owned;
    if (cli_vars_text(g, "correlate", &vars, &owned) != CLI_OK)
        return CLI_FAIL;
    bpmn_engine *e = cli_open_engine(g);
    char *json = NULL;
    int rc = e ? bpmn_correlate(e, pos, key, vars, &json) : 0;
    free(owned);
    return e ? cli_finish(e, "correlate", rc, json, 1) : CLI_FAIL;
}

int cli_signal(const cli_globals *g, int argc, char **argv)
{
    const char *pos, *vars = NULL;
    if (parse("signal", argc, argv, &pos, NULL, &vars) != CLI_OK || !pos) {
        cli_error("usage: bpmnrt signal NAME [--vars JSON|@FILE|-] [--json]");
        return CLI_USAGE;
    }
    char *owned;
    if (cli_vars_text(g, "signal", &vars, &owned) != CLI_OK)
        return CLI_FAIL;
    bpmn_engine *e = cli_open_engine(g);
    char *json = NULL;
    int rc = e ? bpmn_signal(e, pos, vars, &json) : 0;
    free(owned);
    return e ? cli_finish(e, "signal", rc, json, 1) : CLI_FAIL;
}

static long long wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* serve's options: --http [HOST:]PORT, --tls-cert FILE, --tls-key FILE, --no-auth,
 * --idle-timeout SECONDS (30), --max-connections N (256), --web DIR (the web app's files). */
static int serve_options(int argc, char **argv, sv_options *o, int *http)
{
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--no-auth") == 0) {
            o->no_auth = 1;
            continue;
        }
        if (i + 1 >= argc)
            return -1;
        const char *v = argv[++i];
        if (strcmp(a, "--http") == 0) {
            static char host[64];
            const char *colon = strrchr(v, ':');
            const char *port = colon ? colon + 1 : v;
            if (colon) {
                snprintf(host, sizeof host, "%.*s", (int)(colon - v), v);
                o->host = host;
            }
            char *end;
            unsigned long p = strtoul(port, &end, 10);
            if (!*port || *end || p > 65535)
                return -1;
            o->port = (unsigned)p;
            *http = 1;
        } else if (strcmp(a, "--max-body") == 0) {
            char *end;
            unsigned long long n = strtoull(v, &end, 10);
            if (!*v || *end || n < 1024 || n > ((unsigned long long)1 << 34))
                return -1;
            o->max_body = (size_t)n;
        } else if (strcmp(a, "--idle-timeout") == 0 || strcmp(a, "--max-connections") == 0) {
            char *end;
            unsigned long n = strtoul(v, &end, 10);
            if (!*v || *end || n == 0 || n > 100000)
                return -1;
            if (a[2] == 'i')
                o->timeout_s = (unsigned)n;
            else
                o->max_connections = (unsigned)n;
        } else if (strcmp(a, "--tls-cert") == 0) {
            o->tls_cert = v;
        } else if (strcmp(a, "--tls-key") == 0) {
            o->tls_key = v;
        } else if (strcmp(a, "--web") == 0) {
            o->web_dir = v;
        } else {
            return -1;
        }
    }
    if ((o->tls_cert != NULL) != (o->tls_key != NULL))
        return -1;
    return 0;
}

int cli_serve(const cli_globals *g, int argc, char **argv)
{
    sv_options so;
    memset(&so, 0, sizeof so);
    int http = 0;
    if (serve_options(argc, argv, &so, &http) != 0 ||
        (!http && (so.no_auth || so.tls_cert || so.web_dir))) {
        cli_error("usage: bpmnrt [--db PATH] serve [--http [HOST:]PORT [--tls-cert FILE --tls-key "
                  "FILE] [--no-auth] [--idle-timeout SECONDS] [--max-connections N] [--web DIR]]");
        return CLI_USAGE;
    }
    if (g->now) {
        cli_error("serve runs on the system clock; --now does not apply");
        return CLI_USAGE;
    }
    bpmn_engine *e = cli_open_engine(g);
    if (!e)
        return CLI_FAIL;
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
    /* Any commit by another process writes the store file: that wakes us to look again. */
    int ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (sfd < 0 || ifd < 0 || inotify_add_watch(ifd, g->db, IN_MODIFY) < 0) {
        cli_error("serve: cannot watch %s: %s", g->db, strerror(errno));
        bpmn_engine_close(e);
        return CLI_FAIL;
    }
    sv_server *srv = NULL;
    if (http) {
        unsigned long users = 0;
        if (!so.no_auth && (bpmn_user_count(e, &users) != BPMN_OK || users == 0)) {
            cli_error("serve: the store %s has no users: add one (bpmnrt user add NAME --admin) "
                      "or serve without authentication (--no-auth)", g->db);
            bpmn_engine_close(e);
            close(ifd);
            close(sfd);
            return CLI_FAIL;
        }
        if (!so.web_dir && getenv("BPMNRT_WEB_DIR") && *getenv("BPMNRT_WEB_DIR"))
            so.web_dir = getenv("BPMNRT_WEB_DIR");
        so.engine.path = g->db;
        so.engine.history_level = g->history_level;
        so.engine.limits = g->limits;
        char err[512];
        if (!(srv = sv_start(&so, err, sizeof err))) {
            cli_error("serve: %s", err);
            bpmn_engine_close(e);
            close(ifd);
            close(sfd);
            return CLI_FAIL;
        }
        if (so.no_auth)
            fprintf(stderr, "bpmnrt: WARNING: serving without authentication (--no-auth): anyone "
                            "who can reach the port may do anything\n");
        fprintf(stderr, "bpmnrt: serving HTTP%s on %s:%u (/engine-rest, /api)\n",
                so.tls_cert ? "S" : "", so.host ? so.host : "127.0.0.1", sv_port(srv));
    }
    fprintf(stderr, "bpmnrt: serving %s (SIGINT or SIGTERM stops)\n", g->db);
    int status = CLI_OK;
    long long next_purge = 0;
    for (;;) {
        if (wall_ms() >= next_purge) {
            /* Each process's history time to live, honoured hourly. */
            unsigned long long purged = 0;
            if (bpmn_purge_expired(e, &purged) != BPMN_OK)
                cli_error("serve: purge: %s", bpmn_engine_errmsg(e));
            else if (purged)
                fprintf(stderr, "bpmnrt: purged %llu finished instances past their time to live\n",
                        purged);
            next_purge = wall_ms() + 3600000;
        }
        char *json = NULL;
        int rc = bpmn_tick(e, &json);
        if (rc != BPMN_OK) {
            cli_error("serve: %s", bpmn_engine_errmsg(e));
            status = CLI_FAIL;
            break;
        }
        if (!strstr(json, "\"fired\":0"))
            fprintf(stderr, "bpmnrt: %s\n", json);
        if (srv) /* a fired timer or another process's commit may have made a job */
            sv_notify(srv);
        bpmn_free(e, json);
        long long due = 0;
        int timeout = -1;
        if (bpmn_next_timer(e, &due) == BPMN_OK) {
            long long wait = due - wall_ms();
            timeout = wait < 0 ? 0 : wait > 3600000 ? 3600000 : (int)wait;
        } else {
            timeout = 3600000; /* the hourly purge */
        }
        struct pollfd fds[2] = {{sfd, POLLIN, 0}, {ifd, POLLIN, 0}};
        int n = poll(fds, 2, timeout);
        if (n < 0 && errno != EINTR)
            break;
        if (fds[0].revents & POLLIN)
            break;
        if (fds[1].revents & POLLIN) {
            char buf[4096];
            while (read(ifd, buf, sizeof buf) > 0) {
            }
        }
    }
    /* In-flight requests finish and commit before the server's threads end. */
    sv_stop(srv);
    fprintf(stderr, "bpmnrt: serve stopped\n");
    close(ifd);
    close(sfd);
    bpmn_engine_close(e);
    return status;
}
