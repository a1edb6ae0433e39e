/*
 * cmd_users.c - the users and grants of the server: user add|passwd|remove, users, grant,
 * revoke, grants. A password never comes from an argument (other users of the machine could
 * read it in the process list): it is the first line of standard input, typed without echo when
 * that is a terminal.
 */
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"

#define PASSWORD_CAP 4096

static const char user_usage[] =
    "usage: bpmnrt user add NAME [--groups G1,G2] [--admin] | user passwd NAME | user remove NAME";

/* Overwrites a buffer that held a password, in a way the compiler may not drop. */
static void wipe(char *p, size_t n)
{
    volatile char *v = p;
    while (n--)
        *v++ = 0;
}

/* Reads one line from f into buf (without its line end). 0, or -1 when there is none or it is
 * longer than PASSWORD_CAP bytes. */
static int read_line(FILE *f, char *buf, size_t cap)
{
    if (!fgets(buf, (int)cap, f))
        return -1;
    size_t n = strlen(buf);
    if (n && buf[n - 1] == '\n')
        buf[--n] = '\0';
    else if (!feof(f))
        return -1; /* longer than the buffer */
    if (n && buf[n - 1] == '\r')
        buf[--n] = '\0';
    return 0;
}

/* Prompts on the terminal with echo off; restores the terminal whatever happens. */
static int read_hidden(const char *prompt, char *buf, size_t cap)
{
    struct termios old, quiet;
    int have = tcgetattr(STDIN_FILENO, &old) == 0;
    fputs(prompt, stderr);
    fflush(stderr);
    if (have) {
        quiet = old;
        quiet.c_lflag &= (tcflag_t)~ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    int rc = read_line(stdin, buf, cap);
    if (have)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    fputc('\n', stderr);
    return rc;
}

/* The new password of a user: from the terminal (typed twice) or the first line of stdin. */
static int read_password(const char *cmd, const char *name, char *buf, size_t cap)
{
    if (!isatty(STDIN_FILENO)) {
        if (read_line(stdin, buf, cap) != 0) {
            cli_error("%s: no password on standard input (its first line, at most %d bytes)",
                      cmd, PASSWORD_CAP);
            return CLI_FAIL;
        }
        return CLI_OK;
    }
    char again[PASSWORD_CAP + 2], prompt[128];
    snprintf(prompt, sizeof prompt, "Password for %s: ", name);
    int rc = read_hidden(prompt, buf, cap);
    if (rc == 0)
        rc = read_hidden("Again: ", again, sizeof again);
    if (rc == 0 && strcmp(buf, again) != 0) {
        cli_error("%s: the two passwords differ", cmd);
        rc = -1;
    } else if (rc != 0) {
        cli_error("%s: no password read", cmd);
    }
    wipe(again, sizeof again);
    return rc == 0 ? CLI_OK : CLI_FAIL;
}

/* Ends a command that prints nothing on success. */
static int done(bpmn_engine *e, const char *cmd, int rc)
{
    if (rc != BPMN_OK)
        return cli_finish(e, cmd, rc, NULL, 0);
    bpmn_engine_close(e);
    return CLI_OK;
}

int cli_user(const cli_globals *g, int argc, char **argv)
{
    const char *sub = argc > 0 ? argv[0] : "", *name = NULL, *groups = NULL;
    int admin = 0, add = strcmp(sub, "add") == 0;
    if (!add && strcmp(sub, "passwd") != 0 && strcmp(sub, "remove") != 0) {
        cli_error("%s", user_usage);
        return CLI_USAGE;
    }
    for (int i = 1; i < argc; i++) {
        if (add && strcmp(argv[i], "--admin") == 0) {
            admin = 1;
        } else if (add && strcmp(argv[i], "--groups") == 0 && i + 1 < argc) {
            groups = argv[++i];
        } else if (strncmp(argv[i], "--", 2) == 0 || name) {
            if (strcmp(argv[i], "--password") == 0)
                cli_error("user %s: the password is read from standard input, never from an "
                          "argument", sub);
            cli_error("%s", user_usage);
            return CLI_USAGE;
        } else {
            name = argv[i];
        }
    }
    if (!name) {
        cli_error("%s", user_usage);
        return CLI_USAGE;
    }
    char cmd[32];
    snprintf(cmd, sizeof cmd, "user %s", sub);
    char pw[PASSWORD_CAP + 2];
    pw[0] = '\0';
    if (strcmp(sub, "remove") != 0 && read_password(cmd, name, pw, sizeof pw) != CLI_OK)
        return CLI_FAIL;
    bpmn_engine *e = cli_open_engine(g);
    int rc = BPMN_OK;
    if (e && add)
        rc = bpmn_user_add(e, name, pw, groups, admin);
    else if (e && sub[0] == 'p')
        rc = bpmn_user_passwd(e, name, pw);
    else if (e)
        rc = bpmn_user_remove(e, name);
    wipe(pw, sizeof pw);
    return e ? done(e, cmd, rc) : CLI_FAIL;
}

/* users and grants: [--json] and nothing else. */
static int list(const cli_globals *g, const char *cmd, int argc, char **argv,
                int (*fn)(bpmn_engine *e, char **json_out))
{
    int json = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--json") != 0) {
            cli_error("usage: bpmnrt %s [--json]", cmd);
            return CLI_USAGE;
        }
        json = 1;
    }
    bpmn_engine *e = cli_open_engine(g);
    if (!e)
        return CLI_FAIL;
    char *out = NULL;
    int rc = fn(e, &out);
    return cli_finish(e, cmd, rc, out, json);
}

int cli_users(const cli_globals *g, int argc, char **argv)
{
    return list(g, "users", argc, argv, bpmn_users);
}

int cli_grants(const cli_globals *g, int argc, char **argv)
{
    return list(g, "grants", argc, argv, bpmn_grants);
}

/* grant|revoke WHO RIGHT PROCESS */
static int grant_cmd(const cli_globals *g, const char *cmd, int argc, char **argv,
                     int (*fn)(bpmn_engine *e, const char *who, const char *right,
                               const char *process))
{
    if (argc != 3 || strncmp(argv[0], "--", 2) == 0 || strncmp(argv[1], "--", 2) == 0 ||
        strncmp(argv[2], "--", 2) == 0) {
        cli_error("usage: bpmnrt %s GROUP|user:NAME start|read|work|admin|read-own|work-own "
                  "PROCESS|*", cmd);
        return CLI_USAGE;
    }
    bpmn_engine *e = cli_open_engine(g);
    if (!e)
        return CLI_FAIL;
    return done(e, cmd, fn(e, argv[0], argv[1], argv[2]));
}

int cli_grant(const cli_globals *g, int argc, char **argv)
{
    return grant_cmd(g, "grant", argc, argv, bpmn_grant);
}

int cli_revoke(const cli_globals *g, int argc, char **argv)
{
    return grant_cmd(g, "revoke", argc, argv, bpmn_revoke);
}
