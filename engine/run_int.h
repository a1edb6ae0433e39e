/*
 * run_int.h - what run.c, tokens.c and gateways.c share beyond engine.h: the variable lookup
 * handed to the expression evaluator, and the gateway behaviours that run.c calls.
 */
#ifndef BPMN_RUN_INT_H
#define BPMN_RUN_INT_H

#include "engine/engine.h"

/* The variables an expression sees: those of scope and of the scopes around it. */
typedef struct en_var_env {
    en_inst *in;
    uint32_t scope;
} en_var_env;

ex_env en_env_for(bpmn_engine *e, en_var_env *v);

/* Gateways (gateways.c). */
int en_exclusive(bpmn_engine *e, en_inst *in, uint32_t token_id);
int en_parallel_arrive(bpmn_engine *e, en_inst *in, uint32_t token_id);
int en_inclusive_ready(const en_inst *in, uint32_t node, uint32_t scope);
int en_inclusive_fire(bpmn_engine *e, en_inst *in, uint32_t node, uint32_t scope);

#endif
