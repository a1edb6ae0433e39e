/*
 * validate.h - checking a model: structure for every process, executability for executable
 * ones. Every problem is collected; nothing stops at the first.
 */
#ifndef BPMN_VALIDATE_H
#define BPMN_VALIDATE_H

#include "bpmn/diag.h"
#include "bpmn/model.h"

void bm_validate(const bm_model *m, bm_diags *d);
/* Whether a process is executable: isExecutable="true". */
int bm_process_executable(const bm_model *m, const bm_elem *process);
/* Whether an expression language URI or name is one the runtime evaluates. */
int bm_expression_language_ok(const char *lang);

/* The job type of a service, send or business-rule task: zeebe:taskDefinition type, else
 * camunda:topic, else the element id. */
const char *bm_job_type(const bm_elem *e);

#endif
