/*
 * test_compiler.c - the execution graph of each sample and of the shapes the engine relies on:
 * adjacency, default flows, boundary events on their activities, the scope tree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpmn/compile.h"
#include "test_util.h"

static bg_graph **compile_file(const char *path, size_t *n)
{
    size_t len = 0;
    char *xml = tu_read_file(path, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(xml);
    bm_diags d;
    bm_diags_init(&d, NULL);
    bg_graph **gs = NULL;
    CU_ASSERT_EQUAL_FATAL(bm_pipeline(path, xml, len, NULL, &d, &gs, n), BPMN_OK);
    if (d.errors) {
        for (size_t i = 0; i < d.n; i++)
            fprintf(stderr, "%s:%u: %s\n", path, d.items[i].line, d.items[i].message);
    }
    CU_ASSERT_EQUAL(d.errors, 0);
    bm_diags_free(&d);
    free(xml);
    return gs;
}

static bg_graph **compile_str(const char *xml, size_t *n)
{
    bm_diags d;
    bm_diags_init(&d, NULL);
    bg_graph **gs = NULL;
    CU_ASSERT_EQUAL_FATAL(bm_pipeline("t.bpmn", xml, strlen(xml), NULL, &d, &gs, n), BPMN_OK);
    CU_ASSERT_EQUAL(d.errors, 0);
    bm_diags_free(&d);
    return gs;
}

static const bg_node *node(const bg_graph *g, const char *id)
{
    int32_t i = bg_find(g, id);
    CU_ASSERT_FATAL(i >= 0);
    return &g->nodes[i];
}

/* The id of the k-th outgoing flow's target. */
static const char *out_target(const bg_graph *g, const bg_node *n, uint32_t k)
{
    return g->nodes[g->flows[g->out[n->out + k]].target].id;
}

static void test_incoming_lead_sample_graph(void)
{
    size_t n = 0;
    bg_graph **gs = compile_file(BPMNRT_SOURCE_DIR "/samples/incoming-lead.bpmn", &n);
    CU_ASSERT_EQUAL_FATAL(n, 1);
    const bg_graph *g = gs[0];
    CU_ASSERT_STRING_EQUAL(g->process_id, "incoming-lead");
    CU_ASSERT_STRING_EQUAL(g->name, "Incoming lead");
    CU_ASSERT_EQUAL(g->nnodes, 28);
    CU_ASSERT_EQUAL(g->nflows, 26);
    CU_ASSERT_EQUAL(g->nscopes, 2); /* the process and its event sub-process */
    CU_ASSERT_EQUAL(g->scopes[0].nstarts, 1);
    CU_ASSERT_STRING_EQUAL(g->nodes[g->starts[g->scopes[0].starts]].id, "LeadReceived");

    const bg_node *gw = node(g, "RequestValid");
    CU_ASSERT_EQUAL(gw->kind, BM_EXCLUSIVE_GATEWAY);
    CU_ASSERT_EQUAL(gw->nout, 2);
    CU_ASSERT_EQUAL(gw->nin, 1);
    CU_ASSERT_STRING_EQUAL(out_target(g, gw, 0), "CallLead");
    CU_ASSERT_STRING_EQUAL(out_target(g, gw, 1), "Rejected");
    CU_ASSERT_FATAL(gw->default_flow >= 0);
    CU_ASSERT_STRING_EQUAL(g->flows[gw->default_flow].id, "Flow_Invalid");
    CU_ASSERT_STRING_EQUAL(g->flows[g->out[gw->out]].condition, "=valid = true");
    CU_ASSERT_PTR_NULL(g->flows[gw->default_flow].condition);

    const bg_node *call = node(g, "CallLead");
    CU_ASSERT_EQUAL(call->nboundary, 2);
    const bg_node *rem = &g->nodes[g->boundary[call->boundary]];
    const bg_node *late = &g->nodes[g->boundary[call->boundary + 1]];
    CU_ASSERT_STRING_EQUAL(rem->id, "ReminderAfter5");
    CU_ASSERT_EQUAL(rem->trigger, BG_EV_TIMER);
    CU_ASSERT_EQUAL(rem->timer_kind, BG_TIMER_DURATION);
    CU_ASSERT_STRING_EQUAL(rem->timer, "PT5M");
    CU_ASSERT_FALSE(rem->flags & BG_F_INTERRUPTING);
    CU_ASSERT_STRING_EQUAL(late->id, "NoCallIn10");
    CU_ASSERT(late->flags & BG_F_INTERRUPTING);
    CU_ASSERT_EQUAL(&g->nodes[late->attached_to], call);
    CU_ASSERT_PTR_NOT_NULL(bm_ext_find(call->ext, BM_NS_ZEEBE, "assignmentDefinition"));

    CU_ASSERT_STRING_EQUAL(bg_attr(node(g, "QualifyLead"), BM_NS_CAMUNDA, "assignee"), "${caller}");
    CU_ASSERT_STRING_EQUAL(bg_attr(node(g, "HandOver"), BM_NS_CAMUNDA, "topic"), "crm-handover");
    bg_graphs_free(gs, n, NULL);
}

/* The peers' workload lives beside the project (../shared), not in it: a clone on its own skips
 * this case and says so. */
static void test_peer_gateways_workload_graph(void)
{
    static const char path[] = BPMNRT_SOURCE_DIR "/../shared/peers/workloads/gateways.bpmn";
    if (access(path, R_OK) != 0) {
        fprintf(stderr, "%s not found; test_peer_gateways_workload_graph skipped\n", path);
        return;
    }
    size_t n = 0;
    bg_graph **gs = compile_file(path, &n);
    CU_ASSERT_EQUAL_FATAL(n, 1);
    const bg_graph *g = gs[0];
    const bg_node *fork = node(g, "andSplit"), *join = node(g, "andJoin");
    CU_ASSERT_EQUAL(fork->nout, 3);
    CU_ASSERT_EQUAL(join->nin, 3);
    const bg_node *orj = node(g, "orJoin");
    CU_ASSERT_EQUAL(orj->kind, BM_INCLUSIVE_GATEWAY);
    CU_ASSERT_EQUAL(orj->nin, 3);
    /* Every flow appears once as someone's outgoing and once as someone's incoming. */
    uint32_t outs = 0, ins = 0;
    for (uint32_t i = 0; i < g->nnodes; i++) {
        outs += g->nodes[i].nout;
        ins += g->nodes[i].nin;
    }
    CU_ASSERT_EQUAL(outs, g->nflows);
    CU_ASSERT_EQUAL(ins, g->nflows);
    bg_graphs_free(gs, n, NULL);
}

static const char scoped[] =
    "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\">\n"
    "<error id=\"Err\" errorCode=\"UNRELIABLE\"/>\n"
    "<process id=\"outer\" isExecutable=\"true\">\n"
    "  <startEvent id=\"s\"/>\n"
    "  <sequenceFlow id=\"a\" sourceRef=\"s\" targetRef=\"sp\"/>\n"
    "  <subProcess id=\"sp\">\n"
    "    <startEvent id=\"s2\"/>\n"
    "    <sequenceFlow id=\"b\" sourceRef=\"s2\" targetRef=\"inner\"/>\n"
    "    <userTask id=\"inner\"><multiInstanceLoopCharacteristics isSequential=\"true\">"
    "<loopCardinality>3</loopCardinality></multiInstanceLoopCharacteristics></userTask>\n"
    "    <sequenceFlow id=\"c\" sourceRef=\"inner\" targetRef=\"e2\"/>\n"
    "    <endEvent id=\"e2\"/>\n"
    "    <subProcess id=\"evsub\" triggeredByEvent=\"true\">\n"
    "      <startEvent id=\"es\" isInterrupting=\"false\"><timerEventDefinition>"
    "<timeCycle>R/PT1H</timeCycle></timerEventDefinition></startEvent>\n"
    "      <sequenceFlow id=\"d\" sourceRef=\"es\" targetRef=\"ee\"/>\n"
    "      <endEvent id=\"ee\"/>\n"
    "    </subProcess>\n"
    "  </subProcess>\n"
    "  <boundaryEvent id=\"berr\" attachedToRef=\"sp\" cancelActivity=\"false\">"
    "<errorEventDefinition errorRef=\"Err\"/></boundaryEvent>\n"
    "  <sequenceFlow id=\"f\" sourceRef=\"berr\" targetRef=\"e\"/>\n"
    "  <sequenceFlow id=\"g\" sourceRef=\"sp\" targetRef=\"empty\"/>\n"
    "  <subProcess id=\"empty\"><task id=\"loose1\"/><task id=\"loose2\"/>"
    "<sequenceFlow id=\"h\" sourceRef=\"loose1\" targetRef=\"loose3\"/><task id=\"loose3\"/>"
    "</subProcess>\n"
    "  <sequenceFlow id=\"i\" sourceRef=\"empty\" targetRef=\"e\"/>\n"
    "  <endEvent id=\"e\"/>\n"
    "</process>\n</definitions>\n";

static void test_scope_tree_and_boundaries(void)
{
    size_t n = 0;
    bg_graph **gs = compile_str(scoped, &n);
    CU_ASSERT_EQUAL_FATAL(n, 1);
    const bg_graph *g = gs[0];
    CU_ASSERT_EQUAL(g->nscopes, 4);
    const bg_node *sp = node(g, "sp");
    CU_ASSERT_EQUAL(sp->scope, 0);
    CU_ASSERT_FATAL(sp->inner_scope > 0);
    const bg_scope *sc = &g->scopes[sp->inner_scope];
    CU_ASSERT_EQUAL(sc->parent, 0);
    CU_ASSERT_EQUAL(&g->nodes[sc->node], sp);
    CU_ASSERT_EQUAL(sc->nstarts, 1);
    CU_ASSERT_STRING_EQUAL(g->nodes[g->starts[sc->starts]].id, "s2");
    CU_ASSERT_EQUAL(sc->nevent_subs, 1);
    const bg_node *ev = &g->nodes[g->event_subs[sc->event_subs]];
    CU_ASSERT_STRING_EQUAL(ev->id, "evsub");
    CU_ASSERT(ev->flags & BG_F_EVENT_SUBPROCESS);
    CU_ASSERT_EQUAL(g->scopes[ev->inner_scope].parent, sp->inner_scope);
    const bg_node *es = node(g, "es");
    CU_ASSERT_EQUAL(es->scope, ev->inner_scope);
    CU_ASSERT_FALSE(es->flags & BG_F_INTERRUPTING);
    CU_ASSERT_EQUAL(es->timer_kind, BG_TIMER_CYCLE);

    const bg_node *inner = node(g, "inner");
    CU_ASSERT_EQUAL(inner->scope, sp->inner_scope);
    CU_ASSERT(inner->flags & BG_F_MULTI_INSTANCE);
    CU_ASSERT(inner->flags & BG_F_SEQUENTIAL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(inner->loop);
    CU_ASSERT_STRING_EQUAL(inner->loop->cardinality, "3");

    const bg_node *berr = node(g, "berr");
    CU_ASSERT_EQUAL(berr->trigger, BG_EV_ERROR);
    CU_ASSERT_STRING_EQUAL(berr->event_ref, "UNRELIABLE");
    /* Error boundaries interrupt whatever cancelActivity says. */
    CU_ASSERT(berr->flags & BG_F_INTERRUPTING);
    CU_ASSERT_EQUAL(sp->nboundary, 1);

    /* A sub-process without start events starts at its nodes without incoming flows. */
    const bg_scope *es2 = &g->scopes[node(g, "empty")->inner_scope];
    CU_ASSERT_FALSE(es2->has_start_event);
    CU_ASSERT_EQUAL(es2->nstarts, 2);
    CU_ASSERT_STRING_EQUAL(g->nodes[g->starts[es2->starts]].id, "loose1");
    CU_ASSERT_STRING_EQUAL(g->nodes[g->starts[es2->starts + 1]].id, "loose2");
    bg_graphs_free(gs, n, NULL);
}

static void test_one_graph_per_executable_process(void)
{
    static const char two[] =
        "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\">"
        "<process id=\"a\" isExecutable=\"true\"><startEvent id=\"s1\"/></process>"
        "<process id=\"doc\" isExecutable=\"false\"><startEvent id=\"s2\"/></process>"
        "<process id=\"b\" isExecutable=\"true\"><startEvent id=\"s3\"/></process>"
        "</definitions>";
    size_t n = 0;
    bg_graph **gs = compile_str(two, &n);
    CU_ASSERT_EQUAL_FATAL(n, 2);
    CU_ASSERT_STRING_EQUAL(gs[0]->process_id, "a");
    CU_ASSERT_STRING_EQUAL(gs[1]->process_id, "b");
    bg_graphs_free(gs, n, NULL);
}

int main(void)
{
    static const tu_case cases[] = {
        {"incoming_lead_sample_graph", test_incoming_lead_sample_graph},
        {"peer_gateways_workload_graph", test_peer_gateways_workload_graph},
        {"scope_tree_and_boundaries", test_scope_tree_and_boundaries},
        {"one_graph_per_executable_process", test_one_graph_per_executable_process},
        {NULL, NULL},
    };
    return tu_run("compiler", cases);
}
