/*
 * load.c - bytes to model. The XML is parsed by libxml2 with one parser context per call and
 * secure options: no network, no entity substitution, no DTD loading, no XInclude, no huge
 * mode and no recovery. Any DOCTYPE is refused from the SAX callback that announces it, before
 * its internal subset is read, so no entity is ever declared, expanded or fetched. Elements are
 * matched by namespace URI, never by prefix.
 */
#include "bpmn/load.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

typedef struct parse_state {
    int doctype_line;    /* line of a refused DOCTYPE, 0 when none */
    int error_line;      /* first fatal error */
    char error_msg[256];
    bm_diags *d;
    int ns_warnings;
} parse_state;

static void copy_msg(char *dst, size_t cap, const char *msg)
{
    size_t n = msg ? strlen(msg) : 0;
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        n--;
    if (n >= cap)
        n = cap - 1;
    if (n)
        memcpy(dst, msg, n);
    dst[n] = '\0';
}

static void on_error(void *ctx, xmlErrorPtr err)
{
    xmlParserCtxtPtr ctxt = ctx;
    parse_state *st = ctxt ? ctxt->_private : NULL;
    if (!st || !err)
        return;
    if (err->domain == XML_FROM_NAMESPACE) {
        /* An undeclared prefix: recorded, not fatal; such an element is simply not BPMN. */
        if (st->ns_warnings++ < 5) {
            char msg[256];
            copy_msg(msg, sizeof msg, err->message);
            bm_diag(st->d, BPMN_SEV_WARNING, (unsigned)err->line, NULL, "XML namespace: %s", msg);
        }
        return;
    }
    if (err->level < XML_ERR_ERROR || st->error_line)
        return;
    st->error_line = err->line > 0 ? err->line : 1;
    if (err->code == XML_ERR_INTERNAL_ERROR && err->message &&
        strncmp(err->message, "Excessive depth", 15) == 0)
        /* libxml2 would advise its XML_PARSE_HUGE option, which bpmnrt never sets. */
        copy_msg(st->error_msg, sizeof st->error_msg,
                 "elements are nested more than 256 levels deep (the XML reader's limit)");
    else
        copy_msg(st->error_msg, sizeof st->error_msg, err->message);
}

/* Called by libxml2 at "<!DOCTYPE name ...", before the internal subset is parsed. */
static void on_doctype(void *ctx, const xmlChar *name, const xmlChar *ext_id, const xmlChar *sys_id)
{
    (void)name, (void)ext_id, (void)sys_id;
    xmlParserCtxtPtr ctxt = ctx;
    parse_state *st = ctxt->_private;
    if (!st->doctype_line)
        st->doctype_line = ctxt->input ? ctxt->input->line : 1;
    xmlStopParser(ctxt);
}

/* libxml2 2.9 stores element lines in 16 bits and, past 65535, guesses from neighbouring text
 * nodes; on_start_element keeps the exact line of such elements in psvi (unused otherwise). */
static void on_start_element(void *ctx, const xmlChar *localname, const xmlChar *prefix,
                             const xmlChar *uri, int nb_namespaces, const xmlChar **namespaces,
                             int nb_attributes, int nb_defaulted, const xmlChar **attributes)
{
    xmlParserCtxtPtr ctxt = ctx;
    xmlSAX2StartElementNs(ctx, localname, prefix, uri, nb_namespaces, namespaces, nb_attributes,
                          nb_defaulted, attributes);
    if (ctxt->node && ctxt->input && ctxt->input->line >= 65535)
        ctxt->node->psvi = (void *)(uintptr_t)ctxt->input->line;
}

static unsigned line_of(xmlNodePtr n)
{
    if (n->type == XML_ELEMENT_NODE && n->line == 65535 && n->psvi)
        return (unsigned)(uintptr_t)n->psvi;
    long l = xmlGetLineNo(n);
    return l > 0 ? (unsigned)l : 0;
}

static const char *attr_value(xmlAttrPtr a)
{
    xmlNodePtr c = a->children;
    if (!c)
        return "";
    if (!c->next && c->type == XML_TEXT_NODE && c->content)
        return (const char *)c->content;
    return NULL; /* rare: needs concatenation */
}

typedef struct loader {
    bm_model *m;
    bm_diags *d;
    xmlDocPtr doc;
    int oom;
} loader;

static const char *lstr(loader *L, const char *s)
{
    const char *r = bm_arena_strdup(&L->m->arena, s);
    if (!r)
        L->oom = 1;
    return r;
}

static int read_attrs(loader *L, xmlNodePtr n, bm_attr **out, uint32_t *count)
{
    uint32_t k = 0;
    for (xmlAttrPtr a = n->properties; a; a = a->next)
        k++;
    *out = NULL;
    *count = 0;
    if (!k)
        return 0;
    bm_attr *attrs = bm_arena_alloc(&L->m->arena, k * sizeof *attrs);
    if (!attrs)
        return L->oom = 1, -1;
    uint32_t i = 0;
    for (xmlAttrPtr a = n->properties; a; a = a->next, i++) {
        const char *uri = a->ns ? (const char *)a->ns->href : NULL;
        attrs[i].uri = uri;
        attrs[i].ns = bm_ns_of(uri);
        /* xmlns declarations are not attributes in libxml2; xml:lang and friends land here. */
        attrs[i].name = (const char *)a->name;
        const char *v = attr_value(a);
        if (!v) {
            xmlChar *s = xmlNodeListGetString(L->doc, a->children, 1);
            v = lstr(L, s ? (const char *)s : "");
            xmlFree(s);
            if (!v)
                return -1;
        }
        attrs[i].value = v;
    }
    *out = attrs;
    *count = k;
    return 0;
}

/* Text directly inside an element (text and CDATA children), trimmed; NULL when blank. */
static const char *own_text(loader *L, xmlNodePtr n)
{
    size_t total = 0;
    int pieces = 0;
    const char *single = NULL;
    for (xmlNodePtr c = n->children; c; c = c->next) {
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content) {
            total += strlen((const char *)c->content);
            single = (const char *)c->content;
            pieces++;
        }
    }
    if (!pieces)
        return NULL;
    char *buf;
    if (pieces == 1) {
        buf = (char *)single;
    } else {
        buf = bm_arena_alloc(&L->m->arena, total + 1);
        if (!buf)
            return L->oom = 1, NULL;
        size_t off = 0;
        for (xmlNodePtr c = n->children; c; c = c->next)
            if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content) {
                size_t l = strlen((const char *)c->content);
                memcpy(buf + off, c->content, l);
                off += l;
            }
        buf[off] = '\0';
    }
    const char *s = buf, *e = buf + strlen(buf);
    while (s < e && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
        s++;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
        e--;
    if (s == e)
        return NULL;
    if (s == buf && *e == '\0')
        return buf;
    const char *r = bm_arena_strndup(&L->m->arena, s, (size_t)(e - s));
    if (!r)
        L->oom = 1;
    return r;
}

static bm_ext *read_ext(loader *L, xmlNodePtr n)
{
    bm_ext *head = NULL, **tail = &head;
    for (xmlNodePtr c = n; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        bm_ext *x = bm_arena_alloc(&L->m->arena, sizeof *x);
        if (!x)
            return L->oom = 1, head;
        memset(x, 0, sizeof *x);
        x->uri = c->ns ? (const char *)c->ns->href : NULL;
        x->ns = bm_ns_of(x->uri);
        x->name = (const char *)c->name;
        x->line = line_of(c);
        if (read_attrs(L, c, &x->attrs, &x->nattrs) != 0)
            return head;
        x->text = own_text(L, c);
        x->child = read_ext(L, c->children);
        *tail = x;
        tail = &x->next;
        if (L->oom)
            break;
    }
    return head;
}

static void append_ext(bm_ext **list, bm_ext *x)
{
    while (*list)
        list = &(*list)->next;
    *list = x;
}

static int32_t add_elem(loader *L, xmlNodePtr n, int32_t parent)
{
    bm_model *m = L->m;
    if (bm_grow(m->arena.a, (void **)&m->elems, &m->cap, (size_t)m->nelems + 1, sizeof *m->elems))
        return L->oom = 1, -1;
    int32_t idx = (int32_t)m->nelems++;
    bm_elem *e = &m->elems[idx];
    memset(e, 0, sizeof *e);
    int known = 1;
    e->tag = (const char *)n->name;
    e->kind = bm_kind_of(e->tag, &known);
    e->line = line_of(n);
    e->parent = parent;
    e->first_child = e->next_sibling = -1;
    if (read_attrs(L, n, &e->attrs, &e->nattrs) != 0)
        return -1;
    e->id = bm_attr_get(e, "id");
    e->name = bm_attr_get(e, "name");
    if (!known)
        bm_diag(L->d, BPMN_SEV_WARNING, e->line, e->id, "unknown BPMN element '%s' is ignored",
                e->tag);
    return idx;
}

/* Walks the children of a BPMN element. Elements are appended in document order, so a parent
 * always precedes its children in the array. */
static void walk(loader *L, xmlNodePtr n, int32_t parent)
{
    int32_t last = -1;
    for (xmlNodePtr c = n->children; c && !L->oom; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        bm_ns ns = bm_ns_of(c->ns ? (const char *)c->ns->href : NULL);
        if (ns == BM_NS_BPMN && strcmp((const char *)c->name, "extensionElements") == 0) {
            append_ext(&L->m->elems[parent].ext, read_ext(L, c->children));
            continue;
        }
        if (ns == BM_NS_BPMNDI || (c->ns && strstr((const char *)c->ns->href, "/DD/")))
            continue; /* diagram interchange: layout only */
        if (ns != BM_NS_BPMN) {
            /* A foreign element outside extensionElements: kept as an extension. */
            xmlNodePtr next = c->next;
            c->next = NULL;
            append_ext(&L->m->elems[parent].ext, read_ext(L, c));
            c->next = next;
            continue;
        }
        int32_t idx = add_elem(L, c, parent);
        if (idx < 0)
            return;
        if (last < 0)
            L->m->elems[parent].first_child = idx;
        else
            L->m->elems[last].next_sibling = idx;
        last = idx;
        L->m->elems[idx].text = own_text(L, c);
        walk(L, c, idx);
    }
}

/* Builds the id index and reports duplicates, naming both lines. */
static int index_ids(loader *L)
{
    bm_model *m = L->m;
    uint32_t cap = 16;
    while (cap < m->nelems * 2)
        cap *= 2;
    m->ids = bm_arena_alloc(&m->arena, cap * sizeof *m->ids);
    if (!m->ids)
        return L->oom = 1, -1;
    memset(m->ids, 0xff, cap * sizeof *m->ids);
    m->ids_cap = cap;
    uint32_t mask = cap - 1;
    for (uint32_t i = 0; i < m->nelems; i++) {
        const char *id = m->elems[i].id;
        if (!id)
            continue;
        uint32_t h = (uint32_t)bm_hash(id) & mask;
        for (;; h = (h + 1) & mask) {
            int32_t j = m->ids[h];
            if (j < 0) {
                m->ids[h] = (int32_t)i;
                break;
            }
            if (strcmp(m->elems[j].id, id) == 0) {
                bm_diag(L->d, BPMN_SEV_ERROR, m->elems[i].line, id,
                        "duplicate id '%s' (also used by the %s at line %u)", id,
                        m->elems[j].tag, m->elems[j].line);
                break;
            }
        }
    }
    return 0;
}

void bm_model_free(bm_model *m)
{
    if (!m)
        return;
    const bpmn_allocator *a = m->arena.a;
    xmlFreeDoc(m->doc);
    bm_free(a, m->elems);
    bm_arena_free(&m->arena);
    bm_free(a, m);
}

int bm_load(const char *file, const void *data, size_t len, const bpmn_load_options *opts,
            bm_diags *d, bm_model **out)
{
    *out = NULL;
    const bpmn_allocator *a = opts ? opts->allocator : NULL;
    size_t cap = opts && opts->max_bytes ? opts->max_bytes : BPMN_DEFAULT_MAX_BYTES;
    if (len > cap || len > INT_MAX) {
        bm_diag(d, BPMN_SEV_ERROR, 0, NULL, "file is %zu bytes, over the size limit of %zu bytes",
                len, cap);
        return d->oom ? BPMN_ENOMEM : BPMN_OK;
    }
    if (len == 0) {
        bm_diag(d, BPMN_SEV_ERROR, 1, NULL, "file is empty, not BPMN 2.0 XML");
        return d->oom ? BPMN_ENOMEM : BPMN_OK;
    }

    int scan = bm_xml_scan(file, data, len, opts, d);
    if (scan != 0)
        return scan == 1 ? (d->oom ? BPMN_ENOMEM : BPMN_OK) : scan;

    /* xmlCreateMemoryParserCtxt + xmlParseDocument rather than xmlCtxtReadMemory: the latter
     * resets the context, and with it the hooks installed here. */
    xmlParserCtxtPtr ctxt = xmlCreateMemoryParserCtxt(data, (int)len);
    if (!ctxt)
        return BPMN_ENOMEM;
    parse_state st = {0};
    st.d = d;
    int options = XML_PARSE_NONET | XML_PARSE_BIG_LINES | XML_PARSE_COMPACT | XML_PARSE_NOERROR |
                  XML_PARSE_NOWARNING;
    xmlCtxtUseOptions(ctxt, options);
    ctxt->_private = &st;
    ctxt->sax->serror = on_error;
    ctxt->sax->internalSubset = on_doctype;
    ctxt->sax->startElementNs = on_start_element;
    ctxt->sax->externalSubset = NULL;
    ctxt->sax->resolveEntity = NULL;
    xmlParseDocument(ctxt);
    xmlDocPtr doc = ctxt->myDoc;
    ctxt->myDoc = NULL;
    int well_formed = ctxt->wellFormed;
    xmlFreeParserCtxt(ctxt);

    if (st.doctype_line || !doc || !well_formed) {
        xmlFreeDoc(doc);
        if (st.doctype_line)
            bm_diag(d, BPMN_SEV_ERROR, (unsigned)st.doctype_line, NULL,
                    "DOCTYPE declarations are not allowed in BPMN files (no DTD or entity is "
                    "read, expanded or fetched)");
        else
            bm_diag(d, BPMN_SEV_ERROR, (unsigned)(st.error_line ? st.error_line : 1), NULL,
                    "not well-formed XML: %s", st.error_msg[0] ? st.error_msg : "parse failed");
        return d->oom ? BPMN_ENOMEM : BPMN_OK;
    }

    xmlNodePtr root = xmlDocGetRootElement(doc);
    const char *uri = root && root->ns ? (const char *)root->ns->href : NULL;
    if (!root || bm_ns_of(uri) != BM_NS_BPMN || strcmp((const char *)root->name, "definitions")) {
        unsigned line = root ? line_of(root) : 1;
        if (root && strcmp((const char *)root->name, "definitions") == 0)
            bm_diag(d, BPMN_SEV_ERROR, line, NULL,
                    "root element 'definitions' is in namespace '%s', not the BPMN 2.0 model "
                    "namespace http://www.omg.org/spec/BPMN/20100524/MODEL",
                    uri ? uri : "(none)");
        else
            bm_diag(d, BPMN_SEV_ERROR, line, NULL,
                    "root element '%s' is not BPMN 2.0 'definitions' (not a BPMN file)",
                    root ? (const char *)root->name : "(none)");
        xmlFreeDoc(doc);
        return d->oom ? BPMN_ENOMEM : BPMN_OK;
    }

    bm_model *m = bm_alloc(a, NULL, sizeof *m);
    if (!m) {
        xmlFreeDoc(doc);
        return BPMN_ENOMEM;
    }
    memset(m, 0, sizeof *m);
    bm_arena_init(&m->arena, a);
    m->doc = doc;
    m->file = file;
    m->assume_executable = opts && opts->assume_executable;
    loader L = {m, d, doc, 0};
    if (add_elem(&L, root, -1) == 0) {
        m->elems[0].text = NULL;
        walk(&L, root, 0);
    }
    if (!L.oom)
        index_ids(&L);
    if (L.oom || d->oom) {
        bm_model_free(m);
        return BPMN_ENOMEM;
    }
    *out = m;
    return BPMN_OK;
}
