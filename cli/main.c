/*
 * main.c - the bpmnrt command: global options, then one command. Exit codes follow DESIGN.md:
 * 0 success, 1 refused or failed, 2 usage error.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const struct {
    const char *name;
    int (*run)(const cli_globals *g, int argc, char **argv);
    const char *help;
} commands[] = {
    {"validate", cli_validate, "validate FILE... [--json]                 load and check BPMN files"},
    {"deploy", cli_deploy, "deploy FILE... [--json]                   store a new version of each process"},
    {"start", cli_start, "start PROCESS [--vars JSON] [--key K] [--version N]"},
    {"show", cli_show, "show INSTANCE [--json]"},
    {"instances", cli_instances, "instances [--process P] [--state S] [--limit N] [--offset N] [--json]"},
    {"tasks", cli_tasks, "tasks [--instance ID] [--process P] [--assignee U] [--candidate U] [--group G]\n"
                         "        [--user U [--groups G1,G2]] [--overdue] [--limit N] [--offset N] [--json]"},
    {"claim", cli_claim, "claim TASK --user U [--groups G1,G2] [--json]"},
    {"unclaim", cli_unclaim, "unclaim TASK [--user U] [--json]"},
    {"complete", cli_complete, "complete TASK [--user U] [--groups G1,G2] [--vars JSON] [--json]"},
    {"task", cli_task, "task error TASK --code CODE [--message M] [--vars JSON] [--user U] [--json]"},
    {"jobs", cli_jobs, "jobs [--type T] [--limit N] [--offset N] [--json]"},
    {"job", cli_job, "job complete ID [--vars JSON] | job fail ID --message M [--retries N] [--error CODE]"},
    {"history", cli_history, "history [INSTANCE] [--since SEQ] [--limit N] [--offset N] [--json]"},
    {"report", cli_report, "report funnel [--process P] [--group-by VAR] | durations [--process P]\n"
                           "        | tasks [--process P] [--from T --to T]   (--json or --csv)"},
    {"purge", cli_purge, "purge --completed-before TIME [--process P] [--json]"},
    {"export", cli_export, "export --out FILE [--since SEQ]           all history as NDJSON, one event a line"},
    {"definitions", cli_definitions, "definitions [--json]                      deployed processes and versions"},
    {"cancel", cli_cancel, "cancel INSTANCE [--json]"},
    {"suspend", cli_suspend, "suspend INSTANCE [--json]"},
    {"resume", cli_resume, "resume INSTANCE [--json]"},
    {"set-vars", cli_set_vars, "set-vars INSTANCE --vars JSON [--json]"},
    {"retry", cli_retry, "retry INSTANCE [--json]"},
    {"migrate", cli_migrate, "migrate INSTANCE --to-version N [--map OLD=NEW,...] [--json]"},
    {"tick", cli_tick, "tick [--json]                             fire every timer due at --now"},
    {"serve", cli_serve, "serve                                     fire timers when due until SIGINT/SIGTERM"},
    {"correlate", cli_correlate, "correlate MESSAGE [--key K] [--vars JSON] [--json]"},
    {"signal", cli_signal, "signal NAME [--vars JSON] [--json]"},
    {"user", cli_user, "user add NAME [--groups G1,G2] [--admin] | user passwd NAME | user remove NAME\n"
                       "        (the password: the first line of standard input)"},
    {"users", cli_users, "users [--json]                            the users of the server"},
    {"grant", cli_grant, "grant GROUP|user:NAME RIGHT PROCESS|*     RIGHT: start, read, work, admin, read-own, work-own"},
    {"revoke", cli_revoke, "revoke GROUP|user:NAME RIGHT PROCESS|*    take a grant back"},
    {"grants", cli_grants, "grants [--json]                           what users may do through the server"},
};

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("bpmnrt: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void usage(FILE *to)
{
    fprintf(to, "usage: bpmnrt [--db PATH] [--now TIME] [--history-level full|activity|none] "
                "[--limit NAME=N]... COMMAND [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(to, "  %s\n", commands[i].help);
}

/* --limit NAME=N: one field of bpmn_limits (docs/limits.md); 0 or a bad value is refused, so
 * that a typo never silently means "the default". */
static int set_limit(bpmn_limits *l, const char *spec)
{
    static const char *const names[] = {"file-bytes",     "expr-depth",   "expr-steps",
                                        "run-steps",      "tokens",       "call-depth",
                                        "mi-instances",   "xml-attributes", "xml-elements",
                                        "xml-nodes"};
    const char *eq = strchr(spec, '=');
    char *end = NULL;
    errno = 0;
    unsigned long long v = eq && eq[1] >= '0' && eq[1] <= '9' ? strtoull(eq + 1, &end, 10) : 0;
    if (!v || errno || !end || *end)
        return -1;
    size_t k = 0, n = (size_t)(eq - spec);
    while (k < sizeof names / sizeof names[0] && !(strlen(names[k]) == n && strncmp(spec, names[k], n) == 0))
        k++;
    unsigned long ul = v > ULONG_MAX ? ULONG_MAX : (unsigned long)v;
    unsigned u = v > UINT_MAX ? UINT_MAX : (unsigned)v;
    switch (k) {
    case 0: l->max_file_bytes = v > SIZE_MAX ? SIZE_MAX : (size_t)v; return 0;
    case 1: l->expr_depth = u; return 0;
    case 2: l->expr_steps = ul; return 0;
    case 3: l->run_steps = ul; return 0;
    case 4: l->tokens = ul; return 0;
    case 5: l->call_depth = u; return 0;
    case 6: l->mi_instances = ul; return 0;
    case 7: l->xml_attributes = ul; return 0;
    case 8: l->xml_elements = ul; return 0;
    case 9: l->xml_nodes = ul; return 0;
    default: return -1;
    }
}

int main(int argc, char **argv)
{
    cli_globals g;
    memset(&g, 0, sizeof g);
    g.db = getenv("BPMNRT_DB");
    g.history_level = BPMN_HISTORY_FULL;
    if (!g.db || !*g.db)
        g.db = "./bpmnrt.db";
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        const char *opt = argv[i];
        if (strcmp(opt, "--help") == 0) {
            usage(stdout);
            return CLI_OK;
        }
        if (strcmp(opt, "--version") == 0) {
            printf("bpmnrt %s\n", BPMNRT_VERSION_STRING);
            return CLI_OK;
        }
        if (strcmp(opt, "--history-level") == 0 && i + 1 < argc) {
            const char *lv = argv[++i];
            g.history_level = strcmp(lv, "full") == 0       ? BPMN_HISTORY_FULL
                              : strcmp(lv, "activity") == 0 ? BPMN_HISTORY_ACTIVITY
                              : strcmp(lv, "none") == 0     ? BPMN_HISTORY_NONE
                                                            : -1;
            if (g.history_level < 0) {
                cli_error("--history-level takes full, activity or none, not '%s'", lv);
                return CLI_USAGE;
            }
            continue;
        }
        if (strcmp(opt, "--limit") == 0 && i + 1 < argc) {
            if (set_limit(&g.limits, argv[++i]) != 0) {
                cli_error("--limit takes NAME=N with N > 0 and NAME one of file-bytes, expr-depth, "
                          "expr-steps, run-steps, tokens, call-depth, mi-instances, xml-attributes, "
                          "xml-elements, xml-nodes; not '%s'",
                          argv[i]);
                return CLI_USAGE;
            }
            continue;
        }
        if ((strcmp(opt, "--db") == 0 || strcmp(opt, "--now") == 0) && i + 1 < argc) {
            if (opt[2] == 'd')
                g.db = argv[++i];
            else
                g.now = argv[++i];
            continue;
        }
        cli_error("unknown or incomplete global option '%s'", opt);
        usage(stderr);
        return CLI_USAGE;
    }
    if (i >= argc) {
        usage(stderr);
        return CLI_USAGE;
    }
    for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++)
        if (strcmp(argv[i], commands[k].name) == 0)
            return commands[k].run(&g, argc - i - 1, argv + i + 1);
    cli_error("unknown command '%s'", argv[i]);
    usage(stderr);
    return CLI_USAGE;
}
