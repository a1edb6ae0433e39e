/*
 * xmlscan.c - a linear pass over a document's bytes before libxml2 sees them, counting start
 * tags, attributes per start tag and both together. libxml2 2.9 checks an element's attributes
 * for duplicates pairwise, so one element with 60,000 attributes costs seconds and one with a
 * million minutes; with the attributes of one element bounded, and the sum of their squares
 * over the document bounded by the square of that bound, no document under the size limit
 * costs the parser more than one element at the limit (about 0.5 s at 20,000) on top of
 * linear time. The pass
 * does not judge well-formedness (libxml2 does that next): it only has to count no less than
 * the parser will see. Comments, CDATA sections, processing instructions and declarations are
 * skipped; quotes are honoured inside tags, so a '>' or '=' in an attribute value is not
 * counted.
 */
#include "bpmn/load.h"

#include <string.h>

/* The end of the construct that starts at s[i] with the opening `open` and ends with `close`;
 * n when it never ends (libxml2 will report that). Newlines passed are added to *line. */
static size_t skip_to(const char *s, size_t n, size_t i, const char *close, unsigned *line)
{
    size_t cl = strlen(close);
    for (; i + cl <= n; i++) {
        if (s[i] == '\n')
            (*line)++;
        if (s[i] == close[0] && memcmp(s + i, close, cl) == 0)
            return i + cl;
    }
    return n;
}

int bm_xml_scan(const char *file, const char *s, size_t n, const bpmn_load_options *opts,
                bm_diags *d)
{
    (void)file;
    unsigned long max_attrs = opts && opts->xml_attributes ? opts->xml_attributes
                                                           : BPMN_LIMIT_XML_ATTRIBUTES;
    unsigned long max_elems = opts && opts->xml_elements ? opts->xml_elements
                                                         : BPMN_LIMIT_XML_ELEMENTS;
    unsigned long max_nodes = opts && opts->xml_nodes ? opts->xml_nodes : BPMN_LIMIT_XML_NODES;
    unsigned long elems = 0, nodes = 0;
    /* The parser's duplicate check costs attrs^2 per element: the whole document may cost no
     * more than one element at the limit. */
    unsigned long long pairs = 0, max_pairs = max_attrs >= 0xFFFFFFFFul
                                                  ? ~0ull
                                                  : (unsigned long long)max_attrs * max_attrs;
    unsigned line = 1;
    size_t i = 0;
    while (i < n) {
        char c = s[i];
        if (c == '\n')
            line++;
        if (c != '<') {
            i++;
            continue;
        }
        if (i + 4 <= n && memcmp(s + i, "<!--", 4) == 0) {
            i = skip_to(s, n, i + 4, "-->", &line);
            continue;
        }
        if (i + 9 <= n && memcmp(s + i, "<![CDATA[", 9) == 0) {
            i = skip_to(s, n, i + 9, "]]>", &line);
            continue;
        }
        if (i + 1 < n && s[i + 1] == '?') {
            i = skip_to(s, n, i + 2, "?>", &line);
            continue;
        }
        if (i + 1 < n && (s[i + 1] == '!' || s[i + 1] == '/')) {
            /* A declaration (DOCTYPE is refused by the loader) or an end tag. */
            i = skip_to(s, n, i + 1, ">", &line);
            continue;
        }
        /* A start tag: its name, then attributes up to '>' outside quotes. */
        unsigned tag_line = line;
        size_t name = ++i;
        while (i < n && s[i] != '>' && s[i] != '/' && s[i] != ' ' && s[i] != '\t' &&
               s[i] != '\n' && s[i] != '\r')
            i++;
        size_t name_len = i - name;
        unsigned long attrs = 0;
        char quote = 0;
        for (; i < n; i++) {
            char t = s[i];
            if (t == '\n')
                line++;
            if (quote) {
                if (t == quote)
                    quote = 0;
            } else if (t == '"' || t == '\'') {
                quote = t;
            } else if (t == '=') {
                attrs++;
            } else if (t == '>') {
                i++;
                break;
            }
        }
        elems++;
        nodes += 1 + attrs;
        pairs += (unsigned long long)attrs * attrs;
        if (attrs <= max_attrs && pairs > max_pairs) {
            bm_diag(d, BPMN_SEV_ERROR, tag_line, NULL,
                    "<%.*s>: the attributes of the document's elements, squared and summed, "
                    "pass the square of the xml-attributes limit (%lu): the document would "
                    "cost more to read than one element at that limit; it is not read further",
                    (int)(name_len > 60 ? 60 : name_len), s + name, max_attrs);
            return d->oom ? BPMN_ENOMEM : 1;
        }
        const char *why = attrs > max_attrs   ? "attributes on one element"
                          : elems > max_elems ? "elements in the document"
                          : nodes > max_nodes ? "elements and attributes in the document"
                                              : NULL;
        if (why) {
            unsigned long limit = attrs > max_attrs   ? max_attrs
                                  : elems > max_elems ? max_elems
                                                      : max_nodes;
            const char *name_opt = attrs > max_attrs   ? "xml-attributes"
                                   : elems > max_elems ? "xml-elements"
                                                       : "xml-nodes";
            bm_diag(d, BPMN_SEV_ERROR, tag_line, NULL,
                    "<%.*s>: more than %lu %s (the %s limit); the document is not read further",
                    (int)(name_len > 60 ? 60 : name_len), s + name, limit, why, name_opt);
            return d->oom ? BPMN_ENOMEM : 1;
        }
    }
    return 0;
}
