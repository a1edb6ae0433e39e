/*
 * external.h - jobs as Camunda 7 shows external tasks: the ExternalTask and LockedExternalTask
 * objects, and variables in Camunda's typed form. Shared by the listing (reports/external.c)
 * and fetch-and-lock (ops/external.c), so that both print a job the same way.
 */
#ifndef BPMN_REPORTS_EXTERNAL_H
#define BPMN_REPORTS_EXTERNAL_H

#include "engine/engine.h"

/* The job as Camunda's ExternalTask (locked 0: with "suspended") or LockedExternalTask (locked
 * 1: without it; the caller adds "variables"), read at now. in is the job's instance. NULL when
 * memory runs out. */
cJSON *en_ext_task_json(const en_job *j, uint64_t id, en_inst *in, int64_t now, int locked);
/* The variables visible to the job's token (local 1: only those of its own scope), the named
 * ones only when names is an array of strings, each as {"value","type","valueInfo":{}}. NULL
 * when memory runs out. */
cJSON *en_ext_typed_vars(en_inst *in, uint32_t token, const cJSON *names, int local);

#endif
