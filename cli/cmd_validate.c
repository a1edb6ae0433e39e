/*
 * cmd_validate.c - `bpmnrt validate FILE... [--json]`: every diagnostic of every file, as
 * FILE:LINE: error|warning: ID: text, or one JSON document.
 */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"

static const char *sev_name(bpmn_severity s)
{
    return s == BPMN_SEV_ERROR ? "error" : "warning";
}

static int add_file_json(cJSON *files, const char *path, const bpmn_report *r)
{
    cJSON *f = cJSON_CreateObject();
    if (!f || !cJSON_AddItemToArray(files, f))
        return -1;
    cJSON *diags = cJSON_CreateArray();
    if (!cJSON_AddStringToObject(f, "file", path) ||
        !cJSON_AddBoolToObject(f, "valid", bpmn_report_errors(r) == 0) || !diags ||
        !cJSON_AddItemToObject(f, "diagnostics", diags))
        return -1;
    for (size_t i = 0; i < bpmn_report_count(r); i++) {
        const bpmn_diagnostic *d = bpmn_report_get(r, i);
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(diags, o) ||
            !cJSON_AddNumberToObject(o, "line", d->line) ||
            !cJSON_AddStringToObject(o, "severity", sev_name(d->severity)) ||
            !cJSON_AddStringToObject(o, "element", d->element) ||
            !cJSON_AddStringToObject(o, "message", d->message))
            return -1;
    }
    return 0;
}

static void print_text(const char *path, const bpmn_report *r)
{
    for (size_t i = 0; i < bpmn_report_count(r); i++) {
        const bpmn_diagnostic *d = bpmn_report_get(r, i);
        if (d->element[0])
            printf("%s:%u: %s: %s: %s\n", path, d->line, sev_name(d->severity), d->element,
                   d->message);
        else
            printf("%s:%u: %s: %s\n", path, d->line, sev_name(d->severity), d->message);
    }
    if (bpmn_report_errors(r) == 0)
        printf("%s: valid (%zu executable process%s)\n", path, bpmn_report_processes(r),
               bpmn_report_processes(r) == 1 ? "" : "es");
}

int cli_validate(const cli_globals *g, int argc, char **argv)
{
    bpmn_load_options lo = {0};
    lo.max_bytes = g->limits.max_file_bytes;
    lo.expr_depth = g->limits.expr_depth;
    lo.xml_attributes = g->limits.xml_attributes;
    lo.xml_elements = g->limits.xml_elements;
    lo.xml_nodes = g->limits.xml_nodes;
    int json = 0, nfiles = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (strncmp(argv[i], "--", 2) == 0) {
            cli_error("validate: unknown option '%s'", argv[i]);
            return CLI_USAGE;
        } else
            nfiles++;
    }
    if (!nfiles) {
        cli_error("usage: bpmnrt validate FILE... [--json]");
        return CLI_USAGE;
    }
    cJSON *doc = json ? cJSON_CreateObject() : NULL;
    cJSON *files = json ? cJSON_AddArrayToObject(doc, "files") : NULL;
    if (json && !files) {
        cJSON_Delete(doc);
        cli_error("validate: out of memory");
        return CLI_FAIL;
    }
    int invalid = 0;
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "--", 2) == 0)
            continue;
        bpmn_report *r = NULL;
        int rc = bpmn_validate_file(argv[i], &lo, &r);
        if (rc != BPMN_OK) {
            cJSON_Delete(doc);
            cli_error("validate: %s: %s", argv[i], bpmn_strerror(rc));
            return CLI_FAIL;
        }
        if (bpmn_report_errors(r))
            invalid = 1;
        if (json) {
            if (add_file_json(files, argv[i], r) != 0) {
                bpmn_report_free(r);
                cJSON_Delete(doc);
                cli_error("validate: out of memory");
                return CLI_FAIL;
            }
        } else {
            print_text(argv[i], r);
        }
        bpmn_report_free(r);
    }
    if (json) {
        char *s = cJSON_PrintUnformatted(doc);
        if (!s) {
            cJSON_Delete(doc);
            cli_error("validate: out of memory");
            return CLI_FAIL;
        }
        puts(s);
        cJSON_free(s);
        cJSON_Delete(doc);
    }
    return invalid ? CLI_FAIL : CLI_OK;
}
