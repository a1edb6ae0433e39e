/*
 * model.c - element kinds, namespaces and the read accessors of the model.
 */
#include "bpmn/model.h"

#include <string.h>

static const struct {
    const char *name;
    unsigned cats;
} kinds[] = {
#define BM_KIND_ROW_(e, name, cat) {name, cat},
    BM_KIND_MAP(BM_KIND_ROW_)
#undef BM_KIND_ROW_
};

/* Elements of the BPMN 2.0 semantic schema that have no kind of their own. Knowing them lets the
 * validator warn about misspelt or invented element names without flagging legitimate ones. */
static const char *const other_names[] = {
    "import", "extension", "extensionElements", "itemDefinition", "interface", "operation",
    "inMessageRef", "outMessageRef", "errorRef", "endPoint", "partnerEntity", "partnerRole",
    "participantRef", "resource", "resourceParameter", "dataStore", "category", "categoryValue",
    "correlationProperty", "correlationPropertyRetrievalExpression", "messagePath", "dataPath",
    "correlationKey", "correlationPropertyRef", "correlationSubscription",
    "correlationPropertyBinding", "globalTask", "globalUserTask", "globalManualTask",
    "globalScriptTask", "globalBusinessRuleTask", "globalConversation", "choreography",
    "conversation", "subConversation", "callConversation", "conversationLink",
    "conversationAssociation", "participantAssociation", "innerParticipantRef",
    "outerParticipantRef", "participantMultiplicity", "interfaceRef", "endPointRef",
    "messageFlowAssociation", "innerMessageFlowRef", "outerMessageFlowRef", "flowNodeRef",
    "childLaneSet", "partitionElement", "dataInput", "dataOutput", "ioSpecification", "inputSet",
    "outputSet", "dataInputRefs", "dataOutputRefs", "optionalInputRefs", "optionalOutputRefs",
    "whileExecutingInputRefs", "whileExecutingOutputRefs", "outputSetRefs", "inputSetRefs",
    "dataInputAssociation", "dataOutputAssociation", "sourceRef", "targetRef", "assignment",
    "from", "to", "transformation", "dataState", "property", "ioBinding", "text", "performer",
    "humanPerformer", "potentialOwner", "resourceRef", "resourceAssignmentExpression",
    "resourceParameterBinding", "expression", "formalExpression", "loopDataInputRef",
    "loopDataOutputRef", "inputDataItem", "outputDataItem", "complexBehaviorDefinition",
    "activationCondition", "eventDefinitionRef", "source", "target", "rendering", "auditing",
    "monitoring", "relationship", "supportedInterfaceRef", "messageRef", "signalRef",
    "categoryValueRef", "lanes", "dataObjectRef", "eventDefinition", "messageFlowRef",
    "conversationNodeRef", "participantRefs", "callableElement", "baseElement", "rootElement",
    "sourceRefs", "targetRefs", "choreographyRef", "extensionDefinition",
    "extensionAttributeDefinition", "flowElement", "artifact", "dataAssociation",
    "loopCharacteristics", "correlationPropertyRefs", "operationRef", "implementationRef",
    "subChoreographyRef", "calledChoreographyRef", "startQuantity", "completionQuantity",
};

bm_kind bm_kind_of(const char *local, int *known_out)
{
    for (int k = 0; k < BM_OTHER; k++) {
        if (strcmp(kinds[k].name, local) == 0) {
            if (known_out)
                *known_out = 1;
            return (bm_kind)k;
        }
    }
    int known = 0;
    for (size_t i = 0; i < sizeof other_names / sizeof other_names[0]; i++) {
        if (strcmp(other_names[i], local) == 0) {
            known = 1;
            break;
        }
    }
    if (known_out)
        *known_out = known;
    return BM_OTHER;
}

const char *bm_kind_name(bm_kind k)
{
    return k < BM_KIND_COUNT ? kinds[k].name : "";
}

unsigned bm_kind_cats(bm_kind k)
{
    return k < BM_KIND_COUNT ? kinds[k].cats : 0;
}

static const struct {
    const char *uri;
    bm_ns ns;
} namespaces[] = {
    {"http://www.omg.org/spec/BPMN/20100524/MODEL", BM_NS_BPMN},
    /* The namespace of the BPMN 2.0 beta drafts, still written by some engines' test files. */
    {"http://schema.omg.org/spec/BPMN/2.0", BM_NS_BPMN},
    {"http://www.omg.org/spec/BPMN/20100524/DI", BM_NS_BPMNDI},
    {"http://camunda.org/schema/1.0/bpmn", BM_NS_CAMUNDA},
    /* Operaton, the community continuation of Camunda 7, keeps its attributes and extension
     * elements under its own namespace: read exactly as camunda:. */
    {"http://operaton.org/schema/1.0/bpmn", BM_NS_CAMUNDA},
    {"http://camunda.org/schema/zeebe/1.0", BM_NS_ZEEBE},
    {"http://flowable.org/bpmn", BM_NS_FLOWABLE},
    {"http://activiti.org/bpmn", BM_NS_ACTIVITI},
};

bm_ns bm_ns_of(const char *uri)
{
    if (!uri)
        return BM_NS_NONE;
    for (size_t i = 0; i < sizeof namespaces / sizeof namespaces[0]; i++)
        if (strcmp(namespaces[i].uri, uri) == 0)
            return namespaces[i].ns;
    return BM_NS_OTHER;
}

const char *bm_ns_prefix(bm_ns ns)
{
    switch (ns) {
    case BM_NS_BPMN: return "bpmn";
    case BM_NS_BPMNDI: return "bpmndi";
    case BM_NS_CAMUNDA: return "camunda";
    case BM_NS_ZEEBE: return "zeebe";
    case BM_NS_FLOWABLE: return "flowable";
    case BM_NS_ACTIVITI: return "activiti";
    default: return NULL;
    }
}

const char *bm_attr_get(const bm_elem *e, const char *name)
{
    for (uint32_t i = 0; i < e->nattrs; i++)
        if (e->attrs[i].ns == BM_NS_NONE && strcmp(e->attrs[i].name, name) == 0)
            return e->attrs[i].value;
    return NULL;
}

const char *bm_xattr(const bm_elem *e, bm_ns ns, const char *name)
{
    for (uint32_t i = 0; i < e->nattrs; i++)
        if (e->attrs[i].ns == ns && strcmp(e->attrs[i].name, name) == 0)
            return e->attrs[i].value;
    return NULL;
}

int bm_attr_true(const bm_elem *e, const char *name, int dflt)
{
    const char *v = bm_attr_get(e, name);
    if (!v)
        return dflt;
    return strcmp(v, "true") == 0 || strcmp(v, "1") == 0;
}

const bm_ext *bm_ext_find(const bm_ext *x, bm_ns ns, const char *name)
{
    for (; x; x = x->next) {
        if (x->ns == ns && strcmp(x->name, name) == 0)
            return x;
        const bm_ext *c = bm_ext_find(x->child, ns, name);
        if (c)
            return c;
    }
    return NULL;
}

const char *bm_ext_attr(const bm_ext *x, const char *name)
{
    for (uint32_t i = 0; i < x->nattrs; i++)
        if (strcmp(x->attrs[i].name, name) == 0)
            return x->attrs[i].value;
    return NULL;
}

const bm_elem *bm_child(const bm_model *m, const bm_elem *e, bm_kind kind)
{
    BM_FOR_CHILDREN(m, e, c)
        if (c->kind == kind)
            return c;
    return NULL;
}

int32_t bm_index_of(const bm_model *m, const bm_elem *e)
{
    return (int32_t)(e - m->elems);
}

static const bm_elem *lookup_exact(const bm_model *m, const char *id)
{
    if (!m->ids_cap || !id)
        return NULL;
    uint32_t mask = m->ids_cap - 1;
    for (uint32_t h = (uint32_t)bm_hash(id) & mask;; h = (h + 1) & mask) {
        int32_t i = m->ids[h];
        if (i < 0)
            return NULL;
        if (strcmp(m->elems[i].id, id) == 0)
            return &m->elems[i];
    }
}

const bm_elem *bm_lookup(const bm_model *m, const char *ref)
{
    const bm_elem *e = lookup_exact(m, ref);
    if (!e && ref) {
        const char *colon = strchr(ref, ':');
        if (colon)
            e = lookup_exact(m, colon + 1);
    }
    return e;
}
