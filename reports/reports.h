/*
 * reports.h - what the reports floor offers the operations above it: the JSON shapes of an
 * instance and a task, so that an operation answers with the same object a query gives.
 */
#ifndef BPMN_REPORTS_H
#define BPMN_REPORTS_H

#include "engine/engine.h"

/* The show object of an instance as text, read in the operation's transaction; NULL when
 * memory runs out (or the instance cannot be read). */
char *en_show_text(bpmn_engine *e, uint64_t id);
/* The task as its JSON object (the shape of bpmn_task_query). */
cJSON *en_task_json(bpmn_engine *e, const en_task *t);

#endif
