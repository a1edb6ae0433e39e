/*
 * status.c - the names of the status codes: one list in bpmnrt.h (BPMN_STATUS_MAP) gives the codes
 * and their messages, so that a code and its text cannot drift apart.
 */
#include "bpmnrt.h"

const char *bpmn_strerror(int status)
{
    switch (status) {
#define BPMN_STATUS_STR_(name, value, msg) \
    case BPMN_##name: return msg;
        BPMN_STATUS_MAP(BPMN_STATUS_STR_)
#undef BPMN_STATUS_STR_
    default: return "unknown status code";
    }
}
