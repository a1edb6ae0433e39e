/*
 * cli.h - shared pieces of the bpmnrt command: global options and the command table.
 */
#ifndef BPMNRT_CLI_H
#define BPMNRT_CLI_H

#include "bpmnrt.h"

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

typedef struct cli_globals {
    const char *db;  /* --db, else $BPMNRT_DB, else ./bpmnrt.db */
    const char *now; /* --now, NULL for the system clock */
    int history_level; /* --history-level full|activity|none */
    bpmn_limits limits; /* --limit NAME=N, repeatable; 0: the default */
} cli_globals;

int cli_validate(const cli_globals *g, int argc, char **argv);
int cli_deploy(const cli_globals *g, int argc, char **argv);
int cli_start(const cli_globals *g, int argc, char **argv);
int cli_show(const cli_globals *g, int argc, char **argv);
int cli_instances(const cli_globals *g, int argc, char **argv);
int cli_tasks(const cli_globals *g, int argc, char **argv);
int cli_complete(const cli_globals *g, int argc, char **argv);
int cli_task(const cli_globals *g, int argc, char **argv);
int cli_claim(const cli_globals *g, int argc, char **argv);
int cli_unclaim(const cli_globals *g, int argc, char **argv);
int cli_jobs(const cli_globals *g, int argc, char **argv);
int cli_job(const cli_globals *g, int argc, char **argv);
int cli_history(const cli_globals *g, int argc, char **argv);
int cli_cancel(const cli_globals *g, int argc, char **argv);
int cli_suspend(const cli_globals *g, int argc, char **argv);
int cli_resume(const cli_globals *g, int argc, char **argv);
int cli_set_vars(const cli_globals *g, int argc, char **argv);
int cli_retry(const cli_globals *g, int argc, char **argv);
int cli_migrate(const cli_globals *g, int argc, char **argv);
int cli_definitions(const cli_globals *g, int argc, char **argv);
int cli_report(const cli_globals *g, int argc, char **argv);
int cli_purge(const cli_globals *g, int argc, char **argv);
int cli_export(const cli_globals *g, int argc, char **argv);
int cli_tick(const cli_globals *g, int argc, char **argv);
int cli_serve(const cli_globals *g, int argc, char **argv);
int cli_correlate(const cli_globals *g, int argc, char **argv);
int cli_signal(const cli_globals *g, int argc, char **argv);
/* The users and grants of the server (cmd_users.c). */
int cli_user(const cli_globals *g, int argc, char **argv);
int cli_users(const cli_globals *g, int argc, char **argv);
int cli_grant(const cli_globals *g, int argc, char **argv);
int cli_revoke(const cli_globals *g, int argc, char **argv);
int cli_grants(const cli_globals *g, int argc, char **argv);
/* Parses an ISO 8601 date or date-time (Z, an offset, or none for UTC) into ms since the epoch. */
int cli_parse_time(const char *s, long long *ms);

/* The options of the engine commands, filled by cli_parse_args. */
typedef struct cli_args {
    int json, overdue, csv;
    const char *vars, *key, *process, *state, *instance, *assignee, *group, *type, *message,
        *error, *user, *groups, *candidate, *out;
    unsigned long long since;
    int version, retries, limit, offset;
    const char *pos[4];
    int npos;
} cli_args;

/* Options every engine command understands; an unknown one is a usage error (cmd_engine.c). */
int cli_parse_args(const char *cmd, int argc, char **argv, cli_args *a);

/* --vars VALUE as JSON text: VALUE itself, @FILE (a regular file of at most the file-bytes
 * limit) or - (standard input, the same limit). A file or stdin replaces *vars by its text, which
 * *owned then holds for the caller to free (else *owned is NULL). CLI_OK, or CLI_FAIL after a
 * message. */
int cli_vars_text(const cli_globals *g, const char *cmd, const char **vars, char **owned);

/* Opens the engine on --db with --now applied; NULL (after a message) when that fails. */
bpmn_engine *cli_open_engine(const cli_globals *g);
/* Reports an operation: on success prints its JSON (as is with as_json, else indented), on
 * failure the engine's message on stderr; closes the engine; returns the exit code. */
int cli_finish(bpmn_engine *e, const char *cmd, int rc, char *json, int as_json);

/* A list printed as it is read (cmd_reports.c): pass cli_list_item and a zeroed cli_list to a
 * bpmn_*_each function, then cli_list_end with its status. The output is the JSON array the
 * list functions return (indented unless as_json), written one item at a time. */
typedef struct cli_list {
    int as_json;
    size_t n;
} cli_list;
int cli_list_item(void *ud, const char *json);
/* Closes the array and the engine; on failure the message goes to stderr and the array stays
 * unclosed, so that a reader cannot take a cut list for a whole one. Returns the exit code. */
int cli_list_end(bpmn_engine *e, const char *cmd, int rc, cli_list *l);

/* Prints "bpmnrt: " and the message to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
