/*
 * test_samples.c - the CRM samples end to end, the way an operator runs them: every step is a
 * separate `bpmnrt` process against one temporary store, with --now as the clock. Contractor
 * registration (a tax check whose worker throws UNRELIABLE, a call activity that starts the
 * quality monitoring as a child with quarterly timer reviews, a failed review ending the
 * agreement) and the business-card order (a start form with required fields and allowed values,
 * tasks routed to roles and to the manager who took the order, a layout sent back to design).
 * And the incoming lead, path by path: called in time (with or without the 5-minute reminder),
 * called but not reached, not called within 10 minutes (escalated to the head of sales, called
 * again 2 hours later, then the next day), and a rejected request.
 */
#define _DEFAULT_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "test_util.h"

#define SAMPLES BPMNRT_SOURCE_DIR "/samples/"
#define REGISTRATION SAMPLES "contractor-registration.bpmn"
#define MONITORING SAMPLES "contractor-quality-monitoring.bpmn"
#define CARDS SAMPLES "business-card-order.bpmn"
#define LEAD SAMPLES "incoming-lead.bpmn"
#define T0 "2026-03-02T09:00:00Z"

static char db[64];
static char last_err[4096];

static void fresh_db(void)
{
    tu_store_path(db);
}

static void remove_db(void)
{
    tu_store_remove(db);
}

/* Runs `bpmnrt --db DB --now NOW ARGS... --json` (arguments end with NULL) and asserts the exit
 * code. On success returns the parsed output; on failure asserts that stdout is empty and
 * stderr is not, keeps stderr in last_err and returns NULL. */
static cJSON *cli(int expect, const char *now, ...)
{
    char *args[32];
    int k = 0;
    args[k++] = "--db";
    args[k++] = db;
    args[k++] = "--now";
    args[k++] = (char *)now;
    va_list ap;
    va_start(ap, now);
    for (const char *a; (a = va_arg(ap, const char *)) != NULL && k < 29;)
        args[k++] = (char *)a;
    va_end(ap);
    args[k++] = "--json";
    args[k] = NULL;
    char *out, *err;
    int rc = tu_cli(args, &out, &err);
    if (rc != expect)
        fprintf(stderr, "\n%s %s: exit %d, expected %d\nstdout: %s\nstderr: %s\n", args[4],
                args[5] ? args[5] : "", rc, expect, out, err);
    CU_ASSERT_EQUAL(rc, expect);
    /* Under -DBPMNRT_SANITIZE=ON a report exits 1 too: a refusal must not hide one. */
    CU_ASSERT_PTR_NULL(strstr(err, "Sanitizer"));
    CU_ASSERT_PTR_NULL(strstr(err, "runtime error:"));
    snprintf(last_err, sizeof last_err, "%s", err);
    cJSON *j = NULL;
    if (rc == 0) {
        j = cJSON_Parse(out);
        CU_ASSERT_PTR_NOT_NULL(j);
    } else {
        CU_ASSERT_STRING_EQUAL(out, "");
        CU_ASSERT(strlen(err) > 0);
    }
    free(out);
    free(err);
    return j;
}

/* Asserts the last refused command's message contains needle. */
static void said(const char *needle)
{
    if (!strstr(last_err, needle))
        fprintf(stderr, "\nexpected '%s' in: %s\n", needle, last_err);
    CU_ASSERT_PTR_NOT_NULL(strstr(last_err, needle));
}

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static int has_string(const cJSON *arr, const char *s)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, arr)
        if (cJSON_IsString(x) && strcmp(x->valuestring, s) == 0)
            return 1;
    return 0;
}

/* The id of the only open task of the instance, asserting where it waits, its name, and who may
 * do it: the assignee (NULL: none) and one candidate group (NULL: none). */
static const char *task_at(const char *inst, const char *element, const char *name,
                           const char *assignee, const char *group)
{
    static char id[32];
    id[0] = '\0';
    cJSON *t = cli(0, T0, "tasks", "--instance", inst, NULL);
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(t), 1);
    cJSON *x = cJSON_GetArrayItem(t, 0);
    CU_ASSERT_STRING_EQUAL(str(x, "element"), element);
    CU_ASSERT_STRING_EQUAL(str(x, "name"), name);
    CU_ASSERT_STRING_EQUAL(str(x, "instance"), inst);
    if (assignee) {
        CU_ASSERT_STRING_EQUAL(str(x, "assignee"), assignee);
    } else {
        CU_ASSERT(cJSON_IsNull(cJSON_GetObjectItem(x, "assignee")));
    }
    cJSON *groups = cJSON_GetObjectItem(x, "candidateGroups");
    if (group) {
        CU_ASSERT_EQUAL(cJSON_GetArraySize(groups), 1);
        CU_ASSERT(has_string(groups, group));
    } else {
        CU_ASSERT_EQUAL(cJSON_GetArraySize(groups), 0);
    }
    snprintf(id, sizeof id, "%s", str(x, "id"));
    cJSON_Delete(t);
    return id;
}

static void no_open_tasks(const char *inst)
{
    cJSON *t = cli(0, T0, "tasks", "--instance", inst, NULL);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(t), 0);
    cJSON_Delete(t);
}

/* The id of the only job of a type, asserting the instance and element it belongs to. */
static const char *job_of(const char *type, const char *inst, const char *element)
{
    static char id[32];
    id[0] = '\0';
    cJSON *j = cli(0, T0, "jobs", "--type", type, NULL);
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(j), 1);
    cJSON *x = cJSON_GetArrayItem(j, 0);
    CU_ASSERT_STRING_EQUAL(str(x, "instance"), inst);
    CU_ASSERT_STRING_EQUAL(str(x, "element"), element);
    snprintf(id, sizeof id, "%s", str(x, "id"));
    cJSON_Delete(j);
    return id;
}

static void start(const char *process, const char *vars, const char *key, char *inst)
{
    cJSON *s = key ? cli(0, T0, "start", process, "--vars", vars, "--key", key, NULL)
                   : cli(0, T0, "start", process, "--vars", vars, NULL);
    CU_ASSERT_STRING_EQUAL(str(s, "state"), "active");
    snprintf(inst, 32, "%s", str(s, "instance"));
    cJSON_Delete(s);
}

/* Completes a task as a user of a group at a time; asserts the instance's resulting state. */
static void complete_as(const char *now, const char *task, const char *user, const char *groups,
                        const char *vars, const char *state)
{
    cJSON *c = vars ? cli(0, now, "complete", task, "--user", user, "--groups", groups, "--vars",
                          vars, NULL)
                    : cli(0, now, "complete", task, "--user", user, "--groups", groups, NULL);
    CU_ASSERT_STRING_EQUAL(str(c, "state"), state);
    cJSON_Delete(c);
}

/* A completion by someone the task is not for is refused and the task stays open. */
static void refused_for(const char *task, const char *user, const char *groups)
{
    cJSON_Delete(cli(1, T0, "complete", task, "--user", user, "--groups", groups, NULL));
    said(user);
    cJSON *t = cli(0, T0, "tasks", NULL);
    int open = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, t)
        open += strcmp(str(x, "id"), task) == 0;
    CU_ASSERT_EQUAL(open, 1);
    cJSON_Delete(t);
}

static cJSON *show(const char *inst)
{
    cJSON *s = cli(0, T0, "show", inst, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    return s;
}

static void expect_state(const char *inst, const char *state)
{
    cJSON *s = show(inst);
    CU_ASSERT_STRING_EQUAL(str(s, "state"), state);
    cJSON_Delete(s);
}

static void expect_waiting(const char *inst, const char *element)
{
    cJSON *s = show(inst);
    cJSON *w = cJSON_GetObjectItem(s, "waiting");
    CU_ASSERT_EQUAL(cJSON_GetArraySize(w), 1);
    CU_ASSERT(has_string(w, element));
    cJSON_Delete(s);
}

/* How many events of a type at an element (NULL: any) the instance's history holds; the time of
 * the last one goes into when (when not NULL). */
static int events(const char *inst, const char *type, const char *element, char *when)
{
    cJSON *h = cli(0, T0, "history", inst, NULL);
    int n = 0;
    const cJSON *ev;
    cJSON_ArrayForEach(ev, h) {
        if (strcmp(str(ev, "type"), type) != 0)
            continue;
        if (element && strcmp(str(ev, "element"), element) != 0)
            continue;
        n++;
        if (when)
            snprintf(when, 32, "%s", str(ev, "time"));
    }
    cJSON_Delete(h);
    return n;
}

static int fired(const char *now)
{
    cJSON *t = cli(0, now, "tick", NULL);
    int n = cJSON_GetObjectItem(t, "fired") ? cJSON_GetObjectItem(t, "fired")->valueint : -1;
    cJSON_Delete(t);
    return n;
}

static int count_instances(void)
{
    cJSON *l = cli(0, T0, "instances", NULL);
    int n = cJSON_GetArraySize(l);
    cJSON_Delete(l);
    return n;
}

/* The samples load without a single diagnostic, not even a warning. */
static void test_samples_validate_without_diagnostics(void)
{
    char *args[] = {"validate", REGISTRATION, MONITORING, CARDS, "--json", NULL};
    char *out, *err;
    CU_ASSERT_EQUAL(tu_cli(args, &out, &err), 0);
    cJSON *j = cJSON_Parse(out);
    cJSON *files = cJSON_GetObjectItem(j, "files");
    CU_ASSERT_EQUAL(cJSON_GetArraySize(files), 3);
    const cJSON *f;
    cJSON_ArrayForEach(f, files) {
        CU_ASSERT(cJSON_IsTrue(cJSON_GetObjectItem(f, "valid")));
        int nd = cJSON_GetArraySize(cJSON_GetObjectItem(f, "diagnostics"));
        if (nd)
            fprintf(stderr, "\n%s\n", out);
        CU_ASSERT_EQUAL(nd, 0);
    }
    cJSON_Delete(j);
    free(out);
    free(err);
}

static void deploy_registration(void)
{
    cJSON *d = cli(0, T0, "deploy", REGISTRATION, MONITORING, NULL);
    cJSON *deps = cJSON_GetObjectItem(d, "deployments");
    CU_ASSERT_EQUAL(cJSON_GetArraySize(deps), 2);
    CU_ASSERT_STRING_EQUAL(str(cJSON_GetArrayItem(deps, 0), "process"), "contractor-registration");
    CU_ASSERT_STRING_EQUAL(str(cJSON_GetArrayItem(deps, 1), "process"),
                           "contractor-quality-monitoring");
    cJSON_Delete(d);
}

static void test_registration_refuses_an_application_without_valid_tax_number(void)
{
    fresh_db();
    deploy_registration();
    cJSON_Delete(cli(1, T0, "start", "contractor-registration", "--vars", "{\"taxNumber\":\"123\"}",
                     NULL));
    said("field 'taxNumber' (Tax number) must be at least 10 characters");
    said("field 'companyName' (Company name) is required");
    cJSON_Delete(cli(1, T0, "start", "contractor-registration", "--vars",
                     "{\"taxNumber\":\"77012345678901\",\"companyName\":\"Stroy LLC\"}", NULL));
    said("must be at most 12 characters");
    cJSON_Delete(cli(1, T0, "start", "contractor-registration", NULL));
    said("2 problems");
    CU_ASSERT_EQUAL(count_instances(), 0);
    cJSON *h = cli(0, T0, "history", NULL);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(h), 0);
    cJSON_Delete(h);
    cJSON *j = cli(0, T0, "jobs", NULL);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(j), 0);
    cJSON_Delete(j);
    remove_db();
}

/* The tax-check worker finds the company unreliable: the BPMN error leaves the check through
 * its boundary event, procurement informs the applicant and the registration ends "Rejected"
 * without anyone being called and without a child. */
static void test_registration_rejects_an_unreliable_company(void)
{
    fresh_db();
    deploy_registration();
    char inst[32];
    start("contractor-registration", "{\"taxNumber\":\"7701234567\",\"companyName\":\"Shady LLC\"}",
          "C-0001", inst);
    no_open_tasks(inst);
    char job[32];
    snprintf(job, sizeof job, "%s", job_of("tax-check", inst, "CheckTaxNumber"));
    cJSON *f = cli(0, "2026-03-02T09:05:00Z", "job", "fail", job, "--message",
                   "listed as an unreliable supplier", "--error", "UNRELIABLE", NULL);
    CU_ASSERT_STRING_EQUAL(str(f, "state"), "active");
    cJSON_Delete(f);
    cJSON *j = cli(0, T0, "jobs", NULL);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(j), 0);
    cJSON_Delete(j);

    char task[32];
    snprintf(task, sizeof task, "%s",
             task_at(inst, "RejectApplication", "Inform the applicant of the rejection", NULL,
                     "procurement"));
    refused_for(task, "boris", "sales");
    complete_as("2026-03-02T10:00:00Z", task, "petr", "procurement", NULL, "completed");

    cJSON *s = show(inst);
    CU_ASSERT_STRING_EQUAL(str(s, "state"), "completed");
    CU_ASSERT_STRING_EQUAL(str(s, "key"), "C-0001");
    CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(s, "children")), 0);
    cJSON_Delete(s);
    CU_ASSERT_EQUAL(events(inst, "error_thrown", "CheckTaxNumber", NULL), 1);
    CU_ASSERT_EQUAL(events(inst, "element_completed", "Unreliable", NULL), 1);
    CU_ASSERT_EQUAL(events(inst, "element_completed", "Rejected", NULL), 1);
    CU_ASSERT_EQUAL(events(inst, "task_created", "CallContractor", NULL), 0);
    char when[32] = "";
    CU_ASSERT_EQUAL(events(inst, "instance_completed", NULL, when), 1);
    CU_ASSERT_STRING_EQUAL(when, "2026-03-02T10:00:00Z");
    CU_ASSERT_EQUAL(count_instances(), 1);
    remove_db();
}

/* Runs a registration up to the call activity: tax check passed, contractor called and
 * interested, agreement signed. Returns the child's id in child. */
static void register_contractor(const char *inst, char *child)
{
    cJSON_Delete(cli(0, T0, "job", "complete", job_of("tax-check", inst, "CheckTaxNumber"), "--vars",
                     "{\"taxStatus\":\"active\"}", NULL));
    char task[32];
    snprintf(task, sizeof task, "%s",
             task_at(inst, "CallContractor", "Call the contractor", NULL, "procurement"));
    cJSON *t = cli(0, T0, "tasks", "--group", "procurement", NULL);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(t), 1);
    CU_ASSERT_STRING_EQUAL(str(cJSON_GetArrayItem(t, 0), "due"), "2026-03-04T09:00:00Z");
    cJSON_Delete(t);
    refused_for(task, "lena", "legal");
    /* The call's form wants an answer. */
    cJSON_Delete(cli(1, T0, "complete", task, "--user", "petr", "--groups", "procurement", NULL));
    said("field 'interested' (Contractor wants to work with us) is required");
    complete_as("2026-03-02T11:00:00Z", task, "petr", "procurement", "{\"interested\":true}",
                "active");
    snprintf(task, sizeof task, "%s", task_at(inst, "SignAgreement", "Sign the agreement", NULL, "legal"));
    refused_for(task, "petr", "procurement");
    complete_as("2026-03-03T15:00:00Z", task, "lena", "legal", NULL, "active");

    /* The registration waits at the call activity; the monitoring runs as its child with only
     * the mapped variables. */
    cJSON *s = show(inst);
    CU_ASSERT_STRING_EQUAL(str(s, "state"), "active");
    CU_ASSERT(has_string(cJSON_GetObjectItem(s, "waiting"), "QualityMonitoring"));
    cJSON *children = cJSON_GetObjectItem(s, "children");
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(children), 1);
    snprintf(child, 32, "%s", cJSON_GetArrayItem(children, 0)->valuestring);
    cJSON_Delete(s);
    CU_ASSERT_EQUAL(events(inst, "element_completed", "ContractorRegistered", NULL), 1);
    cJSON *c = show(child);
    CU_ASSERT_STRING_EQUAL(str(c, "process"), "contractor-quality-monitoring");
    CU_ASSERT_STRING_EQUAL(str(c, "parent"), inst);
    CU_ASSERT_STRING_EQUAL(str(c, "state"), "active");
    CU_ASSERT(has_string(cJSON_GetObjectItem(c, "waiting"), "QuarterPassed"));
    cJSON *vars = cJSON_GetObjectItem(c, "variables");
    CU_ASSERT_STRING_EQUAL(str(vars, "taxNumber"), "7701234568");
    CU_ASSERT_STRING_EQUAL(str(vars, "companyName"), "Good Works LLC");
    CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(vars, "interested")); /* not propagated */
    cJSON_Delete(c);
    no_open_tasks(child);
}

/* The happy path: the monitoring reviews the contractor every three months (a timer), reminds
 * the quality team of a review left open for 7 days, and ends when the cooperation is over;
 * the registration then ends with the last score mapped back. */
static void test_registration_monitors_quality_in_a_child_until_cooperation_ends(void)
{
    fresh_db();
    deploy_registration();
    char inst[32], child[32], task[32];
    start("contractor-registration",
          "{\"taxNumber\":\"7701234568\",\"companyName\":\"Good Works LLC\",\"contactPhone\":\"+7 495 000-00-00\"}",
          "C-0002", inst);
    register_contractor(inst, child);

    /* First review: the timer armed at signing (2026-03-03T15:00) fires three months later. */
    CU_ASSERT_EQUAL(fired("2026-06-03T14:59:00Z"), 0);
    no_open_tasks(child);
    CU_ASSERT_EQUAL(fired("2026-06-03T15:00:00Z"), 1);
    snprintf(task, sizeof task, "%s",
             task_at(child, "ReviewQuality", "Review the contractor's quality", NULL, "quality"));
    cJSON_Delete(cli(1, T0, "complete", task, "--user", "olga", "--groups", "quality", "--vars",
                     "{\"qualityScore\":7,\"continueMonitoring\":true}", NULL));
    said("must be at most 5");
    refused_for(task, "petr", "procurement");
    complete_as("2026-06-04T10:00:00Z", task, "olga", "quality",
                "{\"qualityScore\":4,\"continueMonitoring\":true}", "active");
    expect_waiting(child, "QuarterPassed");
    expect_waiting(inst, "QualityMonitoring");

    /* Second review, left open: after 7 days the quality team is reminded (a job), the review
     * stays open. */
    CU_ASSERT_EQUAL(fired("2026-09-04T10:00:00Z"), 1);
    snprintf(task, sizeof task, "%s",
             task_at(child, "ReviewQuality", "Review the contractor's quality", NULL, "quality"));
    CU_ASSERT_EQUAL(fired("2026-09-11T09:59:00Z"), 0);
    CU_ASSERT_EQUAL(fired("2026-09-11T10:00:00Z"), 1);
    cJSON_Delete(cli(0, "2026-09-11T10:01:00Z", "job", "complete",
                     job_of("notify", child, "RemindQualityTeam"), NULL));
    CU_ASSERT_EQUAL(events(child, "element_completed", "ReminderSent", NULL), 1);
    CU_ASSERT_STRING_EQUAL(task_at(child, "ReviewQuality", "Review the contractor's quality", NULL,
                                   "quality"), task);
    complete_as("2026-09-12T12:00:00Z", task, "olga", "quality",
                "{\"qualityScore\":5,\"continueMonitoring\":false}", "completed");

    /* The child ended at "Cooperation over"; the registration carried on in the same step. */
    CU_ASSERT_EQUAL(events(child, "element_completed", "MonitoringFinished", NULL), 1);
    CU_ASSERT_EQUAL(events(child, "task_completed", "ReviewQuality", NULL), 2);
    CU_ASSERT_EQUAL(events(child, "timer_fired", "QuarterPassed", NULL), 2);
    cJSON *s = show(inst);
    CU_ASSERT_STRING_EQUAL(str(s, "state"), "completed");
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(cJSON_GetObjectItem(s, "variables"), "lastQualityScore")->valueint, 5);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(s, "waiting")), 0);
    cJSON_Delete(s);
    expect_state(child, "completed");
    char when[32] = "";
    CU_ASSERT_EQUAL(events(inst, "element_completed", "CooperationEnded", NULL), 1);
    CU_ASSERT_EQUAL(events(inst, "instance_completed", NULL, when), 1);
    CU_ASSERT_STRING_EQUAL(when, "2026-09-12T12:00:00Z");
    CU_ASSERT_EQUAL(events(inst, "element_completed", "Rejected", NULL), 0);
    cJSON *l = cli(0, T0, "instances", "--state", "completed", NULL);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(l), 2);
    cJSON_Delete(l);
    remove_db();
}

/* A review scoring below 3 ends the monitoring with QUALITY_FAILED; the error reaches the
 * registration's boundary event on the call activity, and legal terminates the agreement. */
static void test_failed_quality_review_terminates_the_agreement(void)
{
    fresh_db();
    deploy_registration();
    char inst[32], child[32], task[32];
    start("contractor-registration", "{\"taxNumber\":\"7701234568\",\"companyName\":\"Good Works LLC\"}",
          NULL, inst);
    register_contractor(inst, child);
    CU_ASSERT_EQUAL(fired("2026-06-03T15:00:00Z"), 1);
    snprintf(task, sizeof task, "%s",
             task_at(child, "ReviewQuality", "Review the contractor's quality", NULL, "quality"));
    complete_as("2026-06-05T10:00:00Z", task, "olga", "quality",
                "{\"qualityScore\":2,\"continueMonitoring\":true}", "terminated");

    CU_ASSERT_EQUAL(events(child, "error_thrown", "QualityFailed", NULL), 1);
    CU_ASSERT_EQUAL(events(child, "element_completed", "MonitoringFinished", NULL), 0);
    expect_state(child, "terminated");
    no_open_tasks(child);
    cJSON *timers = cli(0, "2027-01-01T00:00:00Z", "tick", NULL); /* no review left scheduled */
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(timers, "fired")->valueint, 0);
    cJSON_Delete(timers);

    snprintf(task, sizeof task, "%s",
             task_at(inst, "TerminateAgreement", "Terminate the agreement", NULL, "legal"));
    CU_ASSERT_EQUAL(events(inst, "element_completed", "QualityFailedCaught", NULL), 1);
    refused_for(task, "olga", "quality");
    complete_as("2026-06-06T10:00:00Z", task, "lena", "legal", NULL, "completed");
    CU_ASSERT_EQUAL(events(inst, "element_completed", "CooperationTerminated", NULL), 1);
    CU_ASSERT_EQUAL(events(inst, "element_completed", "CooperationEnded", NULL), 0);
    expect_state(inst, "completed");
    remove_db();
}

#define GOOD_ORDER                                                                             \
    "{\"circulation\":500,\"colour\":\"full-colour\",\"sides\":\"two-sided\","                 \
    "\"paperType\":\"linen\",\"customerManager\":\"irina\"}"

/* Every required field and allowed value of the order form is checked at the start, every
 * problem is named, and a refused start leaves no instance and no history behind. */
static void test_card_order_refuses_missing_or_invalid_form_values(void)
{
    fresh_db();
    cJSON_Delete(cli(0, T0, "deploy", CARDS, NULL));
    cJSON_Delete(cli(1, T0, "start", "business-card-order", NULL));
    said("5 problems");
    said("field 'circulation' (Circulation) is required");
    said("field 'colour' (Colour) is required");
    said("field 'sides' (Sides) is required");
    said("field 'paperType' (Paper type) is required");
    said("field 'customerManager' (Customer manager) is required");
    cJSON_Delete(cli(1, T0, "start", "business-card-order", "--vars",
                     "{\"circulation\":500,\"colour\":\"rainbow\",\"sides\":\"three-sided\","
                     "\"paperType\":\"linen\",\"customerManager\":\"irina\"}", NULL));
    said("2 problems");
    said("field 'colour' (Colour) must be one of: black-and-white, full-colour, spot-colour");
    said("field 'sides' (Sides) must be one of: one-sided, two-sided");
    cJSON_Delete(cli(1, T0, "start", "business-card-order", "--vars",
                     "{\"circulation\":50,\"colour\":\"full-colour\",\"sides\":\"one-sided\","
                     "\"paperType\":\"cardboard\",\"customerManager\":\"irina\"}", NULL));
    said("field 'circulation' (Circulation) must be at least 100");
    said("field 'paperType' (Paper type) must be one of: matte, glossy, linen");
    cJSON_Delete(cli(1, T0, "start", "business-card-order", "--vars",
                     "{\"circulation\":20000,\"colour\":\"full-colour\",\"sides\":\"one-sided\","
                     "\"paperType\":\"matte\",\"customerManager\":\"irina\"}", NULL));
    said("field 'circulation' (Circulation) must be at most 10000");
    cJSON_Delete(cli(1, T0, "start", "business-card-order", "--vars",
                     "{\"circulation\":\"500\",\"colour\":\"full-colour\",\"sides\":\"one-sided\","
                     "\"paperType\":\"matte\",\"customerManager\":\"irina\"}", NULL));
    said("field 'circulation' (Circulation) must be a whole number");
    CU_ASSERT_EQUAL(count_instances(), 0);
    cJSON *h = cli(0, T0, "history", NULL);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(h), 0);
    cJSON_Delete(h);
    cJSON *t = cli(0, T0, "tasks", NULL);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(t), 0);
    cJSON_Delete(t);
    /* The same order with valid values starts. */
    char inst[32];
    start("business-card-order", GOOD_ORDER, NULL, inst);
    CU_ASSERT_EQUAL(count_instances(), 1);
    remove_db();
}

/* Each task goes to its role; the approval goes to the manager named in the order. A rejected
 * layout goes back to the designers; the approved one is printed and delivered. */
static void test_card_order_goes_back_to_design_until_the_customer_approves(void)
{
    fresh_db();
    cJSON_Delete(cli(0, T0, "deploy", CARDS, NULL));
    char inst[32], task[32];
    start("business-card-order", GOOD_ORDER, "BC-17", inst);
    cJSON *s = show(inst);
    CU_ASSERT_STRING_EQUAL(str(cJSON_GetObjectItem(s, "variables"), "paperType"), "linen");
    cJSON_Delete(s);

    snprintf(task, sizeof task, "%s", task_at(inst, "DesignLayout", "Design the layout", NULL, "designer"));
    cJSON *t = cli(0, T0, "tasks", "--user", "dasha", "--groups", "designer", NULL);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(t), 1);
    CU_ASSERT_STRING_EQUAL(str(cJSON_GetArrayItem(t, 0), "due"), "2026-03-04T09:00:00Z");
    cJSON_Delete(t);
    refused_for(task, "misha", "printing");
    complete_as("2026-03-03T09:00:00Z", task, "dasha", "designer", "{\"layoutFile\":\"bc-17-v1.pdf\"}",
                "active");

    snprintf(task, sizeof task, "%s",
             task_at(inst, "ApproveLayout", "Approve the layout with the customer", "irina", NULL));
    t = cli(0, T0, "tasks", "--assignee", "irina", NULL);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(t), 1);
    CU_ASSERT_STRING_EQUAL(str(cJSON_GetArrayItem(t, 0), "due"), "2026-03-04T09:00:00Z");
    cJSON_Delete(t);
    refused_for(task, "dasha", "designer");
    complete_as("2026-03-03T12:00:00Z", task, "irina", "sales",
                "{\"layoutApproved\":false,\"layoutComments\":\"bigger logo\"}", "active");

    /* Back to design: a new task for the designers. */
    snprintf(task, sizeof task, "%s", task_at(inst, "DesignLayout", "Design the layout", NULL, "designer"));
    complete_as("2026-03-04T09:00:00Z", task, "dasha", "designer", "{\"layoutFile\":\"bc-17-v2.pdf\"}",
                "active");
    snprintf(task, sizeof task, "%s",
             task_at(inst, "ApproveLayout", "Approve the layout with the customer", "irina", NULL));
    complete_as("2026-03-04T11:00:00Z", task, "irina", "sales", "{\"layoutApproved\":true}", "active");

    snprintf(task, sizeof task, "%s", task_at(inst, "PrintCards", "Print the cards", NULL, "printing"));
    refused_for(task, "dasha", "designer");
    complete_as("2026-03-06T16:00:00Z", task, "misha", "printing", NULL, "active");
    snprintf(task, sizeof task, "%s", task_at(inst, "DeliverCards", "Deliver the cards", NULL, "courier"));
    refused_for(task, "misha", "printing");
    complete_as("2026-03-07T10:00:00Z", task, "kolya", "courier", NULL, "completed");

    s = show(inst);
    CU_ASSERT_STRING_EQUAL(str(s, "state"), "completed");
    CU_ASSERT_STRING_EQUAL(str(cJSON_GetObjectItem(s, "variables"), "layoutFile"), "bc-17-v2.pdf");
    cJSON_Delete(s);
    CU_ASSERT_EQUAL(events(inst, "task_created", "DesignLayout", NULL), 2);
    CU_ASSERT_EQUAL(events(inst, "task_completed", "ApproveLayout", NULL), 2);
    CU_ASSERT_EQUAL(events(inst, "element_completed", "CardsDelivered", NULL), 1);
    char when[32] = "";
    CU_ASSERT_EQUAL(events(inst, "instance_completed", NULL, when), 1);
    CU_ASSERT_STRING_EQUAL(when, "2026-03-07T10:00:00Z");
    /* Who did what is on record. */
    cJSON *h = cli(0, T0, "history", inst, NULL);
    int by_courier = 0;
    const cJSON *ev;
    cJSON_ArrayForEach(ev, h)
        by_courier += strcmp(str(ev, "type"), "task_completed") == 0 &&
                      strcmp(str(ev, "element"), "DeliverCards") == 0 &&
                      strcmp(str(ev, "user"), "kolya") == 0;
    CU_ASSERT_EQUAL(by_courier, 1);
    cJSON_Delete(h);
    remove_db();
}

/* ---- incoming lead ---------------------------------------------------------------------- */

/* Asserts the due date of the only open task of the instance (NULL: none). */
static void due_is(const char *inst, const char *due)
{
    cJSON *t = cli(0, T0, "tasks", "--instance", inst, NULL);
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(t), 1);
    const cJSON *d = cJSON_GetObjectItem(cJSON_GetArrayItem(t, 0), "due");
    if (due) {
        CU_ASSERT(cJSON_IsString(d) && strcmp(d->valuestring, due) == 0);
        if (!cJSON_IsString(d) || strcmp(d->valuestring, due) != 0)
            fprintf(stderr, "\ndue: expected %s, got %s\n", due, cJSON_IsString(d) ? d->valuestring : "null");
    } else {
        CU_ASSERT(cJSON_IsNull(d));
    }
    cJSON_Delete(t);
}

static void no_jobs(void)
{
    cJSON *j = cli(0, T0, "jobs", NULL);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(j), 0);
    cJSON_Delete(j);
}

/* When the last timer scheduled at an element is due ("" if none was). */
static const char *timer_due(const char *inst, const char *element)
{
    static char due[32];
    due[0] = '\0';
    cJSON *h = cli(0, T0, "history", inst, NULL);
    const cJSON *ev;
    cJSON_ArrayForEach(ev, h)
        if (strcmp(str(ev, "type"), "timer_scheduled") == 0 && strcmp(str(ev, "element"), element) == 0)
            snprintf(due, sizeof due, "%s", str(ev, "due"));
    cJSON_Delete(h);
    return due;
}

/* The instance waits at exactly these elements (a NULL-terminated list). */
static void waits_at(const char *inst, ...)
{
    cJSON *s = show(inst);
    cJSON *w = cJSON_GetObjectItem(s, "waiting");
    int n = 0;
    va_list ap;
    va_start(ap, inst);
    for (const char *el; (el = va_arg(ap, const char *)) != NULL; n++) {
        if (!has_string(w, el))
            fprintf(stderr, "\n%s does not wait at %s\n", inst, el);
        CU_ASSERT(has_string(w, el));
    }
    va_end(ap);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(w), n);
    cJSON_Delete(s);
}

/* The lead ended at this end event of the main line and at no other; the instance completed
 * at `when`. */
static void lead_ended(const char *inst, const char *end, const char *when)
{
    static const char *const ends[] = {"Rejected", "Disqualified", "HandedOver"};
    for (size_t i = 0; i < sizeof ends / sizeof *ends; i++)
        CU_ASSERT_EQUAL(events(inst, "element_completed", ends[i], NULL), strcmp(ends[i], end) == 0);
    char at[32] = "";
    CU_ASSERT_EQUAL(events(inst, "instance_completed", NULL, at), 1);
    CU_ASSERT_STRING_EQUAL(at, when);
    cJSON *s = show(inst);
    CU_ASSERT_STRING_EQUAL(str(s, "state"), "completed");
    CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(s, "waiting")), 0);
    cJSON_Delete(s);
    no_open_tasks(inst);
    CU_ASSERT_EQUAL(fired("2027-01-01T00:00:00Z"), 0); /* no timer outlives the lead */
}

/* A lead from the website, its request checked by sales at 09:02: the call is open for sales,
 * due at 09:12, with the reminder armed for 09:07 and the escalation for 09:12. */
static void lead_to_call(char *inst)
{
    cJSON *d = cli(0, T0, "deploy", LEAD, NULL);
    CU_ASSERT_STRING_EQUAL(str(cJSON_GetArrayItem(cJSON_GetObjectItem(d, "deployments"), 0), "process"),
                           "incoming-lead");
    cJSON_Delete(d);
    start("incoming-lead", "{\"caller\":\"anna\",\"source\":\"website\"}", "lead-42", inst);
    char task[32];
    snprintf(task, sizeof task, "%s", task_at(inst, "CheckRequest", "Check the request", NULL, "sales"));
    due_is(inst, "2026-03-02T10:00:00Z");
    refused_for(task, "lena", "legal");
    complete_as("2026-03-02T09:02:00Z", task, "boris", "sales", "{\"valid\":true}", "active");
    task_at(inst, "CallLead", "Call the lead", NULL, "sales");
    due_is(inst, "2026-03-02T09:12:00Z");
    waits_at(inst, "CallLead", NULL);
    CU_ASSERT_STRING_EQUAL(timer_due(inst, "ReminderAfter5"), "2026-03-02T09:07:00Z");
    CU_ASSERT_STRING_EQUAL(timer_due(inst, "NoCallIn10"), "2026-03-02T09:12:00Z");
    no_jobs();
}

/* Qualifies the lead as the caller (anna, no group) at a time; returns nothing, asserts the
 * resulting state. */
static void qualify(const char *inst, const char *now, const char *vars, const char *state)
{
    char task[32];
    snprintf(task, sizeof task, "%s", task_at(inst, "QualifyLead", "Qualify the lead", "anna", NULL));
    due_is(inst, NULL);
    refused_for(task, "boris", "sales");
    complete_as(now, task, "anna", "", vars, state);
}

/* Called after the 5-minute reminder but within 10 minutes: the reminder goes out as a notify
 * job, nobody is escalated, and the qualified lead is handed over. */
static void test_lead_called_after_the_reminder_is_handed_over(void)
{
    fresh_db();
    char inst[32], call[32];
    lead_to_call(inst);
    snprintf(call, sizeof call, "%s", task_at(inst, "CallLead", "Call the lead", NULL, "sales"));
    CU_ASSERT_EQUAL(fired("2026-03-02T09:06:59Z"), 0);
    no_jobs();
    CU_ASSERT_EQUAL(fired("2026-03-02T09:07:00Z"), 1);
    char job[32];
    snprintf(job, sizeof job, "%s", job_of("notify", inst, "SendReminder"));
    /* The reminder does not interrupt the call. */
    CU_ASSERT_STRING_EQUAL(task_at(inst, "CallLead", "Call the lead", NULL, "sales"), call);
    waits_at(inst, "CallLead", "SendReminder", NULL);
    cJSON_Delete(cli(0, "2026-03-02T09:08:00Z", "job", "complete", job, NULL));
    CU_ASSERT_EQUAL(events(inst, "element_completed", "Reminded", NULL), 1);

    complete_as("2026-03-02T09:10:00Z", call, "anna", "sales", "{\"reached\":true}", "active");
    waits_at(inst, "QualifyLead", NULL);
    CU_ASSERT_EQUAL(fired("2026-03-02T09:12:00Z"), 0); /* the 10-minute timer went with the call */
    CU_ASSERT_EQUAL(events(inst, "escalation_thrown", NULL, NULL), 0);
    no_jobs();
    qualify(inst, "2026-03-02T09:30:00Z", "{\"qualified\":true,\"budget\":12000}", "active");
    snprintf(job, sizeof job, "%s", job_of("crm-handover", inst, "HandOver"));
    cJSON *c = cli(0, "2026-03-02T09:31:00Z", "job", "complete", job, "--vars",
                   "{\"salesManager\":\"boris\"}", NULL);
    CU_ASSERT_STRING_EQUAL(str(c, "state"), "completed");
    cJSON_Delete(c);
    lead_ended(inst, "HandedOver", "2026-03-02T09:31:00Z");
    CU_ASSERT_EQUAL(events(inst, "timer_fired", "ReminderAfter5", NULL), 1);
    CU_ASSERT_EQUAL(events(inst, "timer_fired", "NoCallIn10", NULL), 0);
    CU_ASSERT_EQUAL(events(inst, "task_created", "RetryCall", NULL), 0);
    cJSON *s = show(inst);
    CU_ASSERT_STRING_EQUAL(str(cJSON_GetObjectItem(s, "variables"), "salesManager"), "boris");
    cJSON_Delete(s);
    remove_db();
}

/* Called within 5 minutes: no reminder, both timers are cancelled with the call, and a lead
 * completed without saying otherwise counts as reached. Not qualified: disqualified. */
static void test_lead_called_before_the_reminder_cancels_both_timers(void)
{
    fresh_db();
    char inst[32], call[32];
    lead_to_call(inst);
    snprintf(call, sizeof call, "%s", task_at(inst, "CallLead", "Call the lead", NULL, "sales"));
    complete_as("2026-03-02T09:05:00Z", call, "anna", "sales", NULL, "active");
    waits_at(inst, "QualifyLead", NULL);
    cJSON *s = show(inst);
    CU_ASSERT(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(s, "variables"), "reached")));
    cJSON_Delete(s);
    CU_ASSERT_EQUAL(fired("2026-03-02T09:07:00Z"), 0);
    CU_ASSERT_EQUAL(fired("2026-03-03T12:00:00Z"), 0); /* nothing is left to fire */
    no_jobs();
    CU_ASSERT_EQUAL(events(inst, "timer_fired", NULL, NULL), 0);
    qualify(inst, "2026-03-02T09:20:00Z", "{\"qualified\":false}", "completed");
    no_jobs();
    lead_ended(inst, "Disqualified", "2026-03-02T09:20:00Z");
    remove_db();
}

/* Called but not reached: no escalation (someone did call), the call is retried 2 hours later. */
static void test_lead_called_but_not_reached_is_retried_in_two_hours(void)
{
    fresh_db();
    char inst[32], call[32];
    lead_to_call(inst);
    snprintf(call, sizeof call, "%s", task_at(inst, "CallLead", "Call the lead", NULL, "sales"));
    complete_as("2026-03-02T09:05:00Z", call, "anna", "sales", "{\"reached\":false}", "active");
    no_open_tasks(inst);
    waits_at(inst, "WaitTwoHours", NULL);
    CU_ASSERT_STRING_EQUAL(timer_due(inst, "WaitTwoHours"), "2026-03-02T11:05:00Z");
    CU_ASSERT_EQUAL(fired("2026-03-02T11:04:59Z"), 0); /* the call's own timers are gone */
    no_jobs();
    CU_ASSERT_EQUAL(events(inst, "escalation_thrown", NULL, NULL), 0);
    CU_ASSERT_EQUAL(fired("2026-03-02T11:05:00Z"), 1);
    task_at(inst, "RetryCall", "Retry the call", NULL, "sales");
    due_is(inst, "2026-03-02T11:35:00Z");
    remove_db();
}

/* Nobody calls within 10 minutes: the call is taken away, the head of sales is alerted (an
 * escalation caught by the event sub-process, which sends a notify job), and after 2 hours
 * the call is retried by sales. Returns the retry task in retry. */
static void lead_escalated_to_retry(const char *inst, char *retry)
{
    CU_ASSERT_EQUAL(fired("2026-03-02T09:07:00Z"), 1);
    cJSON_Delete(cli(0, "2026-03-02T09:07:30Z", "job", "complete",
                     job_of("notify", inst, "SendReminder"), NULL));
    CU_ASSERT_EQUAL(fired("2026-03-02T09:11:59Z"), 0);
    CU_ASSERT_EQUAL(events(inst, "escalation_thrown", NULL, NULL), 0);
    CU_ASSERT_EQUAL(fired("2026-03-02T09:12:00Z"), 1);
    no_open_tasks(inst);
    CU_ASSERT_EQUAL(events(inst, "task_completed", "CallLead", NULL), 0);
    char when[32] = "";
    CU_ASSERT_EQUAL(events(inst, "escalation_thrown", "EscalateNoCall", when), 1);
    CU_ASSERT_STRING_EQUAL(when, "2026-03-02T09:12:00Z");
    CU_ASSERT_EQUAL(events(inst, "element_completed", "LeadNotCalled", NULL), 1);
    waits_at(inst, "WaitTwoHours", "HeadOfSalesAlert", "NotifyHeadOfSales", NULL);
    CU_ASSERT_STRING_EQUAL(timer_due(inst, "WaitTwoHours"), "2026-03-02T11:12:00Z");
    cJSON_Delete(cli(0, "2026-03-02T09:15:00Z", "job", "complete",
                     job_of("notify", inst, "NotifyHeadOfSales"), NULL));
    CU_ASSERT_EQUAL(events(inst, "element_completed", "HeadOfSalesNotified", NULL), 1);
    waits_at(inst, "WaitTwoHours", NULL);
    no_jobs();

    CU_ASSERT_EQUAL(fired("2026-03-02T11:11:59Z"), 0);
    no_open_tasks(inst);
    CU_ASSERT_EQUAL(fired("2026-03-02T11:12:00Z"), 1);
    snprintf(retry, 32, "%s", task_at(inst, "RetryCall", "Retry the call", NULL, "sales"));
    due_is(inst, "2026-03-02T11:42:00Z");
    refused_for(retry, "olga", "quality");
    /* The retry must say whether the lead was reached. */
    cJSON_Delete(cli(1, T0, "complete", retry, "--user", "boris", "--groups", "sales", NULL));
    said("field 'reached' (Lead reached) is required");
    CU_ASSERT_STRING_EQUAL(task_at(inst, "RetryCall", "Retry the call", NULL, "sales"), retry);
}

/* Escalated, then reached on the retry: qualified and handed over; the next day is not needed. */
static void test_lead_nobody_calls_is_escalated_and_reached_on_the_retry(void)
{
    fresh_db();
    char inst[32], retry[32];
    lead_to_call(inst);
    lead_escalated_to_retry(inst, retry);
    complete_as("2026-03-02T11:20:00Z", retry, "boris", "sales", "{\"reached\":true}", "active");
    waits_at(inst, "QualifyLead", NULL);
    qualify(inst, "2026-03-02T11:40:00Z", "{\"qualified\":true}", "active");
    cJSON *c = cli(0, "2026-03-02T11:41:00Z", "job", "complete",
                   job_of("crm-handover", inst, "HandOver"), NULL);
    CU_ASSERT_STRING_EQUAL(str(c, "state"), "completed");
    cJSON_Delete(c);
    lead_ended(inst, "HandedOver", "2026-03-02T11:41:00Z");
    CU_ASSERT_STRING_EQUAL(timer_due(inst, "NextDay"), "");
    CU_ASSERT_EQUAL(events(inst, "task_created", "CallNextDay", NULL), 0);
    remove_db();
}

/* Escalated, not reached on the retry either: the call is planned for 9:00 the next day and
 * appears only then; the lead is then called, found not qualified and disqualified. */
static void test_lead_not_reached_on_the_retry_is_called_the_next_day(void)
{
    fresh_db();
    char inst[32], retry[32], task[32];
    lead_to_call(inst);
    lead_escalated_to_retry(inst, retry);
    complete_as("2026-03-02T11:20:00Z", retry, "boris", "sales", "{\"reached\":false}", "active");
    no_open_tasks(inst);
    waits_at(inst, "NextDay", NULL);
    CU_ASSERT_STRING_EQUAL(timer_due(inst, "NextDay"), "2026-03-03T09:00:00Z");
    CU_ASSERT_EQUAL(fired("2026-03-02T23:59:59Z"), 0);
    CU_ASSERT_EQUAL(fired("2026-03-03T08:59:59Z"), 0);
    no_open_tasks(inst);
    CU_ASSERT_EQUAL(fired("2026-03-03T09:00:00Z"), 1);
    snprintf(task, sizeof task, "%s",
             task_at(inst, "CallNextDay", "Call the lead (next day)", NULL, "sales"));
    due_is(inst, "2026-03-03T10:00:00Z");
    refused_for(task, "lena", "legal");
    complete_as("2026-03-03T09:30:00Z", task, "boris", "sales", NULL, "active");
    qualify(inst, "2026-03-03T09:45:00Z", "{\"qualified\":false}", "completed");
    no_jobs();
    lead_ended(inst, "Disqualified", "2026-03-03T09:45:00Z");
    CU_ASSERT_EQUAL(events(inst, "task_completed", "RetryCall", NULL), 1);
    CU_ASSERT_EQUAL(events(inst, "task_completed", "CallNextDay", NULL), 1);
    CU_ASSERT_EQUAL(events(inst, "escalation_thrown", "EscalateNoCall", NULL), 1);
    remove_db();
}

/* An invalid request ends the lead at once: nobody is asked to call. */
static void test_invalid_lead_request_is_rejected(void)
{
    fresh_db();
    cJSON_Delete(cli(0, T0, "deploy", LEAD, NULL));
    char inst[32], task[32];
    start("incoming-lead", "{\"caller\":\"anna\"}", NULL, inst);
    snprintf(task, sizeof task, "%s", task_at(inst, "CheckRequest", "Check the request", NULL, "sales"));
    complete_as("2026-03-02T09:10:00Z", task, "boris", "sales", "{\"valid\":false}", "completed");
    lead_ended(inst, "Rejected", "2026-03-02T09:10:00Z");
    CU_ASSERT_EQUAL(events(inst, "task_created", "CallLead", NULL), 0);
    CU_ASSERT_EQUAL(events(inst, "timer_scheduled", NULL, NULL), 0);
    no_jobs();
    remove_db();
}

int main(void)
{
    static const tu_case cases[] = {
        {"samples_validate_without_diagnostics", test_samples_validate_without_diagnostics},
        {"registration_refuses_an_application_without_valid_tax_number",
         test_registration_refuses_an_application_without_valid_tax_number},
        {"registration_rejects_an_unreliable_company", test_registration_rejects_an_unreliable_company},
        {"registration_monitors_quality_in_a_child_until_cooperation_ends",
         test_registration_monitors_quality_in_a_child_until_cooperation_ends},
        {"failed_quality_review_terminates_the_agreement",
         test_failed_quality_review_terminates_the_agreement},
        {"card_order_refuses_missing_or_invalid_form_values",
         test_card_order_refuses_missing_or_invalid_form_values},
        {"card_order_goes_back_to_design_until_the_customer_approves",
         test_card_order_goes_back_to_design_until_the_customer_approves},
        {"lead_called_after_the_reminder_is_handed_over",
         test_lead_called_after_the_reminder_is_handed_over},
        {"lead_called_before_the_reminder_cancels_both_timers",
         test_lead_called_before_the_reminder_cancels_both_timers},
        {"lead_called_but_not_reached_is_retried_in_two_hours",
         test_lead_called_but_not_reached_is_retried_in_two_hours},
        {"lead_nobody_calls_is_escalated_and_reached_on_the_retry",
         test_lead_nobody_calls_is_escalated_and_reached_on_the_retry},
        {"lead_not_reached_on_the_retry_is_called_the_next_day",
         test_lead_not_reached_on_the_retry_is_called_the_next_day},
        {"invalid_lead_request_is_rejected", test_invalid_lead_request_is_rejected},
        {NULL, NULL},
    };
    return tu_run("samples", cases);
}
